//! Errors of the blog area.

use crate::user::UserError;

/// What can go wrong with blogs.
#[derive(Debug, thiserror::Error)]
pub enum BlogError {
    /// No live blog has this id (never existed, or deleted).
    #[error("no such blog")]
    NotFound,
    /// The blog exists but the caller did not write it.
    #[error("only the author may change this blog")]
    NotAuthor,
    /// The database could not be reached; retrying later may work.
    #[error("the blog store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<UserError> for BlogError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::Unavailable(why) => Self::Unavailable(why),
            UserError::Unexpected(err) => Self::Unexpected(err),
            UserError::UsernameTaken => {
                Self::Unexpected(anyhow::anyhow!("a username conflict while reading blogs"))
            }
        }
    }
}

impl crate::failure::Failure for BlogError {
    fn unavailable(why: String) -> Self {
        Self::Unavailable(why)
    }

    fn unexpected(err: anyhow::Error) -> Self {
        Self::Unexpected(err)
    }
}
