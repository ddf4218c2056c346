//! `compat.legacy_error_status`: errors on `/api/` answered with HTTP 200, as the Node
//! blog answered them, for front ends that read `errno` in their success handler.

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

/// Sends every `/api/` error — envelope, headers and all — with status 200 when
/// enabled. It wraps the whole pipeline, so the access log and the metrics, which
/// run inside it, record the status the error really had. Health probes and pages
/// keep their statuses: load balancers and browsers read them.
#[derive(Debug, Clone, Copy)]
pub struct LegacyErrorStatus {
    enabled: bool,
}

impl LegacyErrorStatus {
    /// The filter, on or off (`compat.legacy_error_status`).
    pub fn new(enabled: bool) -> Self {
        Self { enabled }
    }
}

impl<E: Endpoint> Middleware<E> for LegacyErrorStatus {
    type Output = LegacyErrorStatusEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        LegacyErrorStatusEndpoint {
            inner,
            enabled: self.enabled,
        }
    }
}

/// The endpoint produced by [`LegacyErrorStatus`].
pub struct LegacyErrorStatusEndpoint<E> {
    inner: E,
    enabled: bool,
}

/// Whether the setting applies to requests for `path`: the API, not probes or pages.
fn applies_to(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Whether a response with `status` is an error the setting sends as 200.
fn is_error(status: StatusCode) -> bool {
    status.is_client_error() || status.is_server_error()
}

impl<E: Endpoint> Endpoint for LegacyErrorStatusEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        if !self.enabled {
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let applies = applies_to(req.uri().path());
        let mut response = self.inner.call(req).await?.into_response();
        if applies && is_error(response.status()) {
            response.set_status(StatusCode::OK);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_errors_are_sent_as_ok() {
        assert!(applies_to("/api/user/login") && is_error(StatusCode::UNAUTHORIZED));
        assert!(is_error(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_error(StatusCode::CREATED));
        assert!(!applies_to("/health/ready"));
        assert!(!applies_to("/qrcode-login"));
    }
}
