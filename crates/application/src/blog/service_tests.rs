//! `BlogServiceImpl` against mockall mocks of its ports (blogs, users, cache): no
//! database, no store.

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{Credential, LoginMethod, SessionId};
use qblog_domain::blog::{CacheGeneration, ListKey, MockBlogCache, MockBlogRepository};
use qblog_domain::clock::MockClock;
use qblog_domain::text::escape_html;
use qblog_domain::user::{MockUserRepository, PasswordHash, Realname, User, UserId};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn principal(id: i64, name: &str) -> Principal {
    Principal {
        user_id: UserId(id),
        username: Username::parse(name).expect("valid"),
        realname: Realname::parse(name).expect("valid"),
        session: SessionId::from_random_bytes([1; 32]).handle(),
        method: LoginMethod::Password,
        credential: Credential::Cookie,
    }
}

fn blog(id: i64, author_id: i64) -> Blog {
    Blog {
        id: BlogId(id),
        title: BlogTitle::parse("Title", escape_html).expect("valid"),
        content: BlogContent::parse("<p>Body</p>", str::to_owned).expect("valid"),
        author_id: UserId(author_id),
        author: Username::parse("alice").expect("valid"),
        created_at: now(),
        updated_at: now(),
    }
}

fn draft() -> BlogDraft {
    BlogDraft {
        title: BlogTitle::parse("New title", escape_html).expect("valid"),
        content: BlogContent::parse("new body", str::to_owned).expect("valid"),
    }
}

/// A cache that is off: every read goes to the database, writes tell it nothing.
fn no_cache() -> MockBlogCache {
    let mut cache = MockBlogCache::new();
    cache.expect_detail().returning(|_| Cached::Bypass);
    cache.expect_list().returning(|_| Cached::Bypass);
    cache.expect_invalidate().returning(|| Ok(()));
    cache.expect_keep_detail().never();
    cache.expect_keep_list().never();
    cache
}

/// Every port, each mock starting with no expectations, except the cache: it is off
/// (`no_cache()`) unless a test hands its own mock to [`Ports::cached`].
///
/// The cache is an `Option` rather than a plain mock so that `service()` never adds
/// expectations on top of a test's own: a test that sets up the cache gets exactly the
/// expectations it wrote, and every other test gets `no_cache()`.
#[derive(Default)]
struct Ports {
    blogs: MockBlogRepository,
    users: MockUserRepository,
    /// `None`: the cache is off, as `no_cache()` describes.
    cache: Option<MockBlogCache>,
}

impl Ports {
    /// The service over these ports and a clock fixed at `now()`.
    fn service(self) -> BlogServiceImpl {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        BlogServiceImpl {
            blogs: Arc::new(self.blogs),
            users: Arc::new(self.users),
            cache: Arc::new(self.cache.unwrap_or_else(no_cache)),
            clock: Arc::new(clock),
        }
    }

    /// The service reads and writes through `cache`, with only the expectations the test
    /// gave it, instead of `no_cache()`.
    fn cached(mut self, cache: MockBlogCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The repository finds blog 7, written by alice (user 1).
    fn alice_owns_blog_7(mut self) -> Self {
        self.blogs
            .expect_find()
            .withf(|id| *id == BlogId(7))
            .returning(|_| Ok(Some(blog(7, 1))));
        self
    }
}

#[tokio::test]
async fn the_author_may_update_their_blog() {
    let mut ports = Ports::default().alice_owns_blog_7();
    ports
        .blogs
        .expect_update()
        .withf(|id, changes| *id == BlogId(7) && changes.title.as_str() == "New title")
        .times(1)
        .returning(|_, changes| {
            let mut updated = blog(7, 1);
            updated.title = changes.title;
            updated.updated_at = changes.updated_at;
            Ok(Some(updated))
        });
    let updated = ports
        .service()
        .update(&principal(1, "alice"), BlogId(7), draft())
        .await
        .expect("updated");
    assert_eq!(updated.title.as_str(), "New title");
}

#[tokio::test]
async fn someone_else_may_neither_update_nor_delete() {
    let mut ports = Ports::default().alice_owns_blog_7();
    ports.blogs.expect_update().never();
    ports.blogs.expect_soft_delete().never();
    let service = ports.service();
    let bob = principal(2, "bob");
    assert!(matches!(
        service.update(&bob, BlogId(7), draft()).await,
        Err(BlogError::NotAuthor)
    ));
    assert!(matches!(
        service.delete(&bob, BlogId(7)).await,
        Err(BlogError::NotAuthor)
    ));
}

#[tokio::test]
async fn an_unknown_or_deleted_blog_is_not_found_everywhere() {
    let mut ports = Ports::default();
    ports.blogs.expect_find().returning(|_| Ok(None));
    let service = ports.service();
    let alice = principal(1, "alice");
    assert!(matches!(
        service.detail(BlogId(9)).await,
        Err(BlogError::NotFound)
    ));
    assert!(matches!(
        service.update(&alice, BlogId(9), draft()).await,
        Err(BlogError::NotFound)
    ));
    assert!(matches!(
        service.delete(&alice, BlogId(9)).await,
        Err(BlogError::NotFound)
    ));
}

#[tokio::test]
async fn deleting_is_a_soft_delete_at_the_current_time() {
    let mut ports = Ports::default().alice_owns_blog_7();
    ports
        .blogs
        .expect_soft_delete()
        .withf(|id, at| *id == BlogId(7) && *at == now())
        .times(1)
        .returning(|_, _| Ok(true));
    ports
        .service()
        .delete(&principal(1, "alice"), BlogId(7))
        .await
        .expect("deleted");
}

#[tokio::test]
async fn a_blog_deleted_between_check_and_write_is_not_found() {
    let mut ports = Ports::default().alice_owns_blog_7();
    ports.blogs.expect_update().returning(|_, _| Ok(None));
    let result = ports
        .service()
        .update(&principal(1, "alice"), BlogId(7), draft())
        .await;
    assert!(matches!(result, Err(BlogError::NotFound)));
}

#[tokio::test]
async fn restoring_a_blog_that_is_not_deleted_is_not_found() {
    let mut ports = Ports::default();
    ports.blogs.expect_restore().returning(|_, _| Ok(false));
    let result = ports.service().restore(BlogId(7)).await;
    assert!(matches!(result, Err(BlogError::NotFound)));
}

#[tokio::test]
async fn listing_by_an_unknown_author_queries_no_blogs() {
    let mut ports = Ports::default();
    ports.users.expect_find_with_hash().returning(|_| Ok(None));
    ports.blogs.expect_list().never();
    let page = ports
        .service()
        .list(BlogListRequest {
            author: Some(Username::parse("ghost").expect("valid")),
            ..BlogListRequest::default()
        })
        .await
        .expect("listed");
    assert_eq!(
        page,
        BlogPage {
            items: vec![],
            total: 0
        }
    );
}

#[tokio::test]
async fn listing_by_author_filters_on_their_id_and_passes_paging_through() {
    let mut ports = Ports::default();
    ports.users.expect_find_with_hash().returning(|_| {
        Ok(Some((
            User {
                id: UserId(1),
                username: Username::parse("alice").expect("valid"),
                realname: Realname::parse("Alice").expect("valid"),
                created_at: now(),
            },
            PasswordHash::new("$argon2id$x".into()),
        )))
    });
    let page = Page::new(3, 10).expect("valid");
    ports
        .blogs
        .expect_list()
        .withf(move |query| query.author_id == Some(UserId(1)) && query.page == page)
        .times(1)
        .returning(|_| {
            Ok(BlogPage {
                items: vec![blog(7, 1)],
                total: 21,
            })
        });
    let result = ports
        .service()
        .list(BlogListRequest {
            author: Some(Username::parse("Alice").expect("valid")),
            keyword: None,
            page,
        })
        .await
        .expect("listed");
    assert_eq!(result.total, 21);
}

#[tokio::test]
async fn list_own_uses_the_callers_id() {
    let mut ports = Ports::default();
    ports
        .blogs
        .expect_list()
        .withf(|query| query.author_id == Some(UserId(2)))
        .times(1)
        .returning(|_| {
            Ok(BlogPage {
                items: vec![],
                total: 0,
            })
        });
    ports
        .service()
        .list_own(&principal(2, "bob"), None, Page::default())
        .await
        .expect("listed");
}

#[tokio::test]
async fn a_new_blog_belongs_to_its_author_and_starts_now() {
    let mut ports = Ports::default();
    ports
        .blogs
        .expect_create()
        .withf(|new| {
            new.author_id == UserId(2) && new.author.as_str() == "bob" && new.created_at == now()
        })
        .times(1)
        .returning(|new| {
            Ok(Blog {
                id: BlogId(11),
                title: new.title,
                content: new.content,
                author_id: new.author_id,
                author: new.author,
                created_at: new.created_at,
                updated_at: new.created_at,
            })
        });
    let created = ports
        .service()
        .create(&principal(2, "bob"), draft())
        .await
        .expect("created");
    assert_eq!(created.id, BlogId(11));
}

fn generation() -> CacheGeneration {
    CacheGeneration("g1".into())
}

#[tokio::test]
async fn a_cached_blog_is_served_without_the_database() {
    let mut cache = MockBlogCache::new();
    cache
        .expect_detail()
        .returning(|id| Cached::Hit(blog(id.0, 1)));
    let mut ports = Ports::default().cached(cache);
    ports.blogs.expect_find().never();
    let found = ports.service().detail(BlogId(7)).await.expect("found");
    assert_eq!(found.id, BlogId(7));
}

#[tokio::test]
async fn a_miss_reads_the_database_and_keeps_the_answer_under_the_generation_read_first() {
    let mut cache = MockBlogCache::new();
    cache
        .expect_detail()
        .returning(|_| Cached::Miss(generation()));
    cache
        .expect_keep_detail()
        .withf(|g, kept| *g == generation() && kept.id == BlogId(7))
        .times(1)
        .returning(|_, _| ());
    let found = Ports::default()
        .alice_owns_blog_7()
        .cached(cache)
        .service()
        .detail(BlogId(7))
        .await
        .expect("found");
    assert_eq!(found.id, BlogId(7));
}

#[tokio::test]
async fn lists_are_cached_by_author_and_page_and_keyword_searches_never() {
    let mut cache = MockBlogCache::new();
    let page = Page::new(2, 10).expect("valid");
    cache
        .expect_list()
        .withf(move |key| *key == ListKey::All(page))
        .times(1)
        .returning(|_| Cached::Hit(BlogPage::empty()));
    let mut ports = Ports::default().cached(cache);
    ports
        .blogs
        .expect_list()
        .withf(|query| query.keyword.is_some())
        .times(1)
        .returning(|_| Ok(BlogPage::empty()));
    let service = ports.service();
    let cached = service
        .list(BlogListRequest {
            page,
            ..BlogListRequest::default()
        })
        .await
        .expect("listed");
    assert_eq!(cached.total, 0);
    service
        .list(BlogListRequest {
            keyword: Keyword::parse("rust").expect("valid"),
            page,
            ..BlogListRequest::default()
        })
        .await
        .expect("searched in the database");
}

#[tokio::test]
async fn a_write_tells_the_cache_before_and_after() {
    let mut cache = MockBlogCache::new();
    let mut sequence = mockall::Sequence::new();
    cache
        .expect_invalidate()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|| Ok(()));
    let mut ports = Ports::default();
    ports
        .blogs
        .expect_create()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|new| {
            let mut created = blog(9, new.author_id.0);
            created.title = new.title;
            Ok(created)
        });
    cache
        .expect_invalidate()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|| Ok(()));
    ports
        .cached(cache)
        .service()
        .create(&principal(1, "alice"), draft())
        .await
        .expect("created");
}

#[tokio::test]
async fn a_write_the_cache_cannot_be_told_of_does_not_happen() {
    let mut cache = MockBlogCache::new();
    cache
        .expect_invalidate()
        .returning(|| Err(BlogError::Unavailable("redis down".into())));
    let mut ports = Ports::default().alice_owns_blog_7().cached(cache);
    ports.blogs.expect_soft_delete().never();
    let err = ports
        .service()
        .delete(&principal(1, "alice"), BlogId(7))
        .await
        .expect_err("refused");
    assert!(matches!(err, BlogError::Unavailable(_)));
}
