//! `BlogService`: the blog use cases. Ownership is decided here — not in SQL, not in
//! controllers — so every way in (HTTP, CLI) gets the same rules.

use std::sync::Arc;

use async_trait::async_trait;
use qblog_domain::auth::Principal;
use qblog_domain::blog::{
    Blog, BlogChanges, BlogContent, BlogError, BlogId, BlogPage, BlogQuery, BlogRepository,
    BlogTitle, Keyword, NewBlog,
};
use qblog_domain::clock::Clock;
use qblog_domain::paging::Page;
use qblog_domain::user::{UserRepository, Username};
use shaku::{Component, Interface};

/// A title and body, parsed (and sanitised by the interface).
#[derive(Debug, Clone)]
pub struct BlogDraft {
    /// Title.
    pub title: BlogTitle,
    /// Body.
    pub content: BlogContent,
}

/// What `list` was asked for.
#[derive(Debug, Clone, Default)]
pub struct BlogListRequest {
    /// Only this author's blogs (exact username, any case).
    pub author: Option<Username>,
    /// Only blogs containing this.
    pub keyword: Option<Keyword>,
    /// Which page.
    pub page: Page,
}

/// Blog use cases.
#[async_trait]
pub trait BlogService: Interface {
    /// Live blogs matching the request, newest first, with the total count.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database is down.
    async fn list(&self, request: BlogListRequest) -> Result<BlogPage, BlogError>;

    /// The caller's own live blogs (the Node blog's `isadmin=1`).
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database is down.
    async fn list_own(
        &self,
        author: &Principal,
        keyword: Option<Keyword>,
        page: Page,
    ) -> Result<BlogPage, BlogError>;

    /// One live blog.
    ///
    /// # Errors
    /// [`BlogError::NotFound`] when no live blog has the id.
    async fn detail(&self, id: BlogId) -> Result<Blog, BlogError>;

    /// Writes a new blog by `author`.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the database is down.
    async fn create(&self, author: &Principal, draft: BlogDraft) -> Result<Blog, BlogError>;

    /// Replaces title and body of `id`, if `editor` wrote it.
    ///
    /// # Errors
    /// [`BlogError::NotFound`] for an unknown or deleted blog; [`BlogError::NotAuthor`]
    /// when someone else wrote it.
    async fn update(
        &self,
        editor: &Principal,
        id: BlogId,
        draft: BlogDraft,
    ) -> Result<Blog, BlogError>;

    /// Soft-deletes `id`, if `editor` wrote it.
    ///
    /// # Errors
    /// As for [`BlogService::update`].
    async fn delete(&self, editor: &Principal, id: BlogId) -> Result<(), BlogError>;

    /// Makes a deleted blog live again (an operator's action, no ownership check).
    ///
    /// # Errors
    /// [`BlogError::NotFound`] when no deleted blog has the id.
    async fn restore(&self, id: BlogId) -> Result<(), BlogError>;
}

/// [`BlogService`] over the blog and user repositories.
#[derive(Component)]
#[shaku(interface = BlogService)]
pub struct BlogServiceImpl {
    #[shaku(inject)]
    blogs: Arc<dyn BlogRepository>,
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
}

impl BlogServiceImpl {
    /// The live blog `id`, provided `editor` wrote it.
    async fn owned_by(&self, editor: &Principal, id: BlogId) -> Result<Blog, BlogError> {
        let blog = self.blogs.find(id).await?.ok_or(BlogError::NotFound)?;
        if blog.author_id != editor.user_id {
            return Err(BlogError::NotAuthor);
        }
        Ok(blog)
    }
}

#[async_trait]
impl BlogService for BlogServiceImpl {
    async fn list(&self, request: BlogListRequest) -> Result<BlogPage, BlogError> {
        let author_id = match &request.author {
            Some(username) => match self.users.find_with_hash(username).await? {
                Some((user, _)) => Some(user.id),
                // Nobody by that name: nothing to list, and no query to run.
                None => {
                    return Ok(BlogPage {
                        items: Vec::new(),
                        total: 0,
                    });
                }
            },
            None => None,
        };
        self.blogs
            .list(&BlogQuery {
                author_id,
                keyword: request.keyword,
                page: request.page,
            })
            .await
    }

    async fn list_own(
        &self,
        author: &Principal,
        keyword: Option<Keyword>,
        page: Page,
    ) -> Result<BlogPage, BlogError> {
        self.blogs
            .list(&BlogQuery {
                author_id: Some(author.user_id),
                keyword,
                page,
            })
            .await
    }

    async fn detail(&self, id: BlogId) -> Result<Blog, BlogError> {
        self.blogs.find(id).await?.ok_or(BlogError::NotFound)
    }

    async fn create(&self, author: &Principal, draft: BlogDraft) -> Result<Blog, BlogError> {
        let blog = self
            .blogs
            .create(NewBlog {
                title: draft.title,
                content: draft.content,
                author_id: author.user_id,
                author: author.username.clone(),
                created_at: self.clock.now(),
            })
            .await?;
        tracing::info!(blog_id = %blog.id, author = %author.username, "blog created");
        Ok(blog)
    }

    async fn update(
        &self,
        editor: &Principal,
        id: BlogId,
        draft: BlogDraft,
    ) -> Result<Blog, BlogError> {
        self.owned_by(editor, id).await?;
        let changes = BlogChanges {
            title: draft.title,
            content: draft.content,
            updated_at: self.clock.now(),
        };
        // Deleted between the check and the write: it is gone.
        self.blogs
            .update(id, changes)
            .await?
            .ok_or(BlogError::NotFound)
    }

    async fn delete(&self, editor: &Principal, id: BlogId) -> Result<(), BlogError> {
        self.owned_by(editor, id).await?;
        if !self.blogs.soft_delete(id, self.clock.now()).await? {
            return Err(BlogError::NotFound);
        }
        tracing::info!(blog_id = %id, author = %editor.username, "blog deleted");
        Ok(())
    }

    async fn restore(&self, id: BlogId) -> Result<(), BlogError> {
        if !self.blogs.restore(id, self.clock.now()).await? {
            return Err(BlogError::NotFound);
        }
        tracing::info!(blog_id = %id, "blog restored");
        Ok(())
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
