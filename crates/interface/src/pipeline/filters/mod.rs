//! Exception filters: every failure becomes the error envelope of docs/api-contract.md here.
//!
//! Handlers return [`ApiError`]; the framework raises its own errors (unknown route,
//! bad JSON, wrong content type, missing parameter, …); a handler may even panic.
//! [`ExceptionFilter`] turns each of them into one envelope carrying the request id, and
//! logs the cause once, with that id, when it is the service's fault.
//! [`LegacyErrorStatus`], outermost, may then send `/api/` errors with status 200
//! (`compat.legacy_error_status`).

mod api_error;
mod exception;
mod legacy_status;

pub use api_error::{ApiError, ErrorBody, ErrorCode};
pub(crate) use exception::log;
pub use exception::{ExceptionFilter, RouteMethods, classify};
pub use legacy_status::{LegacyErrorStatus, LegacyErrorStatusEndpoint};
