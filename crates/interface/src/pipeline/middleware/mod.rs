//! Middleware: what runs around everything, before routing and guards.
//!
//! - [`RequestIdMiddleware`] gives each request an id (echoing a well-formed incoming
//!   `x-request-id`), opens a tracing span carrying it, and returns it on the response.
//! - [`HeadLimits`] refuses over-long targets (414) and header blocks (431) in the
//!   envelope.
//! - [`BodyLimit`] refuses bodies larger than `server.body_limit_bytes` with 413,
//!   whether or not the client announced the length, and bodies that do not arrive
//!   within `server.request_timeout_secs` with 408.
//! - [`ClientIpMiddleware`] resolves the client's address, trusting
//!   `X-Forwarded-For` only from `server.trusted_proxies`.
//! - [`SecurityHeaders`] adds `X-Content-Type-Options`, `Referrer-Policy` and
//!   `X-Frame-Options` to every response (pages add their own CSP).

mod body_limit;
mod client_ip;
mod head_limits;
mod request_id;
mod security_headers;

pub use body_limit::BodyLimit;
pub use client_ip::{ClientIp, ClientIpEndpoint, ClientIpMiddleware};
pub use head_limits::{HeadLimits, HeadLimitsEndpoint, MAX_HEADER_BYTES, MAX_URI_BYTES};
pub use request_id::{
    REQUEST_ID_HEADER, RequestFacts, RequestId, RequestIdEndpoint, RequestIdMiddleware,
};
pub use security_headers::SecurityHeaders;
