//! Errors of the user area.

/// What can go wrong storing or finding users.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// Another account has this username (compared without case).
    #[error("the username is taken")]
    UsernameTaken,
    /// The database could not be reached; retrying later may work.
    #[error("the user store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl crate::failure::Failure for UserError {
    fn unavailable(why: String) -> Self {
        Self::Unavailable(why)
    }

    fn unexpected(err: anyhow::Error) -> Self {
        Self::Unexpected(err)
    }
}
