//! `BlogController`: thin handlers over `BlogService`.

use std::sync::Arc;

use poem_openapi::param::Query;
use poem_openapi::{OpenApi, Tags};
use qblog_application::blog::BlogService;
use qblog_domain::blog::BlogId;

use super::dto::{BlogRequest, BlogView, CreatedBlog, ListQuery};
use crate::pipeline::filters::ApiError;
use crate::pipeline::guards::{Auth, OptionalAuth};
use crate::pipeline::interceptors::{PagedReply, Reply};
use crate::pipeline::pipes::Valid;

/// Blogs.
pub struct BlogController {
    blogs: Arc<dyn BlogService>,
}

impl BlogController {
    /// A controller over the blog service.
    pub fn new(blogs: Arc<dyn BlogService>) -> Self {
        Self { blogs }
    }
}

/// The group the routes are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum BlogTags {
    /// Blogs.
    Blog,
}

#[OpenApi(prefix_path = "/api/blog", tag = "BlogTags::Blog")]
impl BlogController {
    /// List live blogs, newest first; the total number of matches is in `X-Total-Count`.
    #[oai(path = "/list", method = "get")]
    async fn list(
        &self,
        auth: OptionalAuth,
        /// Only this author's blogs (exact username).
        author: Query<Option<String>>,
        /// Only blogs whose title or content contains this text (no wildcards).
        keyword: Query<Option<String>>,
        /// `1`: only the caller's own blogs (login required).
        isadmin: Query<Option<String>>,
        /// Page number, from 1.
        page: Query<Option<u32>>,
        /// Blogs per page, 1 to 100 (default 20).
        page_size: Query<Option<u32>>,
    ) -> Result<PagedReply<Vec<BlogView>>, ApiError> {
        let query = ListQuery::parse(
            author.0.as_deref(),
            keyword.0.as_deref(),
            isadmin.0.as_deref(),
            page.0,
            page_size.0,
        )?;
        let result = match query {
            ListQuery::Own { keyword, page } => {
                let auth = auth.require()?;
                self.blogs.list_own(auth.principal(), keyword, page).await?
            }
            ListQuery::Public(request) => self.blogs.list(request).await?,
        };
        Ok(PagedReply::new(
            result.items.into_iter().map(BlogView::from).collect(),
            result.total,
        ))
    }

    /// One live blog.
    #[oai(path = "/detail", method = "get")]
    async fn detail(&self, id: Query<String>) -> Result<Reply<BlogView>, ApiError> {
        let blog = self.blogs.detail(BlogId::parse("id", &id.0)?).await?;
        Ok(Reply::new(BlogView::from(blog)))
    }

    /// Write a blog as the logged-in user.
    #[oai(path = "/new", method = "post")]
    async fn create(
        &self,
        auth: Auth,
        body: Valid<BlogRequest>,
    ) -> Result<Reply<CreatedBlog, 201>, ApiError> {
        let blog = self.blogs.create(auth.principal(), body.0).await?;
        Ok(Reply::new(CreatedBlog { id: blog.id.0 }))
    }

    /// Edit a blog (its author only).
    #[oai(path = "/update", method = "post")]
    async fn update(
        &self,
        auth: Auth,
        id: Query<String>,
        body: Valid<BlogRequest>,
    ) -> Result<Reply<BlogView>, ApiError> {
        let id = BlogId::parse("id", &id.0)?;
        let blog = self.blogs.update(auth.principal(), id, body.0).await?;
        Ok(Reply::new(BlogView::from(blog)))
    }

    /// Delete a blog (its author only); an operator can restore it.
    #[oai(path = "/del", method = "post")]
    async fn delete(&self, auth: Auth, id: Query<String>) -> Result<Reply<Option<bool>>, ApiError> {
        let id = BlogId::parse("id", &id.0)?;
        self.blogs.delete(auth.principal(), id).await?;
        Ok(Reply::new(None))
    }
}
