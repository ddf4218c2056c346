//! The blog read cache port: `detail` and `list` answers kept in the store, shared by
//! every instance, and never served after a write.
//!
//! Every entry is tagged with the cache's current *generation*; a write starts a new
//! generation (on every instance at once, since it lives in the store), and an entry of
//! an older one is a miss. A reader takes the generation before it reads the database
//! and tags what it keeps with it, so a read that raced a write is kept under the old
//! generation and never served after the write.

use async_trait::async_trait;
use shaku_interface::Interface;

use super::{Blog, BlogError, BlogId, BlogPage};
use crate::paging::Page;
use crate::user::{UserId, Username};

/// A generation of the cache: an opaque token, new at every write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheGeneration(pub String);

/// What a look into the cache found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cached<T> {
    /// A current entry.
    Hit(T),
    /// Nothing current: read the database, then keep the answer under this generation.
    Miss(CacheGeneration),
    /// The cache is off or cannot be reached: read the database, keep nothing.
    Bypass,
}

/// Which list a cached page is of. Keyword searches are not cached: their keys are
/// unbounded, and each would be read rarely.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListKey {
    /// Every live blog.
    All(Page),
    /// One author's, by username (`list?author=`).
    Author(Username, Page),
    /// One author's, by id (`list?isadmin=1`).
    Own(UserId, Page),
}

/// Where blog reads are cached. A cache never fails a read: what it cannot answer is
/// read from the database.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BlogCache: Interface {
    /// The live blog `id`, as last kept.
    async fn detail(&self, id: BlogId) -> Cached<Blog>;

    /// The page `key`, as last kept.
    async fn list(&self, key: &ListKey) -> Cached<BlogPage>;

    /// Keeps `blog` under `generation` (nothing when the generation is no longer
    /// current, or the entry is too large).
    async fn keep_detail(&self, generation: &CacheGeneration, blog: &Blog);

    /// Keeps `page` of `key` under `generation`.
    async fn keep_list(&self, generation: &CacheGeneration, key: &ListKey, page: &BlogPage);

    /// Starts a new generation: every entry kept so far is stale, on every instance.
    ///
    /// # Errors
    /// [`BlogError::Unavailable`] when the cache's store cannot be reached (a write must
    /// then not happen: the cache could not be told).
    async fn invalidate(&self) -> Result<(), BlogError>;
}
