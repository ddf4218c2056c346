//! Comments: every route, ownership, paging and validation, and the
//! blog each belongs to.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{Refusal, Session, TestApp, TestUser, spawn_app};

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

async fn post(
    app: &TestApp,
    path: &str,
    session: Option<&Session>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path));
    if let Some(session) = session {
        request = request.bearer_auth(&session.token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent")
}

async fn data_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["data"].clone()
}

/// A new comment by `session`'s user, for the tests of features whose records belong
/// to a comment.
#[allow(dead_code)]
pub(crate) async fn new_comment(app: &TestApp, session: &Session) -> i64 {
    let blog_id = crate::blog::new_blog(app, session).await;
    let response = post(
        app,
        "/api/comment/new",
        Some(session),
        Some(sample(blog_id)),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.expect("json");
    body["data"]["id"].as_i64().expect("an id")
}

backend_test!(
    a_comment_is_written_read_listed_edited_and_deleted_by_its_owner,
    |app| async move {
        let owner = app.signed_up(&TestUser::new("owner")).await;
        let other = app.signed_up(&TestUser::new("other")).await;
        let blog_id = crate::blog::new_blog(&app, &owner).await;
        let body = sample(blog_id);
        let created = post(&app, "/api/comment/new", Some(&owner), Some(body.clone())).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.expect("json");
        let id = created["data"]["id"].as_i64().expect("an id");

        let detail = data_of(app.get(&format!("/api/comment/detail?id={id}")).await).await;
        assert_eq!(detail["id"], id);
        assert_eq!(detail["owner"], "owner");
        for (field, value) in body.as_object().expect("an object") {
            assert_eq!(&detail[field], value, "{field}");
        }

        // Listed newest first, a page at a time, with the total in X-Total-Count.
        let newer = post(&app, "/api/comment/new", Some(&owner), Some(body)).await;
        let newer: Value = newer.json().await.expect("json");
        let listed = app
            .get(&format!("/api/comment/list?page_size=1&blog_id={blog_id}"))
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
                Refusal::parts(post(&app, &path, Some(&other), Some(edited())).await).await;
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::FORBIDDEN, "forbidden")
            );
        }
        let updated = post(
            &app,
            &format!("/api/comment/update?id={id}"),
            Some(&owner),
            Some(edited()),
        )
        .await;
        let updated = data_of(updated).await;
        for (field, value) in edited().as_object().expect("an object") {
            assert_eq!(&updated[field], value, "{field}");
        }
        let deleted = post(
            &app,
            &format!("/api/comment/del?id={id}"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(data_of(deleted).await, Value::Null);
        let (status, code, _) =
            Refusal::parts(app.get(&format!("/api/comment/detail?id={id}")).await).await;
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
    let blog_id = crate::blog::new_blog(&app, &owner).await;
    let body = sample(blog_id);
    let anonymous = post(&app, "/api/comment/new", None, Some(body.clone())).await;
    assert_eq!(anonymous.status(), 401);

    let mut missing = body.clone();
    missing.as_object_mut().expect("an object").remove("body");
    let mut mistyped = body.clone();
    mistyped["body"] = json!(["not", "this"]);
    for broken in [missing, mistyped] {
        let (status, code, message) =
            Refusal::parts(post(&app, "/api/comment/new", Some(&owner), Some(broken)).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "validation_failed")
        );
        assert!(message.contains("body"), "{message}");
    }

    let mut orphan = body.clone();
    orphan["blog_id"] = json!(999_999_999);
    let (status, _, message) =
        Refusal::parts(post(&app, "/api/comment/new", Some(&owner), Some(orphan)).await).await;
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
    let blog_id = crate::blog::new_blog(&app, &owner).await;
    let mut body = sample(blog_id);
    body["body"] = json!("<script>alert(1)</script><b onclick=\"x()\">hi</b>");
    let created = post(&app, "/api/comment/new", Some(&owner), Some(body)).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let id = created["data"]["id"].as_i64().expect("an id");
    let detail = data_of(app.get(&format!("/api/comment/detail?id={id}")).await).await;
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

/// A comment by `session`'s user on the blog `blog_id`.
async fn comment_on(app: &TestApp, session: &Session, blog_id: i64) -> i64 {
    let created = post(
        app,
        "/api/comment/new",
        Some(session),
        Some(sample(blog_id)),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    created["data"]["id"].as_i64().expect("an id")
}

backend_test!(
    the_author_of_a_blog_may_delete_comments_on_it_and_nobody_else,
    |app| async move {
        let author = app.signed_up(&TestUser::new("author")).await;
        let commenter = app.signed_up(&TestUser::new("commenter")).await;
        let stranger = app.signed_up(&TestUser::new("stranger")).await;
        let blog_id = crate::blog::new_blog(&app, &author).await;
        let first = comment_on(&app, &commenter, blog_id).await;
        let (status, _, _) = Refusal::parts(
            post(
                &app,
                &format!("/api/comment/del?id={first}"),
                Some(&stranger),
                None,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let deleted = post(
            &app,
            &format!("/api/comment/del?id={first}"),
            Some(&author),
            None,
        )
        .await;
        assert_eq!(data_of(deleted).await, Value::Null);
        // Deleting is all the blog's author may do with someone else's comment.
        let second = comment_on(&app, &commenter, blog_id).await;
        let (status, _, _) = Refusal::parts(
            post(
                &app,
                &format!("/api/comment/update?id={second}"),
                Some(&author),
                Some(edited()),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
);
