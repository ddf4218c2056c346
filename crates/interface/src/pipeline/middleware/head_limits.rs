//! Refuses oversized request heads in the envelope of docs/api-contract.md: a target longer than
//! [`MAX_URI_BYTES`] is 414, header fields adding up to more than
//! [`MAX_HEADER_BYTES`] are 431, both `validation_failed` with the request id.
//!
//! The HTTP parser has limits of its own, far higher (a 64 KiB target, a ~400 KiB
//! head); what passes them but not these gets an envelope instead of the parser's
//! bare status line. nginx's defaults (`large_client_header_buffers 4 8k`) refuse
//! such requests before they arrive.

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::pipeline::filters::{ApiError, ErrorCode, log};
use crate::pipeline::middleware::RequestId;

/// The longest request target (path and query) accepted, in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most bytes of header names and values accepted in one request.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The head-size guard; must run inside the request id middleware.
#[derive(Debug, Default, Clone, Copy)]
pub struct HeadLimits;

impl<E: Endpoint> Middleware<E> for HeadLimits {
    type Output = HeadLimitsEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        HeadLimitsEndpoint { inner }
    }
}

/// The endpoint produced by [`HeadLimits`].
pub struct HeadLimitsEndpoint<E> {
    inner: E,
}

fn refusal(req: &Request) -> Option<ApiError> {
    let target = req
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(
            ApiError::new(
                ErrorCode::ValidationFailed,
                format!("the request target is longer than {MAX_URI_BYTES} bytes"),
            )
            .with_status(StatusCode::URI_TOO_LONG),
        );
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Some(
            ApiError::new(
                ErrorCode::ValidationFailed,
                format!("the request's header fields exceed {MAX_HEADER_BYTES} bytes"),
            )
            .with_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
            .with_connection_close(),
        );
    }
    None
}

impl<E: Endpoint> Endpoint for HeadLimitsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        if let Some(error) = refusal(&req) {
            log(&error);
            return Ok(error.to_response(&RequestId::of(&req)));
        }
        Ok(self.inner.call(req).await?.into_response())
    }
}

#[cfg(test)]
mod tests {
    use poem::EndpointExt;
    use poem::endpoint::make_sync;

    use super::*;

    async fn status_of(req: Request) -> u16 {
        let app = make_sync(|_| "ok").with(HeadLimits);
        app.call(req).await.expect("answered").status().as_u16()
    }

    #[tokio::test]
    async fn a_long_target_is_414_and_large_headers_are_431() {
        let long = format!("/x?q={}", "a".repeat(MAX_URI_BYTES));
        assert_eq!(
            status_of(Request::builder().uri_str(&long).finish()).await,
            414
        );
        let big = "v".repeat(MAX_HEADER_BYTES);
        let req = Request::builder().header("x-big", big).finish();
        assert_eq!(status_of(req).await, 431);
        assert_eq!(
            status_of(Request::builder().uri_str("/x?q=1").finish()).await,
            200
        );
    }
}
