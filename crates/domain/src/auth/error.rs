//! Errors of authentication.

use std::time::Duration;

use crate::store::StoreError;
use crate::user::UserError;

/// Why a login, a credential check or a logout did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown username or wrong password — deliberately indistinguishable.
    #[error("wrong username or password")]
    InvalidCredentials,
    /// No credential, or one that is malformed, tampered, expired, revoked or ended.
    #[error("not logged in")]
    Unauthenticated,
    /// The caller's session may not do this (a session started by a QR code, when
    /// `qrcode.limited_sessions` is on, may not end other sessions).
    #[error("this session may not do that")]
    NotAllowed,
    /// The caller has no live session with that handle (another user's counts as
    /// unknown: its existence is not the caller's business).
    #[error("no such session")]
    UnknownSession,
    /// Too many failed logins for this username or client; try again after the delay.
    #[error("too many failed logins")]
    Throttled {
        /// How long until another attempt is accepted.
        retry_after: Duration,
    },
    /// A dependency (database, store) is down; retrying later may work.
    #[error("authentication is unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(why) => Self::Unavailable(why),
            StoreError::Unexpected(err) => Self::Unexpected(err),
        }
    }
}

impl From<UserError> for AuthError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::Unavailable(why) => Self::Unavailable(why),
            UserError::Unexpected(err) => Self::Unexpected(err),
            UserError::UsernameTaken => {
                Self::Unexpected(anyhow::anyhow!("a username conflict where none can happen"))
            }
        }
    }
}
