//! Bounds request bodies in size and in time: larger than `server.body_limit_bytes`
//! is 413, not complete within `server.request_timeout_secs` is 408 and the
//! connection is closed.
//!
//! poem's own `SizeLimit` insists on a `Content-Length` (411 otherwise, even for a GET);
//! this one checks the header when present and reads every body — announced or
//! chunked, at most the limit — before the handler runs, so no body of any shape gets
//! past it and none can hold a request open longer than the timeout. A body still
//! arriving when the server stops accepting (shutdown) is cut off the same way, so a
//! slow client never holds up shutdown beyond the drain.

use std::time::Duration;

use poem::error::ReadBodyError;
use poem::http::StatusCode;
use poem::web::headers::{ContentLength, HeaderMapExt};
use poem::{Body, Endpoint, Middleware, Request, Result};

use crate::lifecycle::Lifecycle;
use crate::pipeline::filters::{ApiError, ErrorCode};

/// The body guard, built from `server.body_limit_bytes` and
/// `server.request_timeout_secs`.
#[derive(Debug, Clone)]
pub struct BodyLimit {
    max_bytes: usize,
    timeout: Duration,
    lifecycle: Option<Lifecycle>,
}

impl BodyLimit {
    /// Allows bodies of at most `max_bytes` that arrive within `timeout`; with a
    /// `lifecycle`, also cuts off bodies still arriving when the server closes.
    pub fn new(max_bytes: usize, timeout: Duration, lifecycle: Option<Lifecycle>) -> Self {
        Self {
            max_bytes,
            timeout,
            lifecycle,
        }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            limit: self.clone(),
        }
    }
}

/// The endpoint produced by [`BodyLimit`].
pub struct BodyLimitEndpoint<E> {
    inner: E,
    limit: BodyLimit,
}

fn too_large() -> poem::Error {
    poem::Error::from_string("payload too large", StatusCode::PAYLOAD_TOO_LARGE)
}

/// How long a body still arriving when the server closes may take to finish: plenty
/// for one a proxy is sending right then (a request that came on a connection the
/// server accepted just before it closed), far too little to hold the shutdown up.
pub const CLOSING_BODY_GRACE: Duration = Duration::from_secs(1);

fn cut_at_shutdown() -> poem::Error {
    ApiError::new(
        ErrorCode::RequestTimeout,
        "the server shut down before the request body arrived; send it again",
    )
    .with_connection_close()
    .into()
}

fn too_slow(timeout: Duration) -> poem::Error {
    ApiError::new(
        ErrorCode::RequestTimeout,
        format!(
            "the request body did not arrive within {} s",
            timeout.as_secs()
        ),
    )
    .with_connection_close()
    .into()
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if let Some(ContentLength(length)) = req.headers().typed_get::<ContentLength>()
            && usize::try_from(length).map_or(true, |length| length > self.limit.max_bytes)
        {
            return Err(too_large());
        }
        let body = req.take_body();
        if !body.is_empty() {
            let read = body.into_bytes_limit(self.limit.max_bytes);
            let closing = async {
                match &self.limit.lifecycle {
                    Some(lifecycle) => {
                        lifecycle.closing().await;
                        tokio::time::sleep(CLOSING_BODY_GRACE).await;
                    }
                    None => std::future::pending().await,
                }
            };
            let bytes = tokio::select! {
                read = tokio::time::timeout(self.limit.timeout, read) => match read {
                    Ok(Ok(bytes)) => bytes,
                    Ok(Err(ReadBodyError::PayloadTooLarge)) => return Err(too_large()),
                    Ok(Err(other)) => return Err(other.into()),
                    Err(_) => return Err(too_slow(self.limit.timeout)),
                },
                () = closing => return Err(cut_at_shutdown()),
            };
            req.set_body(Body::from_bytes(bytes));
        }
        self.inner.call(req).await
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;
    use poem::{EndpointExt, endpoint::make};

    use super::*;

    fn app_with(limit: BodyLimit) -> impl Endpoint {
        make(|req: Request| async move {
            req.into_body()
                .into_vec()
                .await
                .map(|b| b.len().to_string())
        })
        .with(limit)
    }

    fn app() -> impl Endpoint {
        app_with(BodyLimit::new(4, Duration::from_secs(5), None))
    }

    /// A body that sends `first` and then nothing, never ending.
    fn stalled_body(first: &'static [u8]) -> Body {
        let chunks =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(first))])
                .chain(futures_util::stream::pending());
        Body::from_bytes_stream(chunks)
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

    #[tokio::test]
    async fn a_body_that_stops_arriving_is_a_408_that_closes_the_connection() {
        let app = app_with(BodyLimit::new(1024, Duration::from_millis(100), None));
        let req = Request::builder()
            .header("content-length", "10")
            .body(stalled_body(b"12"));
        let err = tokio::time::timeout(Duration::from_secs(5), app.call(req))
            .await
            .expect("answered in time")
            .err()
            .expect("refused");
        assert_eq!(err.status(), StatusCode::REQUEST_TIMEOUT);
        let response = crate::pipeline::filters::classify(err).to_response("rid");
        assert_eq!(response.headers()["connection"], "close");
    }

    /// A body that sends `first`, and `rest` after `delay`.
    fn late_body(first: &'static [u8], rest: &'static [u8], delay: Duration) -> Body {
        let chunks =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(first))])
                .chain(futures_util::stream::once(async move {
                    tokio::time::sleep(delay).await;
                    Ok(bytes::Bytes::from_static(rest))
                }));
        Body::from_bytes_stream(chunks)
    }

    #[tokio::test]
    async fn a_body_arriving_promptly_after_the_server_closed_is_still_read() {
        let (control, lifecycle) = Lifecycle::new();
        control.start_closing();
        let app = app_with(BodyLimit::new(
            1024,
            Duration::from_secs(60),
            Some(lifecycle),
        ));
        let req = Request::builder()
            .header("content-length", "4")
            .body(late_body(b"12", b"34", Duration::from_millis(100)));
        let answer = tokio::time::timeout(Duration::from_secs(5), app.call(req))
            .await
            .expect("answered");
        assert!(answer.is_ok(), "{:?}", answer.err());
    }

    #[tokio::test]
    async fn a_body_still_arriving_when_the_server_closes_is_cut_off_after_a_grace() {
        let (control, lifecycle) = Lifecycle::new();
        let app = app_with(BodyLimit::new(
            1024,
            Duration::from_secs(60),
            Some(lifecycle),
        ));
        let req = Request::builder()
            .header("content-length", "10")
            .body(stalled_body(b"12"));
        let call = tokio::spawn(async move { app.call(req).await.err().map(|e| e.status()) });
        tokio::time::sleep(Duration::from_millis(50)).await;
        control.start_closing();
        let status = tokio::time::timeout(Duration::from_secs(5), call)
            .await
            .expect("cut off within the grace")
            .expect("joined");
        assert_eq!(status, Some(StatusCode::REQUEST_TIMEOUT));
    }
}
