//! Ports of authentication.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shaku_interface::Interface;

use super::{AuthError, IssuedToken, SessionData, SessionHandle, SessionId, TokenClaims};
use crate::user::{User, UserId};

/// Device sessions, shared by every instance that shares the store: a session exists
/// until it expires or is deleted, and from the moment it is deleted no instance
/// accepts its cookie or its token.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionStore: Interface {
    /// Starts a session under a new random id (256 bits), listed under its user, and
    /// returns the id (the cookie's value; the store keeps only its handle).
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached; no session exists then.
    async fn create(&self, data: &SessionData, ttl: Duration) -> Result<SessionId, AuthError>;

    /// The live session with this handle.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached; an unknown or
    /// expired handle is `Ok(None)`.
    async fn find(&self, handle: &SessionHandle) -> Result<Option<SessionData>, AuthError>;

    /// Records a use of the session at `now`, keeping its expiry. `seen` is the session
    /// as just found; when another use updated it meanwhile nothing is written.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached.
    async fn touch(
        &self,
        handle: &SessionHandle,
        seen: &SessionData,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError>;

    /// The user's live sessions, in no particular order.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached.
    async fn list(&self, user: UserId) -> Result<Vec<(SessionHandle, SessionData)>, AuthError>;

    /// Ends the session; returns whether it was live. Ending an unknown one is not an
    /// error.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store cannot be reached.
    async fn delete(&self, handle: &SessionHandle, user: UserId) -> Result<bool, AuthError>;
}

/// Signs and checks access tokens.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenIssuer: Interface {
    /// Issues a token of `session` for `user`, valid from `now` for the configured
    /// lifetime but not past `session_ends`.
    ///
    /// # Errors
    /// [`AuthError::Unexpected`] when signing fails.
    fn issue(
        &self,
        user: &User,
        session: &SessionHandle,
        now: DateTime<Utc>,
        session_ends: DateTime<Utc>,
    ) -> Result<IssuedToken, AuthError>;

    /// Checks the signature, the algorithm and the expiry against `now`.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for a malformed, tampered, wrongly signed,
    /// `alg: none` or expired token, or one that names no session.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<TokenClaims, AuthError>;
}
