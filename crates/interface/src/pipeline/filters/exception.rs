//! The catch-all exception filter middleware.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::{ApiError, ErrorCode};
use crate::pipeline::middleware::{RequestFacts, RequestId};

/// Wraps the routes: errors and panics out, envelopes in.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExceptionFilter;

impl<E: Endpoint> Middleware<E> for ExceptionFilter {
    type Output = ExceptionFilterEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ExceptionFilterEndpoint { inner }
    }
}

/// The endpoint produced by [`ExceptionFilter`].
pub struct ExceptionFilterEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for ExceptionFilterEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let request_id = RequestId::of(&req);
        let facts = RequestFacts::of(&req);
        let outcome = AssertUnwindSafe(self.inner.call(req)).catch_unwind().await;
        let error = match outcome {
            Ok(Ok(response)) => return Ok(response.into_response()),
            Ok(Err(err)) => {
                if err.is::<poem::error::NotFoundError>()
                    && let Some(facts) = &facts
                {
                    facts.mark_unmatched();
                }
                classify(err)
            }
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-text panic payload".to_owned());
                ApiError::internal(format!("handler panicked: {what}"))
            }
        };
        log(&error);
        Ok(error.to_response(&request_id))
    }
}

/// Maps any `poem::Error` to the [`ApiError`] the client should see.
///
/// An `ApiError` a handler returned passes through unchanged; the framework's own
/// errors are classified by status, keeping their message for client mistakes (it
/// describes the client's input) and hiding it for server faults.
pub fn classify(err: poem::Error) -> ApiError {
    if err.is::<ApiError>() {
        return match err.downcast::<ApiError>() {
            Ok(api_error) => api_error,
            Err(err) => ApiError::internal(err.to_string()),
        };
    }
    let status = err.status();
    let code = ErrorCode::for_status(status);
    match code {
        ErrorCode::Unavailable => ApiError::unavailable("a dependency is unavailable, retry later")
            .with_cause(err.to_string()),
        ErrorCode::Internal => ApiError::new(code, "internal error").with_cause(err.to_string()),
        ErrorCode::Unauthenticated => ApiError::new(code, "please log in"),
        ErrorCode::NotFound if err.is::<poem::error::NotFoundError>() => {
            ApiError::new(code, "no such route")
        }
        ErrorCode::MethodNotAllowed => {
            ApiError::new(code, "this route does not accept that method")
        }
        ErrorCode::PayloadTooLarge => {
            ApiError::new(code, "the request body is larger than the server accepts")
        }
        ErrorCode::UnsupportedMediaType => {
            ApiError::new(code, format!("unsupported content type: {err}"))
        }
        _ => ApiError::new(code, err.to_string()),
    }
}

/// Logs the failure once (the request span adds the id) and counts service faults.
pub(crate) fn log(error: &ApiError) {
    let status = error.status().as_u16();
    if status >= 500 {
        metrics::counter!("qblog_errors_total", "code" => error.code()).increment(1);
    }
    match error.cause_chain() {
        Some(cause) if status >= 500 => {
            tracing::error!(status, code = error.code(), %cause, "request failed");
        }
        Some(cause) => tracing::info!(status, code = error.code(), %cause, "request refused"),
        None => tracing::debug!(status, code = error.code(), "request refused"),
    }
}

#[cfg(test)]
mod tests {
    use poem::http::StatusCode;
    use poem::{EndpointExt, Route, get, handler};

    use super::*;

    #[handler]
    fn panics() -> &'static str {
        panic!("boom")
    }

    #[handler]
    fn refuses() -> Result<&'static str> {
        Err(ApiError::new(ErrorCode::Forbidden, "not yours").into())
    }

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = response.into_body().into_vec().await.expect("body");
        serde_json::from_slice(&bytes).expect("json envelope")
    }

    fn app() -> impl Endpoint<Output = Response> {
        Route::new()
            .at("/panic", get(panics))
            .at("/refuse", get(refuses))
            .with(ExceptionFilter)
            .map_to_response()
    }

    #[tokio::test]
    async fn a_panic_becomes_a_500_envelope() {
        let response = app()
            .call(Request::builder().uri_str("/panic").finish())
            .await
            .expect("filtered");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(response).await;
        assert_eq!(body["errno"], -1);
        assert_eq!(body["code"], "internal");
        assert!(!body.to_string().contains("boom"));
    }

    #[tokio::test]
    async fn a_handler_error_keeps_its_code_and_message() {
        let response = app()
            .call(Request::builder().uri_str("/refuse").finish())
            .await
            .expect("filtered");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let body = body_of(response).await;
        assert_eq!(body["code"], "forbidden");
        assert_eq!(body["message"], "not yours");
    }

    #[tokio::test]
    async fn an_unknown_route_is_a_404_envelope() {
        let response = app()
            .call(Request::builder().uri_str("/nope").finish())
            .await
            .expect("filtered");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body_of(response).await["code"], "not_found");
    }

    #[test]
    fn framework_server_faults_hide_their_message() {
        let err = poem::Error::from_string("db password wrong", StatusCode::BAD_GATEWAY);
        let api = classify(err);
        assert_eq!(api.message(), "internal error");
        assert!(api.cause_chain().is_some_and(|c| c.contains("password")));
    }
}
