//! `CommentService`: the comment use cases. Ownership is decided here — not in SQL,
//! not in controllers — so every way in gets the same rules.

use std::sync::Arc;

use async_trait::async_trait;
use qblog_domain::auth::Principal;
use qblog_domain::blog::{BlogId, BlogRepository};
use qblog_domain::clock::Clock;
use qblog_domain::comment::{
    Comment, CommentBody, CommentChanges, CommentError, CommentId, CommentPage, CommentQuery,
    CommentRepository, NewComment,
};
use qblog_domain::paging::Page;
use shaku::{Component, Interface};

/// The fields of a comment, parsed (and sanitised by the interface).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentDraft {
    /// Plain text of 1 to 1,000 characters, HTML-escaped.
    pub body: CommentBody,
}

/// Comment use cases.
#[async_trait]
pub trait CommentService: Interface {
    /// Comments (of one blog, when given), newest first, with the total count.
    ///
    /// # Errors
    /// [`CommentError::Unavailable`] when the database is down.
    async fn list(&self, blog_id: Option<BlogId>, page: Page) -> Result<CommentPage, CommentError>;

    /// One comment.
    ///
    /// # Errors
    /// [`CommentError::NotFound`] when no comment has the id.
    async fn detail(&self, id: CommentId) -> Result<Comment, CommentError>;

    /// Writes a new comment by `owner` on the blog `blog_id`.
    ///
    /// # Errors
    /// [`CommentError::NoBlog`] when the blog does not exist;
    /// [`CommentError::Unavailable`] when the database is down.
    async fn create(
        &self,
        owner: &Principal,
        blog_id: BlogId,
        draft: CommentDraft,
    ) -> Result<Comment, CommentError>;

    /// Replaces the fields of `id`, if `editor` wrote it.
    ///
    /// # Errors
    /// [`CommentError::NotFound`] for an unknown comment; [`CommentError::NotOwner`]
    /// when someone else wrote it.
    async fn update(
        &self,
        editor: &Principal,
        id: CommentId,
        draft: CommentDraft,
    ) -> Result<Comment, CommentError>;

    /// Deletes `id`, if `editor` wrote it or wrote the blog it is on.
    ///
    /// # Errors
    /// As for [`CommentService::update`].
    async fn delete(&self, editor: &Principal, id: CommentId) -> Result<(), CommentError>;
}

/// [`CommentService`] over the comment repository and the blog repository.
#[derive(Component)]
#[shaku(interface = CommentService)]
pub struct CommentServiceImpl {
    #[shaku(inject)]
    comments: Arc<dyn CommentRepository>,
    #[shaku(inject)]
    blogs: Arc<dyn BlogRepository>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
}

impl CommentServiceImpl {
    /// Whether `editor` wrote the live blog `blog_id`.
    async fn wrote_blog(&self, editor: &Principal, blog_id: BlogId) -> Result<bool, CommentError> {
        let blog = self.blogs.find(blog_id).await?;
        Ok(blog.is_some_and(|blog| blog.author_id == editor.user_id))
    }

    /// The comment `id`, provided `editor` wrote it.
    async fn owned_by(&self, editor: &Principal, id: CommentId) -> Result<Comment, CommentError> {
        let comment = self
            .comments
            .find(id)
            .await?
            .ok_or(CommentError::NotFound)?;
        if comment.owner_id != editor.user_id {
            return Err(CommentError::NotOwner);
        }
        Ok(comment)
    }
}

#[async_trait]
impl CommentService for CommentServiceImpl {
    async fn list(&self, blog_id: Option<BlogId>, page: Page) -> Result<CommentPage, CommentError> {
        self.comments.list(CommentQuery { blog_id, page }).await
    }

    async fn detail(&self, id: CommentId) -> Result<Comment, CommentError> {
        self.comments.find(id).await?.ok_or(CommentError::NotFound)
    }

    async fn create(
        &self,
        owner: &Principal,
        blog_id: BlogId,
        draft: CommentDraft,
    ) -> Result<Comment, CommentError> {
        if !self.blogs.exists(blog_id).await? {
            return Err(CommentError::NoBlog);
        }
        let comment = self
            .comments
            .create(NewComment {
                blog_id,
                body: draft.body,
                owner_id: owner.user_id,
                owner: owner.username.clone(),
                created_at: self.clock.now(),
            })
            .await?;
        tracing::info!(comment_id = %comment.id, owner = %owner.username, "comment created");
        Ok(comment)
    }

    async fn update(
        &self,
        editor: &Principal,
        id: CommentId,
        draft: CommentDraft,
    ) -> Result<Comment, CommentError> {
        self.owned_by(editor, id).await?;
        let changes = CommentChanges {
            body: draft.body,
            updated_at: self.clock.now(),
        };
        // Deleted between the check and the write: it is gone.
        self.comments
            .update(id, changes)
            .await?
            .ok_or(CommentError::NotFound)
    }

    async fn delete(&self, editor: &Principal, id: CommentId) -> Result<(), CommentError> {
        let comment = self
            .comments
            .find(id)
            .await?
            .ok_or(CommentError::NotFound)?;
        // The comment's owner may delete it, and so may the author of its blog.
        if comment.owner_id != editor.user_id && !self.wrote_blog(editor, comment.blog_id).await? {
            return Err(CommentError::NotOwner);
        }
        if !self.comments.delete(id).await? {
            return Err(CommentError::NotFound);
        }
        tracing::info!(comment_id = %id, owner = %editor.username, "comment deleted");
        Ok(())
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
