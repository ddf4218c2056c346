//! Adapters of the authentication ports: JWT tokens, and sessions, revocations and
//! throttling counters kept on the key-value store port.

mod jwt;
mod revocations;
mod sessions;
mod throttle;

pub use jwt::{JwtKeys, JwtTokenIssuer, JwtTokenIssuerParameters};
pub use revocations::StoreTokenRevocations;
pub use sessions::StoreSessionStore;
pub use throttle::StoreThrottle;
