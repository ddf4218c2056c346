//! `BlogServiceImpl` against a mockall `MockBlogRepository`: no database.

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{Credential, LoginMethod, SessionId};
use qblog_domain::blog::{MockBlogCache, MockBlogRepository};
use qblog_domain::clock::MockClock;
use qblog_domain::text::escape_html;
use qblog_domain::user::{MockUserRepository, PasswordHash, Realname, User, UserId};

use qblog_domain::blog::{CacheGeneration, ListKey};

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

fn service(blogs: MockBlogRepository, users: MockUserRepository) -> BlogServiceImpl {
    service_with(blogs, users, no_cache())
}

fn service_with(
    blogs: MockBlogRepository,
    users: MockUserRepository,
    cache: MockBlogCache,
) -> BlogServiceImpl {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    BlogServiceImpl {
        blogs: Arc::new(blogs),
        users: Arc::new(users),
        cache: Arc::new(cache),
        clock: Arc::new(clock),
    }
}

fn alice_owns_blog_7() -> MockBlogRepository {
    let mut blogs = MockBlogRepository::new();
    blogs
        .expect_find()
        .withf(|id| *id == BlogId(7))
        .returning(|_| Ok(Some(blog(7, 1))));
    blogs
}

#[tokio::test]
async fn the_author_may_update_their_blog() {
    let mut blogs = alice_owns_blog_7();
    blogs
        .expect_update()
        .withf(|id, changes| *id == BlogId(7) && changes.title.as_str() == "New title")
        .times(1)
        .returning(|_, changes| {
            let mut updated = blog(7, 1);
            updated.title = changes.title;
            updated.updated_at = changes.updated_at;
            Ok(Some(updated))
        });
    let updated = service(blogs, MockUserRepository::new())
        .update(&principal(1, "alice"), BlogId(7), draft())
        .await
        .expect("updated");
    assert_eq!(updated.title.as_str(), "New title");
}

#[tokio::test]
async fn someone_else_may_neither_update_nor_delete() {
    let mut blogs = alice_owns_blog_7();
    blogs.expect_update().never();
    blogs.expect_soft_delete().never();
    let service = service(blogs, MockUserRepository::new());
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
    let mut blogs = MockBlogRepository::new();
    blogs.expect_find().returning(|_| Ok(None));
    let service = service(blogs, MockUserRepository::new());
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
    let mut blogs = alice_owns_blog_7();
    blogs
        .expect_soft_delete()
        .withf(|id, at| *id == BlogId(7) && *at == now())
        .times(1)
        .returning(|_, _| Ok(true));
    service(blogs, MockUserRepository::new())
        .delete(&principal(1, "alice"), BlogId(7))
        .await
        .expect("deleted");
}

#[tokio::test]
async fn a_blog_deleted_between_check_and_write_is_not_found() {
    let mut blogs = alice_owns_blog_7();
    blogs.expect_update().returning(|_, _| Ok(None));
    let result = service(blogs, MockUserRepository::new())
        .update(&principal(1, "alice"), BlogId(7), draft())
        .await;
    assert!(matches!(result, Err(BlogError::NotFound)));
}

#[tokio::test]
async fn restoring_a_blog_that_is_not_deleted_is_not_found() {
    let mut blogs = MockBlogRepository::new();
    blogs.expect_restore().returning(|_, _| Ok(false));
    let result = service(blogs, MockUserRepository::new())
        .restore(BlogId(7))
        .await;
    assert!(matches!(result, Err(BlogError::NotFound)));
}

#[tokio::test]
async fn listing_by_an_unknown_author_queries_no_blogs() {
    let mut users = MockUserRepository::new();
    users.expect_find_with_hash().returning(|_| Ok(None));
    let mut blogs = MockBlogRepository::new();
    blogs.expect_list().never();
    let page = service(blogs, users)
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
    let mut users = MockUserRepository::new();
    users.expect_find_with_hash().returning(|_| {
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
    let mut blogs = MockBlogRepository::new();
    let page = Page::new(3, 10).expect("valid");
    blogs
        .expect_list()
        .withf(move |query| query.author_id == Some(UserId(1)) && query.page == page)
        .times(1)
        .returning(|_| {
            Ok(BlogPage {
                items: vec![blog(7, 1)],
                total: 21,
            })
        });
    let result = service(blogs, users)
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
    let mut blogs = MockBlogRepository::new();
    blogs
        .expect_list()
        .withf(|query| query.author_id == Some(UserId(2)))
        .times(1)
        .returning(|_| {
            Ok(BlogPage {
                items: vec![],
                total: 0,
            })
        });
    service(blogs, MockUserRepository::new())
        .list_own(&principal(2, "bob"), None, Page::default())
        .await
        .expect("listed");
}

#[tokio::test]
async fn a_new_blog_belongs_to_its_author_and_starts_now() {
    let mut blogs = MockBlogRepository::new();
    blogs
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
    let created = service(blogs, MockUserRepository::new())
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
    let mut blogs = MockBlogRepository::new();
    blogs.expect_find().never();
    let found = service_with(blogs, MockUserRepository::new(), cache)
        .detail(BlogId(7))
        .await
        .expect("found");
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
    let found = service_with(alice_owns_blog_7(), MockUserRepository::new(), cache)
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
    let mut blogs = MockBlogRepository::new();
    blogs
        .expect_list()
        .withf(|query| query.keyword.is_some())
        .times(1)
        .returning(|_| Ok(BlogPage::empty()));
    let service = service_with(blogs, MockUserRepository::new(), cache);
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
    let mut blogs = MockBlogRepository::new();
    blogs
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
    service_with(blogs, MockUserRepository::new(), cache)
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
    let mut blogs = alice_owns_blog_7();
    blogs.expect_soft_delete().never();
    let err = service_with(blogs, MockUserRepository::new(), cache)
        .delete(&principal(1, "alice"), BlogId(7))
        .await
        .expect_err("refused");
    assert!(matches!(err, BlogError::Unavailable(_)));
}
