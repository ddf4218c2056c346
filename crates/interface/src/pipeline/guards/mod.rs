//! Guards: decide whether a request may reach its handler at all.
//!
//! - [`Auth`] / [`OptionalAuth`] — the auth guard: a bearer token or the `sid` cookie
//!   (with the CSRF origin check for cookie-authenticated unsafe requests). A handler
//!   declares it by taking the type as a parameter.
//! - [`ThrottleGuard`] — per-key request limits in the store (429 + `Retry-After`).

mod auth;
mod throttle;

pub use auth::{
    Auth, BearerAuth, GuardContext, OptionalAuth, SESSION_COOKIE, SessionAuth, origin_of,
};
pub use throttle::ThrottleGuard;
