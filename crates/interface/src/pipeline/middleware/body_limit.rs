//! Refuses request bodies over the configured size with 413.
//!
//! poem's own `SizeLimit` insists on a `Content-Length` (411 otherwise, even for a GET);
//! this one checks the header when present and otherwise reads a chunked body up to the
//! limit, so no body of any shape gets past it.

use poem::error::ReadBodyError;
use poem::http::StatusCode;
use poem::web::headers::{ContentLength, HeaderMapExt};
use poem::{Body, Endpoint, Middleware, Request, Result};

/// The body-size guard, built from `server.body_limit_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    max_bytes: usize,
}

impl BodyLimit {
    /// Allows bodies of at most `max_bytes`.
    pub fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

/// The endpoint produced by [`BodyLimit`].
pub struct BodyLimitEndpoint<E> {
    inner: E,
    max_bytes: usize,
}

fn too_large() -> poem::Error {
    poem::Error::from_string("payload too large", StatusCode::PAYLOAD_TOO_LARGE)
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        match req.headers().typed_get::<ContentLength>() {
            Some(ContentLength(length)) => {
                if usize::try_from(length).map_or(true, |length| length > self.max_bytes) {
                    return Err(too_large());
                }
            }
            None => {
                let body = req.take_body();
                if !body.is_empty() {
                    let bytes =
                        body.into_bytes_limit(self.max_bytes)
                            .await
                            .map_err(|err| match err {
                                ReadBodyError::PayloadTooLarge => too_large(),
                                other => other.into(),
                            })?;
                    req.set_body(Body::from_bytes(bytes));
                }
            }
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, endpoint::make};

    use super::*;

    fn app() -> impl Endpoint {
        make(|req: Request| async move {
            req.into_body()
                .into_vec()
                .await
                .map(|b| b.len().to_string())
        })
        .with(BodyLimit::new(4))
    }

    #[tokio::test]
    async fn an_announced_oversized_body_is_refused() {
        let req = Request::builder()
            .header("content-length", "5")
            .body("12345");
        let err = app().call(req).await.err().expect("refused");
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn an_unannounced_oversized_body_is_refused() {
        let unannounced = Body::from_async_read(std::io::Cursor::new(b"123456".to_vec()));
        let req = Request::builder().body(unannounced);
        let err = app().call(req).await.err().expect("refused");
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn a_body_within_the_limit_and_no_body_pass() {
        let req = Request::builder()
            .header("content-length", "4")
            .body("1234");
        assert!(app().call(req).await.is_ok());
        assert!(app().call(Request::builder().finish()).await.is_ok());
    }
}
