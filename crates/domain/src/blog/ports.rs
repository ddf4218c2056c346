//! The blog repository port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use shaku_interface::Interface;

use super::{Blog, BlogChanges, BlogError, BlogId, BlogPage, BlogQuery, NewBlog};

/// Where blogs live. Every query binds its values as parameters.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BlogRepository: Interface {
    /// Stores a new live blog.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn create(&self, blog: NewBlog) -> Result<Blog, BlogError>;

    /// The live blog with this id; deleted ones are `None`.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn find(&self, id: BlogId) -> Result<Option<Blog>, BlogError>;

    /// Whether a live blog has this id: what features whose records belong to a blog
    /// check before they write.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn exists(&self, id: BlogId) -> Result<bool, BlogError>;

    /// One page of live blogs matching `query`, newest first, and the total count.
    /// The keyword matches title or content as a literal substring, ignoring case:
    /// `%`, `_` and `\` in it match themselves.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn list(&self, query: &BlogQuery) -> Result<BlogPage, BlogError>;

    /// Applies `changes` to the live blog `id`; `None` when no live blog has that id.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn update(&self, id: BlogId, changes: BlogChanges) -> Result<Option<Blog>, BlogError>;

    /// Marks the live blog `id` deleted at `at`; `false` when no live blog has that id.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn soft_delete(&self, id: BlogId, at: DateTime<Utc>) -> Result<bool, BlogError>;

    /// Makes the deleted blog `id` live again; `false` when no deleted blog has that id.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database cannot be reached.
    async fn restore(&self, id: BlogId, at: DateTime<Utc>) -> Result<bool, BlogError>;
}
