//! Middleware: what runs around everything, before routing and guards.
//!
//! - [`RequestIdMiddleware`] gives each request an id (echoing a well-formed incoming
//!   `x-request-id`), opens a tracing span carrying it, and returns it on the response.
//! - [`BodyLimit`] refuses bodies larger than `server.body_limit_bytes` with 413,
//!   whether or not the client announced the length.
//! - [`ClientIpMiddleware`] resolves the client's address, trusting
//!   `X-Forwarded-For` only from `server.trusted_proxies`.
//! - [`SecurityHeaders`] adds `X-Content-Type-Options`, `Referrer-Policy` and
//!   `X-Frame-Options` to every response (pages add their own CSP).

mod body_limit;
mod client_ip;
mod request_id;
mod security_headers;

pub use body_limit::BodyLimit;
pub use client_ip::{ClientIp, ClientIpEndpoint, ClientIpMiddleware};
pub use request_id::{
    REQUEST_ID_HEADER, RequestFacts, RequestId, RequestIdEndpoint, RequestIdMiddleware,
};
pub use security_headers::SecurityHeaders;
