//! `ApiError`: the one error type handlers return, and the only place (with
//! [`super::exception`]) that knows HTTP status codes and error codes.

use std::fmt;

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use qblog_domain::auth::AuthError;
use qblog_domain::store::StoreError;
use qblog_domain::validation::FieldError;

/// Seconds a client is asked to wait after a 503.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// The error envelope of docs/api-contract.md (`ErrorModel` of the Node blog plus machine fields).
#[derive(Debug, Clone, Object)]
#[oai(rename = "Error")]
pub struct ErrorBody {
    /// Always -1 for errors.
    pub errno: i32,
    /// Machine-readable error code in snake_case, e.g. `validation_failed`.
    pub code: String,
    /// Human-readable description, safe to show.
    pub message: String,
    /// The request's id, as in the `x-request-id` response header.
    pub request_id: String,
}

/// The error codes of docs/api-contract.md, one per kind of failure a client can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: bad input of any kind.
    ValidationFailed,
    /// 401: no or bad credentials.
    Unauthenticated,
    /// 403: authenticated, but not allowed.
    Forbidden,
    /// 404: no such resource or route.
    NotFound,
    /// 408: the request's body did not arrive within `server.request_timeout_secs`.
    RequestTimeout,
    /// 405: the route exists, the method does not.
    MethodNotAllowed,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 410: the resource existed but is gone for good (an expired QR code).
    Gone,
    /// 413: the body is larger than `server.body_limit_bytes`.
    PayloadTooLarge,
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 429: too many requests; see `Retry-After`.
    TooManyRequests,
    /// 500: a fault of the service.
    Internal,
    /// 503: a dependency is down; see `Retry-After`.
    Unavailable,
}

impl ErrorCode {
    /// The snake_case code clients match on.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "validation_failed",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::RequestTimeout => "request_timeout",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::Gone => "gone",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests => "too_many_requests",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::ValidationFailed => StatusCode::BAD_REQUEST,
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Gone => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code for a status the framework produced on its own.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            408 => Self::RequestTimeout,
            409 => Self::Conflict,
            410 => Self::Gone,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            429 => Self::TooManyRequests,
            503 => Self::Unavailable,
            400..=499 => Self::ValidationFailed,
            _ => Self::Internal,
        }
    }
}

/// An error on its way to the client.
///
/// `code` and `message` are what the client sees; `cause` is what the log sees.
/// The envelope itself (with the request id) is written by the exception filter.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    /// Overrides the code's own snake_case name for a more specific one
    /// (`username_taken`, `qrcode_expired`, …).
    specific: Option<&'static str>,
    status: StatusCode,
    message: String,
    retry_after_secs: Option<u64>,
    /// Close the connection after this response (`Connection: close`).
    close: bool,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// An error with a code and a message for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            specific: None,
            status: code.status(),
            message: message.into(),
            retry_after_secs: None,
            close: false,
            cause: None,
        }
    }

    /// 400 naming the field that was wrong and why.
    pub fn validation(field: &str, problem: impl fmt::Display) -> Self {
        Self::new(ErrorCode::ValidationFailed, format!("{field}: {problem}"))
    }

    /// 404 for a resource that does not exist (or is not visible).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, what)
    }

    /// 500 whose cause is logged but never shown.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::new(ErrorCode::Internal, "internal error").with_cause(cause)
    }

    /// 503 for a dependency that is down (a feature error's `Unavailable`): a general
    /// message for the client, the cause for the log.
    pub fn outage(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::unavailable("a dependency is unavailable, retry later").with_cause(cause)
    }

    /// 503: a dependency is down; clients are told when to retry.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message).with_retry_after(UNAVAILABLE_RETRY_AFTER_SECS)
    }

    /// Keeps the code but answers with `status` (a 414 or 431 under the general
    /// `validation_failed`).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Uses a more specific code than the status's general one (same status).
    pub fn with_specific_code(mut self, code: &'static str) -> Self {
        self.specific = Some(code);
        self
    }

    /// Adds a `Retry-After` header (429, 503).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// Closes the connection after the response: the rest of what the client sends
    /// on it (an unfinished body) is not read.
    pub fn with_connection_close(mut self) -> Self {
        self.close = true;
        self
    }

    /// Attaches the underlying error, for the log only.
    pub fn with_cause(
        mut self,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code clients match on.
    pub fn code(&self) -> &'static str {
        self.specific.unwrap_or(self.code.as_str())
    }

    /// The message clients see.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The cause chain for the log, if any.
    pub fn cause_chain(&self) -> Option<String> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = self
            .cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static));
        let mut parts = Vec::new();
        while let Some(err) = current {
            parts.push(err.to_string());
            current = err.source();
        }
        (!parts.is_empty()).then(|| parts.join(": "))
    }

    /// Renders the envelope for the request `request_id`.
    pub fn to_response(&self, request_id: &str) -> Response {
        let body = ErrorBody {
            errno: -1,
            code: self.code().to_owned(),
            message: self.message.clone(),
            request_id: request_id.to_owned(),
        };
        let mut response = poem_openapi::payload::Json(body)
            .with_status(self.status)
            .into_response();
        if let Some(secs) = self.retry_after_secs {
            response
                .headers_mut()
                .insert(poem::http::header::RETRY_AFTER, secs.into());
        }
        if self.close {
            response.headers_mut().insert(
                poem::http::header::CONNECTION,
                poem::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code(), self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    /// Used only if an `ApiError` escapes the exception filter (it should not): the
    /// envelope then lacks a request id.
    fn as_response(&self) -> Response {
        self.to_response("")
    }
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The error envelope: `errno` -1, a snake_case `code`, a \
                              `message` and the `request_id`.",
                status: None,
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: ErrorBody::schema_ref(),
                }],
                headers: vec![poem_openapi::registry::MetaHeader {
                    name: "Retry-After".to_owned(),
                    description: Some("Seconds to wait, on 429 and 503.".to_owned()),
                    required: false,
                    deprecated: false,
                    schema: u64::schema_ref(),
                }],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => Self::outage(err),
            StoreError::Unexpected(_) => Self::internal(err),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        Self::validation(err.field, err.problem)
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::InvalidCredentials => {
                Self::new(ErrorCode::Unauthenticated, "wrong username or password")
                    .with_specific_code("invalid_credentials")
            }
            AuthError::Unauthenticated => Self::new(ErrorCode::Unauthenticated, "please log in"),
            AuthError::UnknownSession => Self::not_found("no such session"),
            AuthError::NotAllowed => Self::new(
                ErrorCode::Forbidden,
                "a session started by a QR code may end only itself; sign in with a password",
            ),
            AuthError::Throttled { retry_after } => Self::new(
                ErrorCode::TooManyRequests,
                "too many failed logins, try again later",
            )
            .with_retry_after(retry_after.as_secs().max(1)),
            AuthError::Unavailable(_) => Self::outage(err),
            AuthError::Unexpected(_) => Self::internal(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use qblog_domain::user::UserError;

    use super::*;

    #[test]
    fn the_contract_codes_of_the_auth_and_user_errors() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (
                AuthError::InvalidCredentials.into(),
                401,
                "invalid_credentials",
            ),
            (AuthError::Unauthenticated.into(), 401, "unauthenticated"),
            (
                AuthError::Throttled {
                    retry_after: std::time::Duration::from_secs(30),
                }
                .into(),
                429,
                "too_many_requests",
            ),
            (
                AuthError::Unavailable("x".into()).into(),
                503,
                "unavailable",
            ),
            (UserError::UsernameTaken.into(), 409, "username_taken"),
            (
                FieldError::new("username", "too short").into(),
                400,
                "validation_failed",
            ),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status().as_u16(), status, "{err}");
            assert_eq!(err.code(), code, "{err}");
        }
    }

    #[test]
    fn a_throttled_login_says_when_to_retry() {
        let err = ApiError::from(AuthError::Throttled {
            retry_after: std::time::Duration::from_secs(30),
        });
        let response = err.to_response("rid");
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("30")
        );
    }

    #[test]
    fn every_code_maps_back_from_its_own_status() {
        for code in [
            ErrorCode::ValidationFailed,
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::RequestTimeout,
            ErrorCode::MethodNotAllowed,
            ErrorCode::Conflict,
            ErrorCode::Gone,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::TooManyRequests,
            ErrorCode::Internal,
            ErrorCode::Unavailable,
        ] {
            assert_eq!(ErrorCode::for_status(code.status()), code);
        }
    }

    #[test]
    fn an_unavailable_store_is_a_503_with_retry_after_and_no_detail() {
        let err = ApiError::from(StoreError::Unavailable("10.0.0.5:6379 refused".into()));
        let response = err.to_response("rid");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
        assert!(!err.message().contains("10.0.0.5"));
        assert!(err.cause_chain().is_some_and(|c| c.contains("10.0.0.5")));
    }

    #[test]
    fn a_specific_code_replaces_the_general_one() {
        let err = ApiError::new(ErrorCode::Conflict, "taken").with_specific_code("username_taken");
        assert_eq!(err.code(), "username_taken");
        assert_eq!(err.status(), StatusCode::CONFLICT);
    }
}
