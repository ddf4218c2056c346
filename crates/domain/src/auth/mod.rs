//! Authentication: one device session per login, reached with its `sid` cookie
//! (browsers) or its signed bearer token (apps).

mod error;
mod model;
mod ports;

pub use error::AuthError;
pub use model::{
    AccessToken, Credential, IssuedToken, LoginMethod, LoginOrigin, Principal, SessionData,
    SessionHandle, SessionId, TokenClaims,
};
pub use ports::{SessionStore, TokenIssuer};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockSessionStore, MockTokenIssuer};
