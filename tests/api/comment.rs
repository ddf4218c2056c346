//! Comments: every route, ownership, paging and validation, and the
//! blog each belongs to.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{Refusal, Session, TestApp, TestUser, data_of, spawn_app};

impl TestApp {
    /// `POST /api/comment/new` with `body`, as `session` or anonymously; asserts nothing.
    async fn try_create_comment(
        &self,
        session: Option<&Session>,
        body: Value,
    ) -> reqwest::Response {
        self.post_as(
            "/api/comment/new",
            session.map(|session| session.token.as_str()),
            Some(body),
        )
        .await
    }

    /// `POST /api/comment/new` as `session` with `body`; asserts 201, returns the new id.
    async fn create_comment(&self, session: &Session, body: Value) -> i64 {
        let response = self.try_create_comment(Some(session), body).await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        body["data"]["id"].as_i64().expect("an id")
    }

    /// `create_comment` of a sample by `session` on a new blog (asserts 201); for child features.
    #[allow(dead_code)]
    pub(crate) async fn new_comment(&self, session: &Session) -> i64 {
        let blog_id = self.new_blog(session).await;
        self.create_comment(session, sample(blog_id)).await
    }

    /// `create_comment` of a sample by `session` on the blog `blog_id` (asserts 201).
    async fn comment_on(&self, session: &Session, blog_id: i64) -> i64 {
        self.create_comment(session, sample(blog_id)).await
    }

    /// `GET /api/comment/list{query}`; asserts nothing.
    async fn list_comments(&self, query: &str) -> reqwest::Response {
        self.get(&format!("/api/comment/list{query}")).await
    }

    /// `GET /api/comment/detail?id={id}`; asserts nothing.
    async fn comment_detail(&self, id: i64) -> reqwest::Response {
        self.get(&format!("/api/comment/detail?id={id}")).await
    }

    /// `POST /api/comment/update?id={id}` as `session` with `body`; asserts nothing.
    async fn update_comment(&self, session: &Session, id: i64, body: Value) -> reqwest::Response {
        self.post_as(
            &format!("/api/comment/update?id={id}"),
            Some(&session.token),
            Some(body),
        )
        .await
    }

    /// `POST /api/comment/del?id={id}` as `session`, without a body; asserts nothing.
    async fn delete_comment(&self, session: &Session, id: i64) -> reqwest::Response {
        self.post_as(
            &format!("/api/comment/del?id={id}"),
            Some(&session.token),
            None,
        )
        .await
    }
}

/// A valid body for `new` on the blog `blog_id`.
fn sample(blog_id: i64) -> Value {
    json!({
        "blog_id": blog_id,
        "body": "A first comment",
    })
}

/// A valid body for `update`.
fn edited() -> Value {
    json!({
        "body": "An edited comment",
    })
}

backend_test!(
    a_comment_is_written_read_listed_edited_and_deleted_by_its_owner,
    |app| async move {
        let owner = app.signed_up(&TestUser::new("owner")).await;
        let other = app.signed_up(&TestUser::new("other")).await;
        let blog_id = app.new_blog(&owner).await;
        let body = sample(blog_id);
        let id = app.create_comment(&owner, body.clone()).await;

        let detail = data_of(app.comment_detail(id).await).await;
        assert_eq!(detail["id"], id);
        assert_eq!(detail["owner"], "owner");
        for (field, value) in body.as_object().expect("an object") {
            assert_eq!(&detail[field], value, "{field}");
        }

        // Listed newest first, a page at a time, with the total in X-Total-Count.
        let newer = app.try_create_comment(Some(&owner), body).await;
        let newer: Value = newer.json().await.expect("json");
        let listed = app
            .list_comments(&format!("?page_size=1&blog_id={blog_id}"))
            .await;

        assert_eq!(listed.headers()["x-total-count"], "2");
        let items = data_of(listed).await;
        let items = items.as_array().expect("an array");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], newer["data"]["id"]);

        // Only the owner edits and deletes.
        for path in [
            format!("/api/comment/update?id={id}"),
            format!("/api/comment/del?id={id}"),
        ] {
            let (status, code, _) =
                Refusal::parts(app.post_as(&path, Some(&other.token), Some(edited())).await).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::FORBIDDEN, "forbidden")
            );
        }
        let updated = data_of(app.update_comment(&owner, id, edited()).await).await;
        for (field, value) in edited().as_object().expect("an object") {
            assert_eq!(&updated[field], value, "{field}");
        }
        let deleted = app.delete_comment(&owner, id).await;
        assert_eq!(data_of(deleted).await, Value::Null);
        let (status, code, _) = Refusal::parts(app.comment_detail(id).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::NOT_FOUND, "not_found")
        );
    }
);

#[tokio::test]
async fn writing_needs_a_login_and_bad_input_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let owner = app.signed_up(&TestUser::new("owner")).await;
    let blog_id = app.new_blog(&owner).await;
    let body = sample(blog_id);
    let anonymous = app.try_create_comment(None, body.clone()).await;
    assert_eq!(anonymous.status(), 401);

    let mut missing = body.clone();
    missing.as_object_mut().expect("an object").remove("body");
    let mut mistyped = body.clone();
    mistyped["body"] = json!(["not", "this"]);
    for broken in [missing, mistyped] {
        let (status, code, message) =
            Refusal::parts(app.try_create_comment(Some(&owner), broken).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "validation_failed")
        );
        assert!(message.contains("body"), "{message}");
    }

    let mut orphan = body.clone();
    orphan["blog_id"] = json!(999_999_999);
    let (status, _, message) =
        Refusal::parts(app.try_create_comment(Some(&owner), orphan).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("blog_id"), "{message}");

    for (query, status) in [("id=x", 400), ("id=0", 400), ("id=999999999", 404)] {
        let response = app.get(&format!("/api/comment/detail?{query}")).await;
        assert_eq!(response.status().as_u16(), status, "{query}");
    }
}

#[tokio::test]
async fn markup_in_text_fields_comes_back_harmless() {
    let app = spawn_app().await;
    let owner = app.signed_up(&TestUser::new("owner")).await;
    let blog_id = app.new_blog(&owner).await;
    let mut body = sample(blog_id);
    body["body"] = json!("<script>alert(1)</script><b onclick=\"x()\">hi</b>");
    let id = app.create_comment(&owner, body).await;
    let detail = data_of(app.comment_detail(id).await).await;
    let stored = detail["body"].as_str().expect("text");
    assert!(stored.contains("hi"), "{stored}");
    assert!(
        !stored.contains("<script") && !stored.contains("onclick"),
        "{stored}"
    );
}

#[tokio::test]
async fn the_comment_routes_are_in_the_api_document() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    for (path, method) in [
        ("/api/comment/list", "get"),
        ("/api/comment/detail", "get"),
        ("/api/comment/new", "post"),
        ("/api/comment/update", "post"),
        ("/api/comment/del", "post"),
    ] {
        let operation = &spec["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert_eq!(operation["tags"][0], "Comment", "{path}");
    }
}

backend_test!(
    the_author_of_a_blog_may_delete_comments_on_it_and_nobody_else,
    |app| async move {
        let author = app.signed_up(&TestUser::new("author")).await;
        let commenter = app.signed_up(&TestUser::new("commenter")).await;
        let stranger = app.signed_up(&TestUser::new("stranger")).await;
        let blog_id = app.new_blog(&author).await;
        let first = app.comment_on(&commenter, blog_id).await;
        let (status, _, _) = Refusal::parts(app.delete_comment(&stranger, first).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let deleted = app.delete_comment(&author, first).await;
        assert_eq!(data_of(deleted).await, Value::Null);
        // Deleting is all the blog's author may do with someone else's comment.
        let second = app.comment_on(&commenter, blog_id).await;
        let (status, _, _) =
            Refusal::parts(app.update_comment(&author, second, edited()).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);
