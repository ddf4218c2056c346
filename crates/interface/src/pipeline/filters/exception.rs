//! The catch-all exception filter middleware.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use poem::http::{HeaderValue, Uri};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use super::{ApiError, ErrorCode};
use crate::pipeline::middleware::{RequestFacts, RequestId};

/// The methods each route path accepts, for the `Allow` header of a 405.
#[derive(Debug, Clone, Default)]
pub struct RouteMethods(HashMap<String, HeaderValue>);

impl RouteMethods {
    /// The paths and methods of an OpenAPI document (`HEAD` wherever `GET` is).
    pub fn from_openapi(document: &str) -> Self {
        let mut routes = Self::default();
        let Ok(document) = serde_json::from_str::<serde_json::Value>(document) else {
            return routes;
        };
        let Some(paths) = document["paths"].as_object() else {
            return routes;
        };
        for (path, operations) in paths {
            let methods: Vec<String> = operations
                .as_object()
                .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                .unwrap_or_default();
            routes = routes.with(
                path,
                &methods.iter().map(String::as_str).collect::<Vec<_>>(),
            );
        }
        routes
    }

    /// Adds (or replaces) `path` with `methods` (`HEAD` added wherever `GET` is).
    #[must_use]
    pub fn with(mut self, path: &str, methods: &[&str]) -> Self {
        let mut all: Vec<&str> = methods.to_vec();
        if all.contains(&"GET") && !all.contains(&"HEAD") {
            all.push("HEAD");
        }
        if let Ok(value) = HeaderValue::from_str(&all.join(", ")) {
            self.0.insert(path.to_owned(), value);
        }
        self
    }

    fn allowed(&self, path: &str) -> Option<&HeaderValue> {
        self.0.get(path)
    }
}

/// Wraps the routes: errors and panics out, envelopes in.
#[derive(Debug, Default, Clone)]
pub struct ExceptionFilter {
    routes: Arc<RouteMethods>,
}

impl ExceptionFilter {
    /// A filter whose 405s name the methods of `routes` in `Allow`.
    pub fn with_routes(routes: RouteMethods) -> Self {
        Self {
            routes: Arc::new(routes),
        }
    }
}

impl<E: Endpoint> Middleware<E> for ExceptionFilter {
    type Output = ExceptionFilterEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        ExceptionFilterEndpoint {
            inner,
            routes: Arc::clone(&self.routes),
        }
    }
}

/// The endpoint produced by [`ExceptionFilter`].
pub struct ExceptionFilterEndpoint<E> {
    inner: E,
    routes: Arc<RouteMethods>,
}

impl<E: Endpoint> Endpoint for ExceptionFilterEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let request_id = RequestId::of(&req);
        let facts = RequestFacts::of(&req);
        // Cheap (shared bytes); needed only to name the allowed methods of a 405.
        let uri: Uri = req.uri().clone();
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
        let mut response = error.to_response(&request_id);
        if error.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
            && let Some(allow) = self.routes.allowed(uri.path())
        {
            response
                .headers_mut()
                .insert(poem::http::header::ALLOW, allow.clone());
        }
        Ok(response)
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
    if let Some(param) = err.downcast_ref::<poem_openapi::error::ParseParamError>() {
        return ApiError::validation(param.name, parameter_problem(&param.reason));
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
        // A client mistake without a code of its own (411, 414, 431, …) keeps its
        // status under the general code.
        ErrorCode::ValidationFailed => ApiError::new(code, err.to_string()).with_status(status),
        _ => ApiError::new(code, err.to_string()),
    }
}

/// What a query, header or cookie parameter the framework could not parse must be, in
/// words (its own reason names Rust types and quotes parsers).
fn parameter_problem(reason: &str) -> &'static str {
    if reason.contains("expects an input value") {
        return "is required";
    }
    const TYPES: [(&str, &str); 8] = [
        (
            "integer(uint32)",
            "must be a whole number from 0 to 4294967295",
        ),
        ("integer(uint64)", "must be a whole number from 0 up"),
        ("integer(uint16)", "must be a whole number from 0 to 65535"),
        ("integer(int32)", "must be a whole number"),
        ("integer(int64)", "must be a whole number"),
        ("integer", "must be a whole number"),
        ("number", "must be a number"),
        ("boolean", "must be true or false"),
    ];
    TYPES
        .iter()
        .find(|(ty, _)| reason.contains(&format!("\"{ty}\"")))
        .map_or("has an invalid value", |(_, words)| *words)
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
            .with(ExceptionFilter::with_routes(
                RouteMethods::default().with("/panic", &["GET"]),
            ))
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

    #[tokio::test]
    async fn a_wrong_method_is_a_405_naming_the_allowed_ones() {
        let response = app()
            .call(
                Request::builder()
                    .method(poem::http::Method::DELETE)
                    .uri_str("/panic")
                    .finish(),
            )
            .await
            .expect("filtered");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
    }

    #[test]
    fn the_methods_of_an_openapi_document_are_read_per_path() {
        let routes =
            RouteMethods::from_openapi(r#"{"paths":{"/a":{"get":{}},"/b":{"post":{},"get":{}}}}"#);
        assert_eq!(
            routes.allowed("/a").map(|v| v.to_str().ok()),
            Some(Some("GET, HEAD"))
        );
        let b = routes
            .allowed("/b")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            b.contains("POST") && b.contains("GET") && b.contains("HEAD"),
            "{b}"
        );
        assert!(routes.allowed("/c").is_none());
    }

    #[test]
    fn a_parameter_the_framework_cannot_parse_is_named_in_plain_words() {
        let cases = [
            (
                "failed to parse \"integer(uint32)\": invalid digit found in string \
                 (occurred while parsing \"optional_integer(uint32)\")",
                "page: must be a whole number from 0 to 4294967295",
            ),
            (
                "Type \"string\" expects an input value.",
                "page: is required",
            ),
            (
                "failed to parse \"boolean\": nope",
                "page: must be true or false",
            ),
            ("something new", "page: has an invalid value"),
        ];
        for (reason, message) in cases {
            let err = poem::Error::from(poem_openapi::error::ParseParamError {
                name: "page",
                reason: reason.to_owned(),
            });
            let api = classify(err);
            assert_eq!(api.status().as_u16(), 400);
            assert_eq!(api.message(), message);
        }
    }

    #[test]
    fn framework_server_faults_hide_their_message() {
        let err = poem::Error::from_string("db password wrong", StatusCode::BAD_GATEWAY);
        let api = classify(err);
        assert_eq!(api.message(), "internal error");
        assert!(api.cause_chain().is_some_and(|c| c.contains("password")));
    }
}
