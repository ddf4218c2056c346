//! The request pipeline, named by NestJS role, in the order a request meets it:
//!
//! ```text
//! middleware ──► guards ──► interceptors (before) ──► pipes ──► handler
//!                                                                 │
//! client ◄── exception filters ◄── interceptors (after) ◄─────────┘
//! ```
//!
//! - [`middleware`]: request id + tracing span, body-size limit.
//! - [`guards`]: who may call a route.
//! - [`interceptors`]: the success envelope.
//! - [`pipes`]: DTO → domain type conversion.
//! - [`filters`]: every error, the framework's included, into the error envelope.
//! - [`park`]: long-polls wait outside all of the above, then run through it again.

pub mod filters;
pub mod guards;
pub mod interceptors;
pub mod middleware;
pub mod park;
pub mod pipes;
