//! `CommentServiceImpl` against mockall mocks of its ports: no database.

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{Credential, LoginMethod, Principal, SessionId};
use qblog_domain::blog::{Blog, BlogContent, BlogTitle, MockBlogRepository};
use qblog_domain::clock::MockClock;
use qblog_domain::comment::MockCommentRepository;
use qblog_domain::user::{Realname, UserId, Username};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn principal(id: i64) -> Principal {
    Principal {
        user_id: UserId(id),
        username: Username::parse(&format!("user{id}")).expect("valid"),
        realname: Realname::parse("A User").expect("valid"),
        session: SessionId::from_random_bytes([1; 32]).handle(),
        method: LoginMethod::Password,
        credential: Credential::Cookie,
    }
}

fn draft() -> CommentDraft {
    CommentDraft {
        body: CommentBody::from_stored("A first comment".to_owned()),
    }
}

/// A stored comment with this id, written by user `owner`.
fn stored(id: i64, owner: i64) -> Comment {
    Comment {
        id: CommentId(id),
        blog_id: BlogId(1),
        body: CommentBody::from_stored("A first comment".to_owned()),
        owner_id: UserId(owner),
        owner: Username::parse(&format!("user{owner}")).expect("valid"),
        created_at: now(),
        updated_at: now(),
    }
}

/// Blog 1, written by user `author`.
fn blog_by(author: i64) -> Blog {
    Blog {
        id: BlogId(1),
        title: BlogTitle::from_stored("A blog".to_owned()),
        content: BlogContent::from_stored("<p>Its text</p>".to_owned()),
        author_id: UserId(author),
        author: Username::parse(&format!("user{author}")).expect("valid"),
        created_at: now(),
        updated_at: now(),
    }
}

/// Every port, each mock starting with no expectations.
#[derive(Default)]
struct Ports {
    comments: MockCommentRepository,
    blogs: MockBlogRepository,
}

impl Ports {
    fn service(self) -> CommentServiceImpl {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        CommentServiceImpl {
            comments: Arc::new(self.comments),
            blogs: Arc::new(self.blogs),
            clock: Arc::new(clock),
        }
    }

    /// Blog 1, which the stored comments are on, was written by user `author`.
    fn on_a_blog_by(mut self, author: i64) -> Self {
        self.blogs
            .expect_find()
            .withf(|id| *id == BlogId(1))
            .returning(move |_| Ok(Some(blog_by(author))));
        self
    }

    /// The store holds `stored(9, owner)`.
    fn holding(mut self, owner: i64) -> Self {
        self.comments
            .expect_find()
            .withf(|id| *id == CommentId(9))
            .returning(move |_| Ok(Some(stored(9, owner))));
        self
    }
}

#[tokio::test]
async fn a_new_comment_is_stored_with_its_owner_and_the_time() {
    let mut ports = Ports::default();
    ports
        .blogs
        .expect_exists()
        .withf(|id| *id == BlogId(1))
        .returning(|_| Ok(true));
    let draft = draft();
    let expected = NewComment {
        blog_id: BlogId(1),
        body: draft.body,
        owner_id: UserId(2),
        owner: Username::parse("user2").expect("valid"),
        created_at: now(),
    };
    ports
        .comments
        .expect_create()
        .withf(move |new| *new == expected)
        .times(1)
        .returning(|_| Ok(stored(9, 2)));
    let created = ports
        .service()
        .create(&principal(2), BlogId(1), self::draft())
        .await
        .expect("created");
    assert_eq!(created.id, CommentId(9));
}

#[tokio::test]
async fn nothing_is_stored_for_a_blog_that_does_not_exist() {
    let mut ports = Ports::default();
    ports.blogs.expect_exists().returning(|_| Ok(false));
    ports.comments.expect_create().never();
    let err = ports
        .service()
        .create(&principal(2), BlogId(404), draft())
        .await
        .expect_err("refused");
    assert!(matches!(err, CommentError::NoBlog), "{err:?}");
}

#[tokio::test]
async fn only_the_owner_may_change_or_delete_a_comment() {
    let mut ports = Ports::default().holding(1).on_a_blog_by(3);
    ports.comments.expect_update().never();
    ports.comments.expect_delete().never();
    let service = ports.service();
    let err = service
        .update(&principal(2), CommentId(9), draft())
        .await
        .expect_err("refused");
    assert!(matches!(err, CommentError::NotOwner), "{err:?}");
    let err = service
        .delete(&principal(2), CommentId(9))
        .await
        .expect_err("refused");
    assert!(matches!(err, CommentError::NotOwner), "{err:?}");
}

#[tokio::test]
async fn the_owner_changes_the_fields_at_the_current_time() {
    let mut ports = Ports::default().holding(2);
    let draft = draft();
    let expected = CommentChanges {
        body: draft.body,
        updated_at: now(),
    };
    ports
        .comments
        .expect_update()
        .withf(move |id, changes| *id == CommentId(9) && *changes == expected)
        .times(1)
        .returning(|_, _| Ok(Some(stored(9, 2))));
    let updated = ports
        .service()
        .update(&principal(2), CommentId(9), self::draft())
        .await
        .expect("updated");
    assert_eq!(updated.owner_id, UserId(2));
}

#[tokio::test]
async fn an_unknown_comment_is_not_found() {
    let mut ports = Ports::default();
    ports.comments.expect_find().returning(|_| Ok(None));
    let service = ports.service();
    assert!(matches!(
        service.detail(CommentId(1)).await,
        Err(CommentError::NotFound)
    ));
    assert!(matches!(
        service.delete(&principal(2), CommentId(1)).await,
        Err(CommentError::NotFound)
    ));
}

#[tokio::test]
async fn the_author_of_the_blog_may_delete_a_comment_on_it() {
    let mut ports = Ports::default().holding(1).on_a_blog_by(3);
    ports
        .comments
        .expect_delete()
        .withf(|id| *id == CommentId(9))
        .times(1)
        .returning(|_| Ok(true));
    ports
        .service()
        .delete(&principal(3), CommentId(9))
        .await
        .expect("deleted by the blog's author");
}
