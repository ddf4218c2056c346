//! `StoreBlogCache`: blog reads kept on the key-value store (Redis, or the embedded
//! store), under the store's current generation.
//!
//! Keys: `blog-cache:generation` (a random token, replaced at every write) and one
//! entry per read — `blog-cache:detail:<id>`, `blog-cache:list:<who>:<page>:<size>` —
//! holding the generation it was read under. A look is one round trip (the generation
//! and the entry together); a stale entry is a miss and is simply overwritten or left to
//! expire. A random token rather than a counter: a generation key lost to an eviction or
//! a Redis restart comes back as a token no old entry carries.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::DateTime;
use qblog_domain::blog::{
    Blog, BlogCache, BlogContent, BlogError, BlogId, BlogPage, BlogTitle, CacheGeneration, Cached,
    ListKey,
};
use qblog_domain::store::KeyValueStore;
use qblog_domain::user::{UserId, Username};
use serde::{Deserialize, Serialize};
use shaku::Component;

const GENERATION_KEY: &str = "blog-cache:generation";

/// How long the generation key lives: far longer than any entry, renewed by every write.
const GENERATION_TTL: Duration = Duration::from_secs(365 * 86_400);

/// How the cache is sized (`blog.cache`, `blog.cache_ttl_secs`,
/// `blog.cache_max_entry_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlogCacheOptions {
    /// Whether reads are cached at all.
    pub enabled: bool,
    /// How long an entry lives at most, whatever happens.
    pub ttl: Duration,
    /// Larger entries (long bodies) are not kept.
    pub max_entry_bytes: usize,
}

impl Default for BlogCacheOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            ttl: Duration::from_secs(300),
            max_entry_bytes: 256 * 1024,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredBlog {
    id: i64,
    title: String,
    content: String,
    aid: i64,
    author: String,
    ct: i64,
    ut: i64,
}

#[derive(Serialize, Deserialize)]
struct Entry<T> {
    /// The generation the entry was read under.
    g: String,
    /// The answer.
    v: T,
}

#[derive(Serialize, Deserialize)]
struct StoredPage {
    items: Vec<StoredBlog>,
    total: u64,
}

fn stored(blog: &Blog) -> StoredBlog {
    StoredBlog {
        id: blog.id.0,
        title: blog.title.as_str().to_owned(),
        content: blog.content.as_str().to_owned(),
        aid: blog.author_id.0,
        author: blog.author.as_str().to_owned(),
        ct: blog.created_at.timestamp_millis(),
        ut: blog.updated_at.timestamp_millis(),
    }
}

/// A cached blog; `None` for one that does not read (it is then a miss, never an error).
fn blog(stored: StoredBlog) -> Option<Blog> {
    Some(Blog {
        id: BlogId(stored.id),
        title: BlogTitle::from_stored(stored.title),
        content: BlogContent::from_stored(stored.content),
        author_id: UserId(stored.aid),
        author: Username::parse(&stored.author).ok()?,
        created_at: DateTime::from_timestamp_millis(stored.ct)?,
        updated_at: DateTime::from_timestamp_millis(stored.ut)?,
    })
}

fn list_key(key: &ListKey) -> String {
    let (who, page) = match key {
        ListKey::All(page) => ("all".to_owned(), page),
        ListKey::Author(username, page) => (format!("author={}", username.key()), page),
        ListKey::Own(user, page) => (format!("own={}", user.0), page),
    };
    format!("blog-cache:list:{who}:{}:{}", page.number(), page.size())
}

/// Blog reads cached on the key-value store port.
#[derive(Component)]
#[shaku(interface = BlogCache)]
pub struct StoreBlogCache {
    #[shaku(inject)]
    store: Arc<dyn KeyValueStore>,
    /// On or off, and how large.
    #[shaku(default)]
    options: BlogCacheOptions,
}

impl StoreBlogCache {
    /// A cache kept in `store`.
    pub fn new(store: Arc<dyn KeyValueStore>, options: BlogCacheOptions) -> Self {
        Self { store, options }
    }

    /// The entry under `key`, made into a `U` by `convert`, if it is of the current
    /// generation; else the generation to keep a fresh one under. An entry that does not
    /// read (another release's shape, a corrupt value) is a miss: the fresh read replaces it.
    async fn look<T: for<'de> Deserialize<'de>, U>(
        &self,
        key: String,
        convert: impl FnOnce(T) -> Option<U>,
    ) -> Cached<U> {
        if !self.options.enabled {
            return Cached::Bypass;
        }
        let found = match self.store.get_many(&[GENERATION_KEY.to_owned(), key]).await {
            Ok(found) => found,
            Err(err) => {
                tracing::debug!(error = %err, "the blog cache is unavailable; reading the database");
                return Cached::Bypass;
            }
        };
        let mut found = found.into_iter();
        let (Some(generation), entry) = (found.next().flatten(), found.next().flatten()) else {
            return self.first_generation().await;
        };
        let current = entry
            .and_then(|text| serde_json::from_str::<Entry<T>>(&text).ok())
            .filter(|entry| entry.g == generation)
            .and_then(|entry| convert(entry.v));
        match current {
            Some(value) => Cached::Hit(value),
            None => Cached::Miss(CacheGeneration(generation)),
        }
    }

    /// No generation yet (a new store, or its key was lost): starts one, unless another
    /// instance just did.
    async fn first_generation<T>(&self) -> Cached<T> {
        let token = new_token();
        match self
            .store
            .set_if_absent(GENERATION_KEY, &token, GENERATION_TTL)
            .await
        {
            Ok(true) => Cached::Miss(CacheGeneration(token)),
            // Someone else started one: this read is not kept, the next one will be.
            Ok(false) | Err(_) => Cached::Bypass,
        }
    }

    async fn keep<T: Serialize>(&self, key: &str, generation: &CacheGeneration, value: T) {
        if !self.options.enabled {
            return;
        }
        let entry = Entry {
            g: generation.0.clone(),
            v: value,
        };
        let Ok(text) = serde_json::to_string(&entry) else {
            return;
        };
        if text.len() > self.options.max_entry_bytes {
            return;
        }
        if let Err(err) = self.store.set(key, &text, self.options.ttl).await {
            tracing::debug!(error = %err, "a blog read could not be cached");
        }
    }
}

fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[async_trait]
impl BlogCache for StoreBlogCache {
    async fn detail(&self, id: BlogId) -> Cached<Blog> {
        self.look(format!("blog-cache:detail:{}", id.0), blog).await
    }

    async fn list(&self, key: &ListKey) -> Cached<BlogPage> {
        self.look(list_key(key), |stored: StoredPage| {
            Some(BlogPage {
                items: stored.items.into_iter().map(blog).collect::<Option<_>>()?,
                total: stored.total,
            })
        })
        .await
    }

    async fn keep_detail(&self, generation: &CacheGeneration, blog: &Blog) {
        let key = format!("blog-cache:detail:{}", blog.id.0);
        self.keep(&key, generation, stored(blog)).await;
    }

    async fn keep_list(&self, generation: &CacheGeneration, key: &ListKey, page: &BlogPage) {
        let value = StoredPage {
            items: page.items.iter().map(stored).collect(),
            total: page.total,
        };
        self.keep(&list_key(key), generation, value).await;
    }

    async fn invalidate(&self) -> Result<(), BlogError> {
        if !self.options.enabled {
            return Ok(());
        }
        self.store
            .set(GENERATION_KEY, &new_token(), GENERATION_TTL)
            .await
            .map_err(|err| BlogError::Unavailable(format!("the blog cache: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use qblog_domain::paging::Page;

    use super::*;
    use crate::store::EmbeddedKeyValueStore;

    fn sample(id: i64) -> Blog {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        Blog {
            id: BlogId(id),
            title: BlogTitle::from_stored("A title".into()),
            content: BlogContent::from_stored("<p>text</p>".into()),
            author_id: UserId(3),
            author: Username::parse("carol").expect("valid"),
            created_at: at,
            updated_at: at,
        }
    }

    fn cache(options: BlogCacheOptions) -> StoreBlogCache {
        StoreBlogCache::new(Arc::new(EmbeddedKeyValueStore::default()), options)
    }

    async fn miss<T: std::fmt::Debug>(cached: Cached<T>) -> CacheGeneration {
        match cached {
            Cached::Miss(generation) => generation,
            other => panic!("a miss, not {other:?}"),
        }
    }

    #[tokio::test]
    async fn what_is_kept_is_served_until_a_write_starts_a_new_generation() {
        let cache = cache(BlogCacheOptions::default());
        let generation = miss(cache.detail(BlogId(1)).await).await;
        cache.keep_detail(&generation, &sample(1)).await;
        assert_eq!(cache.detail(BlogId(1)).await, Cached::Hit(sample(1)));
        let page = BlogPage {
            items: vec![sample(1)],
            total: 1,
        };
        let key = ListKey::Author(Username::parse("Carol").expect("valid"), Page::default());
        cache.keep_list(&generation, &key, &page).await;
        assert_eq!(cache.list(&key).await, Cached::Hit(page));

        cache.invalidate().await.expect("invalidated");
        let next = miss(cache.detail(BlogId(1)).await).await;
        assert_ne!(next, generation);
        miss(cache.list(&key).await).await;
        // A read that started before the write keeps its answer under the old
        // generation: never served.
        cache.keep_detail(&generation, &sample(1)).await;
        miss(cache.detail(BlogId(1)).await).await;
    }

    #[tokio::test]
    async fn large_entries_are_not_kept_and_a_disabled_cache_is_bypassed() {
        let small = cache(BlogCacheOptions {
            max_entry_bytes: 64,
            ..BlogCacheOptions::default()
        });
        let generation = miss(small.detail(BlogId(1)).await).await;
        small.keep_detail(&generation, &sample(1)).await;
        miss(small.detail(BlogId(1)).await).await;

        let off = cache(BlogCacheOptions {
            enabled: false,
            ..BlogCacheOptions::default()
        });
        assert_eq!(off.detail(BlogId(1)).await, Cached::Bypass);
        off.invalidate().await.expect("nothing to tell");
    }
}
