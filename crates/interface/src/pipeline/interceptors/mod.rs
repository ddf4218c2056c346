//! Interceptors: code that runs before and after a handler, around its result.
//!
//! - [`AccessLog`] writes one combined-format line per request (secrets in the
//!   target redacted) through a non-blocking writer.
//! - [`Timing`] records each request's duration and status in the metrics, by route
//!   template.
//! - [`Reply`] is the success-envelope interceptor, applied by type: a handler
//!   returns its payload as `Reply<T>` (or `Reply<T, 201>`) and the envelope
//!   `{"errno": 0, "data": …}` — in the response and in the OpenAPI document — is
//!   produced here, once, for every handler.

mod access_log;
mod envelope;
mod metrics;

pub use access_log::{AccessLog, AccessLogEndpoint, AccessLogSink, AccessRecord, redacted_target};
pub use envelope::{Envelope, PagedReply, Reply, SessionReply, TOTAL_COUNT_HEADER};
pub use metrics::{Timing, TimingEndpoint, method_label};
