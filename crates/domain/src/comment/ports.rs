//! The comment repository port.

use async_trait::async_trait;
use shaku_interface::Interface;

use super::{
    Comment, CommentChanges, CommentError, CommentId, CommentPage, CommentQuery, NewComment,
};

/// Where comments live. Every query binds its values as parameters.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CommentRepository: Interface {
    /// Stores a new comment.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database cannot be reached.
    async fn create(&self, comment: NewComment) -> Result<Comment, CommentError>;

    /// The comment with this id.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database cannot be reached.
    async fn find(&self, id: CommentId) -> Result<Option<Comment>, CommentError>;

    /// Whether a comment has this id: what features whose records belong to a
    /// comment check before they write.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database cannot be reached.
    async fn exists(&self, id: CommentId) -> Result<bool, CommentError>;

    /// One page of comments matching `query`, newest first, and the total count.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database cannot be reached.
    async fn list(&self, query: CommentQuery) -> Result<CommentPage, CommentError>;

    /// Applies `changes` to `id`; `None` when no comment has that id.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database cannot be reached.
    async fn update(
        &self,
        id: CommentId,
        changes: CommentChanges,
    ) -> Result<Option<Comment>, CommentError>;

    /// Deletes `id`; `false` when no comment has that id.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database cannot be reached.
    async fn delete(&self, id: CommentId) -> Result<bool, CommentError>;
}
