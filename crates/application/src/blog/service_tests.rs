//! `BlogServiceImpl` against a mockall `MockBlogRepository`: no database.

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{Credential, LoginMethod, SessionId};
use qblog_domain::blog::MockBlogRepository;
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

fn service(blogs: MockBlogRepository, users: MockUserRepository) -> BlogServiceImpl {
    let mut clock = MockClock::new();
    clock.expect_now().returning(now);
    BlogServiceImpl {
        blogs: Arc::new(blogs),
        users: Arc::new(users),
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
