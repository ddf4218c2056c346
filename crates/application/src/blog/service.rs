//! `BlogService`: the blog use cases. Ownership is decided here — not in SQL, not in
//! controllers — so every way in (HTTP, CLI) gets the same rules.
//!
//! Reads go through the blog cache (`detail`, and lists without a keyword). Every
//! write tells the cache before it happens — a write the cache cannot be told of is
//! refused — and again after it, so the next read on any instance sees it.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use qblog_domain::auth::Principal;
use qblog_domain::blog::{
    Blog, BlogCache, BlogChanges, BlogContent, BlogError, BlogId, BlogPage, BlogQuery,
    BlogRepository, BlogTitle, Cached, Keyword, ListKey, NewBlog,
};
use qblog_domain::clock::Clock;
use qblog_domain::paging::Page;
use qblog_domain::user::{UserRepository, Username};
use shaku::{Component, Interface};

/// A title and body, parsed (and sanitised by the interface).
#[derive(Debug, Clone)]
pub struct BlogDraft {
    /// Plain text of 1 to 200 characters, HTML-escaped.
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

/// [`BlogService`] over the blog and user repositories and the blog read cache.
#[derive(Component)]
#[shaku(interface = BlogService)]
pub struct BlogServiceImpl {
    #[shaku(inject)]
    blogs: Arc<dyn BlogRepository>,
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    cache: Arc<dyn BlogCache>,
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

    /// Live blogs matching `request`, from the database.
    async fn list_uncached(&self, request: BlogListRequest) -> Result<BlogPage, BlogError> {
        let author_id = match &request.author {
            Some(username) => match self.users.find_with_hash(username).await? {
                Some((user, _)) => Some(user.id),
                // Nobody by that name: nothing to list, and no query to run.
                None => return Ok(BlogPage::empty()),
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

    /// The page `key` names, from the cache or else from `read` (kept for the next
    /// reader); `None` (a keyword search) always reads.
    async fn cached_list(
        &self,
        key: Option<ListKey>,
        read: impl Future<Output = Result<BlogPage, BlogError>> + Send,
    ) -> Result<BlogPage, BlogError> {
        let Some(key) = key else {
            return read.await;
        };
        match self.cache.list(&key).await {
            Cached::Hit(page) => Ok(page),
            Cached::Miss(generation) => {
                let page = read.await?;
                self.cache.keep_list(&generation, &key, &page).await;
                Ok(page)
            }
            Cached::Bypass => read.await,
        }
    }

    /// Runs `write` with the cache told before (a write it cannot be told of does not
    /// happen) and after (a failure then is logged: entries end with their TTL).
    async fn writing<T>(
        &self,
        write: impl Future<Output = Result<T, BlogError>> + Send,
    ) -> Result<T, BlogError> {
        self.cache.invalidate().await?;
        let written = write.await;
        if let Err(err) = self.cache.invalidate().await {
            tracing::error!(error = %err,
                "a blog write could not invalidate the read cache; other instances may \
                 serve the previous version until blog.cache_ttl_secs passes");
        }
        written
    }
}

#[async_trait]
impl BlogService for BlogServiceImpl {
    async fn list(&self, request: BlogListRequest) -> Result<BlogPage, BlogError> {
        let key = match (&request.keyword, &request.author) {
            (Some(_), _) => None,
            (None, Some(author)) => Some(ListKey::Author(author.clone(), request.page)),
            (None, None) => Some(ListKey::All(request.page)),
        };
        self.cached_list(key, self.list_uncached(request)).await
    }

    async fn list_own(
        &self,
        author: &Principal,
        keyword: Option<Keyword>,
        page: Page,
    ) -> Result<BlogPage, BlogError> {
        let key = keyword
            .is_none()
            .then_some(ListKey::Own(author.user_id, page));
        let query = BlogQuery {
            author_id: Some(author.user_id),
            keyword,
            page,
        };
        self.cached_list(key, self.blogs.list(&query)).await
    }

    async fn detail(&self, id: BlogId) -> Result<Blog, BlogError> {
        let generation = match self.cache.detail(id).await {
            Cached::Hit(blog) => return Ok(blog),
            Cached::Miss(generation) => Some(generation),
            Cached::Bypass => None,
        };
        let blog = self.blogs.find(id).await?.ok_or(BlogError::NotFound)?;
        if let Some(generation) = generation {
            self.cache.keep_detail(&generation, &blog).await;
        }
        Ok(blog)
    }

    async fn create(&self, author: &Principal, draft: BlogDraft) -> Result<Blog, BlogError> {
        let new = NewBlog {
            title: draft.title,
            content: draft.content,
            author_id: author.user_id,
            author: author.username.clone(),
            created_at: self.clock.now(),
        };
        let blog = self.writing(self.blogs.create(new)).await?;
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
        self.writing(self.blogs.update(id, changes))
            .await?
            .ok_or(BlogError::NotFound)
    }

    async fn delete(&self, editor: &Principal, id: BlogId) -> Result<(), BlogError> {
        self.owned_by(editor, id).await?;
        let deleted = self
            .writing(self.blogs.soft_delete(id, self.clock.now()))
            .await?;
        if !deleted {
            return Err(BlogError::NotFound);
        }
        tracing::info!(blog_id = %id, author = %editor.username, "blog deleted");
        Ok(())
    }

    async fn restore(&self, id: BlogId) -> Result<(), BlogError> {
        let restored = self
            .writing(self.blogs.restore(id, self.clock.now()))
            .await?;
        if !restored {
            return Err(BlogError::NotFound);
        }
        tracing::info!(blog_id = %id, "blog restored");
        Ok(())
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
