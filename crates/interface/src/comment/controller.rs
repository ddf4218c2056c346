//! `CommentController`: thin handlers over `CommentService`.

use std::sync::Arc;

use poem_openapi::param::Query;
use poem_openapi::{OpenApi, Tags};
use qblog_application::comment::CommentService;
use qblog_domain::blog::BlogId;
use qblog_domain::comment::CommentId;
use qblog_domain::paging::Page;

use super::dto::{CommentRequest, CommentView, CreatedComment, NewCommentRequest};
use crate::pipeline::filters::ApiError;
use crate::pipeline::guards::Auth;
use crate::pipeline::interceptors::{PagedReply, Reply};
use crate::pipeline::pipes::Valid;

/// The group the routes are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum CommentTags {
    /// Comments.
    Comment,
}

/// Comments.
pub struct CommentController {
    comments: Arc<dyn CommentService>,
}

impl CommentController {
    /// A controller over the comment service.
    pub fn new(comments: Arc<dyn CommentService>) -> Self {
        Self { comments }
    }
}

#[OpenApi(prefix_path = "/api/comment", tag = "CommentTags::Comment")]
impl CommentController {
    /// List comments, newest first; the total number of matches is in
    /// `X-Total-Count`.
    #[oai(path = "/list", method = "get")]
    async fn list(
        &self,
        /// Only those of this blog.
        blog_id: Query<Option<String>>,
        /// Page number, from 1.
        page: Query<Option<u32>>,
        /// Items per page, 1 to 100 (default 20).
        page_size: Query<Option<u32>>,
    ) -> Result<PagedReply<Vec<CommentView>>, ApiError> {
        let page = Page::from_query(page.0, page_size.0)?;
        let blog_id = match blog_id.0.as_deref() {
            Some(id) if !id.is_empty() => Some(BlogId::parse("blog_id", id)?),
            _ => None,
        };
        let result = self.comments.list(blog_id, page).await?;
        Ok(PagedReply::new(
            result.items.iter().map(CommentView::from).collect(),
            result.total,
        ))
    }

    /// One comment.
    #[oai(path = "/detail", method = "get")]
    async fn detail(
        &self,
        /// The comment's id.
        id: Query<String>,
    ) -> Result<Reply<CommentView>, ApiError> {
        let comment = self.comments.detail(CommentId::parse("id", &id.0)?).await?;
        Ok(Reply::new(CommentView::from(&comment)))
    }

    /// Write a comment as the logged-in user.
    #[oai(path = "/new", method = "post")]
    async fn create(
        &self,
        auth: Auth,
        body: Valid<NewCommentRequest>,
    ) -> Result<Reply<CreatedComment, 201>, ApiError> {
        let (blog_id, draft) = body.0;
        let comment = self
            .comments
            .create(auth.principal(), blog_id, draft)
            .await?;
        Ok(Reply::new(CreatedComment { id: comment.id.0 }))
    }

    /// Edit a comment (its owner only).
    #[oai(path = "/update", method = "post")]
    async fn update(
        &self,
        auth: Auth,
        /// The comment's id.
        id: Query<String>,
        body: Valid<CommentRequest>,
    ) -> Result<Reply<CommentView>, ApiError> {
        let id = CommentId::parse("id", &id.0)?;
        let comment = self.comments.update(auth.principal(), id, body.0).await?;
        Ok(Reply::new(CommentView::from(&comment)))
    }

    /// Delete a comment (its owner, or the author of the blog it is on).
    #[oai(path = "/del", method = "post")]
    async fn delete(
        &self,
        auth: Auth,
        /// The comment's id.
        id: Query<String>,
    ) -> Result<Reply<Option<bool>>, ApiError> {
        let id = CommentId::parse("id", &id.0)?;
        self.comments.delete(auth.principal(), id).await?;
        Ok(Reply::new(None))
    }
}
