//! The request pipeline, named by NestJS role. `build_app` (lib.rs) assembles it;
//! a request meets the layers in this order, outermost first:
//!
//! ```text
//! legacy error status (filters)        /api/ errors as 200 when compat asks for it
//! request id + tracing span            (middleware)
//! head limits, client address          (middleware)
//! access log, timing/metrics           (interceptors: they see the whole exchange)
//! ── park ──                           long-polls wait here, outside what follows
//! security headers                     (middleware)
//! exception filter                     (filters: every error into the envelope)
//! CORS, body limit                     (middleware)
//! routing → guards → pipes → handler → Reply (interceptor: the success envelope)
//! ```
//!
//! Unlike NestJS, logging and timing sit outside the guards: a refused request is
//! logged and counted like any other.
//!
//! - [`middleware`]: request id and span, head and body limits, client address,
//!   security headers.
//! - [`guards`]: who may call a route (authentication, CSRF, throttles).
//! - [`interceptors`]: the access log, timing and metrics, the success envelope.
//! - [`pipes`]: DTO → domain type conversion and sanitising.
//! - [`filters`]: every error, the framework's included, into the error envelope;
//!   the legacy error status.
//! - [`park`]: long-polls wait outside the inner layers, then run through them again.

pub mod filters;
pub mod guards;
pub mod interceptors;
pub mod middleware;
pub mod park;
pub mod pipes;
