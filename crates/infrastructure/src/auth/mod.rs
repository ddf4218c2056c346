//! Adapters of the authentication ports: JWT tokens, and device sessions and
//! throttling counters kept on the key-value store port.

mod jwt;
mod sessions;
mod throttle;

pub use jwt::{JwtKeys, JwtTokenIssuer, JwtTokenIssuerParameters};
pub use sessions::StoreSessionStore;
pub use throttle::{StoreThrottle, counter_key};
