//! Errors of the QR-code login.

use crate::store::StoreError;

/// Why a QR-code action was refused.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The action does not fit the code's state (another user scanned it, confirm
    /// after cancel, …).
    #[error("the QR code is in another state")]
    Conflict,
    /// Only the user who scanned the code may confirm or cancel it.
    #[error("only the user who scanned the code may do that")]
    NotScanner,
    /// The code's deadline passed, it was used, or it never existed.
    #[error("the QR code has expired")]
    Expired,
    /// The poll token does not belong to this code.
    #[error("wrong poll token")]
    WrongToken,
    /// The caller's session may not approve QR-code logins (it was itself started by
    /// a QR code, and `qrcode.limited_sessions` is on).
    #[error("a session started by a QR code may not approve QR-code logins")]
    SessionNotAllowed,
    /// The match code the phone gave is not the one the PC shows.
    #[error("wrong match code; {tries_left} tries left")]
    MatchCodeMismatch {
        /// Wrong tries left; 0 means the code was cancelled.
        tries_left: u8,
    },
    /// Too many checks from this client; try again after the delay.
    #[error("too many checks")]
    Throttled {
        /// Until the window closes.
        retry_after: std::time::Duration,
    },
    /// The store could not be reached; retrying later may work.
    #[error("the QR-code store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for QrError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(why) => Self::Unavailable(why),
            StoreError::Unexpected(err) => Self::Unexpected(err),
        }
    }
}
