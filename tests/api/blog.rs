//! Blogs: every row of the contract's "Blog" table, XSS payloads, soft delete and
//! restore through the CLI's code path.

use std::fmt::Display;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{
    Refusal, Session, TestApp, TestUser, spawn_app, spawn_app_with_the_store_down,
};

impl TestApp {
    /// `POST /api/blog/new` as `session` with `body`; asserts nothing.
    async fn try_create_blog(&self, session: &Session, body: Value) -> reqwest::Response {
        self.post_as("/api/blog/new", Some(&session.token), Some(body))
            .await
    }

    /// `POST /api/blog/new` as `session` with `title` and `content`; asserts 201, returns the id.
    async fn create_blog(&self, session: &Session, title: &str, content: &str) -> i64 {
        let response = self
            .try_create_blog(session, json!({"title": title, "content": content}))
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("json");
        body["data"]["id"].as_i64().expect("an id")
    }

    /// `create_blog` of a sample by `session` (asserts 201); for child features.
    pub(crate) async fn new_blog(&self, session: &Session) -> i64 {
        self.create_blog(session, "A blog", "<p>Its text</p>").await
    }

    /// `GET /api/blog/list{query}`; asserts 200 and `errno: 0`, returns the total and the items.
    async fn blogs(&self, query: &str) -> (u64, Vec<Value>) {
        let response = self.get(&format!("/api/blog/list{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let total = response.headers()["x-total-count"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("a number");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["errno"], 0);
        (
            total,
            body["data"].as_array().expect("a plain array").clone(),
        )
    }

    /// `GET /api/blog/detail?id={id}`; asserts nothing.
    async fn blog_detail(&self, id: impl Display) -> reqwest::Response {
        self.get(&format!("/api/blog/detail?id={id}")).await
    }

    /// `POST /api/blog/update?id={id}` as `session` with `title` and `content`; asserts nothing.
    async fn update_blog(
        &self,
        session: &Session,
        id: impl Display,
        title: &str,
        content: &str,
    ) -> reqwest::Response {
        self.post_as(
            &format!("/api/blog/update?id={id}"),
            Some(&session.token),
            Some(json!({"title": title, "content": content})),
        )
        .await
    }

    /// `POST /api/blog/del?id={id}` as `session`, without a body; asserts nothing.
    async fn delete_blog(&self, session: &Session, id: impl Display) -> reqwest::Response {
        self.post_as(
            &format!("/api/blog/del?id={id}"),
            Some(&session.token),
            None,
        )
        .await
    }
}

fn titles(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|b| b["title"].as_str().unwrap_or_default())
        .collect()
}

backend_test!(the_course_flow_create_list_edit_delete, |app| async move {
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let bob = app.signed_up(&TestUser::new("bob")).await;
    let first = app
        .create_blog(&alice, "First post", "<p>Hello <b>world</b></p>")
        .await;
    let second = app.create_blog(&alice, "Second post", "about rust").await;
    app.create_blog(&bob, "Bob's post", "hello from bob").await;

    let (total, items) = app.blogs("").await;
    assert_eq!(total, 3);
    assert_eq!(
        titles(&items),
        vec!["Bob's post", "Second post", "First post"]
    );
    let blog = &items[2];
    assert_eq!(blog["author"], "alice");
    for field in ["id", "createtime", "updatetime"] {
        assert!(blog[field].as_i64().is_some(), "{field}");
    }

    let (total, items) = app.blogs("?author=alice").await;
    assert_eq!(
        (total, titles(&items)),
        (2, vec!["Second post", "First post"])
    );
    let (_, items) = app.blogs("?keyword=hello").await;
    assert_eq!(titles(&items), vec!["Bob's post", "First post"]);
    let (total, items) = app.blogs("?page=2&page_size=2").await;
    assert_eq!((total, titles(&items)), (3, vec!["First post"]));

    let detail: Value = app.blog_detail(first).await.json().await.expect("json");
    assert_eq!(detail["data"]["content"], "<p>Hello <b>world</b></p>");

    let updated = app
        .update_blog(&alice, second, "Second, edited", "more rust")
        .await;
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.expect("json");
    assert_eq!(updated["data"]["title"], "Second, edited");
    assert!(updated["data"]["updatetime"].as_i64() >= updated["data"]["createtime"].as_i64());

    let deleted = app.delete_blog(&alice, second).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        deleted.json::<Value>().await.expect("json"),
        json!({"errno": 0, "data": null})
    );
    assert_eq!(app.blog_detail(second).await.status(), 404);
    let (total, _) = app.blogs("?author=alice").await;
    assert_eq!(total, 1);
});

backend_test!(only_the_author_may_edit_or_delete, |app| async move {
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let bob = app.signed_up(&TestUser::new("bob")).await;
    let id = app.create_blog(&alice, "Mine", "x").await;
    let edit = app.update_blog(&bob, id, "Stolen", "y").await;
    assert_eq!(
        Refusal::status_and_code(edit).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
    let delete = app.delete_blog(&bob, id).await;
    assert_eq!(
        Refusal::status_and_code(delete).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
    let detail: Value = app.blog_detail(id).await.json().await.expect("json");
    assert_eq!(detail["data"]["title"], "Mine");
});

#[tokio::test]
async fn writing_needs_a_login() {
    let app = spawn_app().await;
    let body = Some(json!({"title": "t", "content": "c"}));
    for path in [
        "/api/blog/new",
        "/api/blog/update?id=1",
        "/api/blog/del?id=1",
    ] {
        let response = app.post_as(path, None, body.clone()).await;
        assert_eq!(
            Refusal::status_and_code(response).await,
            (StatusCode::UNAUTHORIZED, "unauthenticated".to_owned()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn bad_ids_are_400_and_unknown_ones_404() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    for id in ["abc", "0", "-3", "1%20OR%201=1"] {
        let response = app.blog_detail(id).await;
        assert_eq!(
            Refusal::status_and_code(response).await,
            (StatusCode::BAD_REQUEST, "validation_failed".to_owned()),
            "{id}"
        );
    }
    assert_eq!(
        Refusal::status_and_code(app.get("/api/blog/detail").await)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        Refusal::status_and_code(app.get("/api/blog/detail?id=999").await).await,
        (StatusCode::NOT_FOUND, "not_found".to_owned())
    );
    let update = app.update_blog(&alice, 999, "t", "c").await;
    assert_eq!(update.status(), 404);
    let delete = app.delete_blog(&alice, 999).await;
    assert_eq!(delete.status(), 404);
    let delete = app.delete_blog(&alice, "x").await;
    assert_eq!(delete.status(), 400);
}

#[tokio::test]
async fn titles_and_contents_are_validated_naming_the_field() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let cases = [
        (json!({"title": "  ", "content": "c"}), "title"),
        (json!({"title": "t".repeat(201), "content": "c"}), "title"),
        (
            json!({"title": "<script>x</script>", "content": "c"}),
            "title",
        ),
        (
            json!({"title": "t", "content": "c".repeat(100_001)}),
            "content",
        ),
        (json!({"content": "c"}), "title"),
        (json!({"title": "t"}), "content"),
    ];
    for (body, field) in cases {
        let response = app.try_create_blog(&alice, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let message: Value = response.json().await.expect("json");
        assert!(
            message["message"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_title_is_measured_as_typed_and_found_as_typed() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    app.create_blog(&alice, &"&".repeat(200), "200 ampersands")
        .await;
    let id = app
        .create_blog(&alice, "Tom & Jerry", "<p>Crème brûlée</p>")
        .await;
    let (total, items) = app.blogs("?keyword=Tom%20%26%20Jerry").await;
    assert_eq!(total, 1);
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["title"], "Tom &amp; Jerry", "served escaped");
    let (total, _) = app.blogs("?keyword=CR%C3%88ME").await;
    assert_eq!(total, 1, "non-ASCII case is folded");
    let response = app
        .try_create_blog(&alice, json!({"title": "&".repeat(201), "content": "c"}))
        .await;
    let (status, _) = Refusal::status_and_code(response).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn hostile_markup_and_invisible_characters_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let cases = [
        (
            json!({"title": "t", "content": "<div>".repeat(20_000)}),
            "content",
            "nest",
        ),
        (
            json!({"title": "t", "content": "a\u{0}b"}),
            "content",
            "NUL",
        ),
        (
            json!({"title": "bill\u{202e}txt.exe", "content": "c"}),
            "title",
            "U+202E",
        ),
    ];
    for (body, field, problem) in cases {
        let response = app.try_create_blog(&alice, body).await;
        assert_eq!(response.status(), 400, "{field}");
        let message: Value = response.json().await.expect("json");
        let text = message["message"].as_str().unwrap_or_default();
        assert!(text.contains(field) && text.contains(problem), "{text}");
    }
}

backend_test!(a_nul_character_in_any_field_is_a_400, |app| async move {
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let response = app.get("/api/blog/list?keyword=a%00b").await;
    assert_eq!(
        Refusal::status_and_code(response).await.0,
        400,
        "NUL in a keyword"
    );
    let response = app.get("/api/blog/list?author=al%00ice").await;
    assert_eq!(
        Refusal::status_and_code(response).await.0,
        400,
        "NUL in an author"
    );
    for body in [
        json!({"title": "t", "content": "a\u{0}b"}),
        json!({"title": "a\u{0}b", "content": "c"}),
    ] {
        let response = app.try_create_blog(&alice, body).await;
        assert_eq!(Refusal::status_and_code(response).await.0, 400);
    }
    let response = app
        .post_json(
            "/api/user/register",
            &json!({"username": "bob", "password": "bob-password", "realname": "B\u{0}b"}),
        )
        .await;
    assert_eq!(
        Refusal::status_and_code(response).await.0,
        400,
        "NUL in a realname"
    );
});

#[tokio::test]
async fn a_stale_cookie_during_a_store_outage_still_reads_the_public_list() {
    let app = spawn_app_with_the_store_down().await;
    let sid = "a".repeat(64);
    let response = app.get_with_cookie("/api/blog/list", &sid).await;
    assert_eq!(response.status(), 200, "served as anonymous");
    let response = app.get_with_cookie("/api/blog/list?isadmin=1", &sid).await;
    let (status, code) = Refusal::status_and_code(response).await;
    assert_eq!((status.as_u16(), code.as_str()), (503, "unavailable"));
}

#[tokio::test]
async fn paging_parameters_are_checked() {
    let app = spawn_app().await;
    for query in ["?page=0", "?page_size=0", "?page_size=101", "?page=x"] {
        let response = app.get(&format!("/api/blog/list{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
    }
}

#[tokio::test]
async fn isadmin_lists_the_callers_own_blogs_and_needs_a_login() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let bob = app.signed_up(&TestUser::new("bob")).await;
    app.create_blog(&alice, "alice's", "x").await;
    app.create_blog(&bob, "bob's", "x").await;
    let anonymous = app.get("/api/blog/list?isadmin=1").await;
    assert_eq!(anonymous.status(), 401);
    let own = app
        .get_with_cookie("/api/blog/list?isadmin=1", &alice.sid)
        .await;
    let body: Value = own.json().await.expect("json");
    let items = body["data"].as_array().expect("array");
    assert_eq!(titles(items), vec!["alice's"]);
}

#[tokio::test]
async fn xss_payloads_come_back_harmless() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let id = app.create_blog(&alice,
        "Hi <img src=x onerror=alert(1)>",
        "<p>ok</p><script>alert(1)</script><a href=\"javascript:alert(1)\" onclick=\"x()\">l</a>\
         <a href=\"https://example.com\">fine</a><svg onload=alert(1)></svg>",
    )
    .await;
    let body: Value = app.blog_detail(id).await.json().await.expect("json");
    let title = body["data"]["title"].as_str().expect("title");
    let content = body["data"]["content"]
        .as_str()
        .expect("content")
        .to_lowercase();
    assert!(!title.contains('<'), "{title}");
    for bad in ["<script", "onerror", "onclick", "onload", "javascript:"] {
        assert!(!content.contains(bad), "{content}");
    }
    assert!(content.contains("<p>ok</p>"));
    assert!(content.contains("href=\"https://example.com\""));
}

#[tokio::test]
async fn sql_in_filters_is_only_data() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    app.create_blog(&alice, "one", "x").await;
    let (total, _) = app.blogs("?keyword=%27%20OR%20%271%27%3D%271").await;
    assert_eq!(total, 0);
    let response = app
        .get("/api/blog/list?author=alice%27%20OR%20%271%27%3D%271")
        .await;
    assert_eq!(response.status(), 400, "not a username");
    let (total, _) = app.blogs("?keyword=%25").await;
    assert_eq!(total, 0, "% is literal");
}

#[tokio::test]
async fn a_deleted_blog_comes_back_with_the_restore_command() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let id = app.create_blog(&alice, "Back soon", "x").await;
    assert_eq!(app.delete_blog(&alice, id).await.status(), 200);
    assert_eq!(app.blog_detail(id).await.status(), 404);

    qblog_server::cli::restore_blog(&app.settings, id)
        .await
        .expect("restored");
    assert_eq!(app.blog_detail(id).await.status(), 200);
    let again = qblog_server::cli::restore_blog(&app.settings, id).await;
    assert!(again.is_err(), "restoring a live blog is refused");
}

#[tokio::test]
async fn a_write_on_one_instance_is_read_at_once_on_another_through_the_cache() {
    let Some((settings, database)) =
        crate::helpers::backend(crate::helpers::Backend::SqliteRedis).await
    else {
        return;
    };
    let writer = crate::helpers::spawn_with(settings, database).await;
    let reader = writer.another_instance().await;
    let alice = writer.signed_up(&TestUser::new("alice")).await;
    let id = writer
        .create_blog(&alice, "First title", "<p>one</p>")
        .await;
    let title_on_reader = || async {
        let body: Value = reader.blog_detail(id).await.json().await.expect("json");
        body["data"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // Read twice on the reader: the second answer comes from the cache.
    assert_eq!(title_on_reader().await, "First title");
    assert_eq!(title_on_reader().await, "First title");
    assert_eq!(reader.blogs("").await.0, 1);

    let updated = writer
        .update_blog(&alice, id, "Second title", "<p>two</p>")
        .await;
    assert_eq!(updated.status(), 200);
    assert_eq!(
        title_on_reader().await,
        "Second title",
        "no stale read after a write"
    );

    writer.create_blog(&alice, "Another", "<p>x</p>").await;
    let (total, items) = reader.blogs("").await;
    assert_eq!(total, 2);
    assert_eq!(titles(&items), ["Another", "Second title"]);

    let deleted = writer.delete_blog(&alice, id).await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(reader.blog_detail(id).await.status(), 404);
    assert_eq!(reader.blogs("").await.0, 1);
}
