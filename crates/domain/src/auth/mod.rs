//! Authentication: sessions for browsers, signed bearer tokens for apps.

mod error;
mod model;
mod ports;

pub use error::AuthError;
pub use model::{
    AccessToken, Credential, IssuedToken, Principal, SessionData, SessionId, TokenClaims, TokenId,
};
pub use ports::{SessionStore, TokenIssuer, TokenRevocations};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockSessionStore, MockTokenIssuer, MockTokenRevocations};
