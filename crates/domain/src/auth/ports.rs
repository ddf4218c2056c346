//! Ports of authentication.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shaku_interface::Interface;

use super::{AuthError, IssuedToken, SessionData, SessionId, TokenClaims, TokenId};
use crate::user::User;

/// Server-side sessions, shared by every instance that shares the store.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Interface {
    /// Starts a session under a new random id (at least 128 bits) and returns the id.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached; no session exists then.
    async fn create(&self, data: &SessionData, ttl: Duration) -> Result<SessionId, AuthError>;

    /// The live session with this id.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached; an unknown or
    /// expired id is `Ok(None)`.
    async fn find(&self, id: &SessionId) -> Result<Option<SessionData>, AuthError>;

    /// Ends the session; ending an unknown one is not an error.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached.
    async fn delete(&self, id: &SessionId) -> Result<(), AuthError>;
}

/// Signs and checks access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenIssuer: Interface {
    /// Issues a token for `user`, valid from `now` for the configured lifetime.
    ///
    /// # Errors
    /// [`AuthError::Unexpected`] when signing fails.
    fn issue(&self, user: &User, now: DateTime<Utc>) -> Result<IssuedToken, AuthError>;

    /// Checks the signature, the algorithm and the expiry against `now`.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for a malformed, tampered, wrongly signed,
    /// `alg: none` or expired token.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<TokenClaims, AuthError>;

    /// How long issued tokens live.
    fn lifetime(&self) -> Duration;
}

/// Tokens revoked before their expiry (logout).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TokenRevocations: Interface {
    /// Refuses the token from now until `until` (its own expiry, after which it is
    /// refused anyway and the entry may vanish).
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached.
    async fn revoke(&self, token_id: &TokenId, until: DateTime<Utc>) -> Result<(), AuthError>;

    /// Whether the token was revoked.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached (callers must then
    /// refuse the token rather than assume it is fine).
    async fn is_revoked(&self, token_id: &TokenId) -> Result<bool, AuthError>;
}
