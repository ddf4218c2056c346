//! Errors of the comment area.

use crate::blog::BlogError;
use crate::failure::Failure;

/// What can go wrong with comments.
#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    /// No comment has this id.
    #[error("no such comment")]
    NotFound,
    /// The comment exists but the caller did not write it.
    #[error("only the owner may change this comment")]
    NotOwner,
    /// The blog it would belong to does not exist.
    #[error("no such blog")]
    NoBlog,
    /// The database could not be reached; retrying later may work.
    #[error("the comment store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Failure for CommentError {
    fn unavailable(why: String) -> Self {
        Self::Unavailable(why)
    }

    fn unexpected(err: anyhow::Error) -> Self {
        Self::Unexpected(err)
    }
}

impl From<BlogError> for CommentError {
    fn from(err: BlogError) -> Self {
        match err {
            BlogError::Unavailable(why) => Self::Unavailable(why),
            other => Self::Unexpected(anyhow::Error::new(other)),
        }
    }
}
