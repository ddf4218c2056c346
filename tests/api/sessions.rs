//! Device sessions: one per login, listed, revoked one by one or all but the current,
//! on every instance at once.

use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{
    Backend, Session, TestApp, TestUser, backend, session_of, spawn_app, spawn_with,
};

impl TestApp {
    /// `POST /api/user/login` for `user` with `User-Agent: {user_agent}`; asserts 200.
    async fn login_with_agent(&self, user: &TestUser, user_agent: &str) -> Session {
        let response = self
            .client
            .post(self.url("/api/user/login"))
            .header("user-agent", user_agent)
            .json(&json!({"username": user.username, "password": user.password}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        session_of(response).await
    }

    /// `GET /api/user/sessions` with `session`'s cookie; asserts 200, returns the list.
    async fn sessions(&self, session: &Session) -> Vec<Value> {
        let response = self
            .get_with_cookie("/api/user/sessions", &session.sid)
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        body["data"].as_array().expect("an array").clone()
    }

    /// `POST /api/user/sessions/revoke` of `id` with `session`'s token; asserts nothing.
    async fn revoke_session(&self, session: &Session, id: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/api/user/sessions/revoke"))
            .bearer_auth(&session.token)
            .json(&json!({ "id": id }))
            .send()
            .await
            .expect("sent")
    }

    /// `GET /api/user/me` by cookie, then by token, as `session`; asserts nothing, returns the statuses.
    async fn me_statuses(&self, session: &Session) -> (u16, u16) {
        (
            self.get_with_cookie("/api/user/me", &session.sid)
                .await
                .status()
                .as_u16(),
            self.get_with_token("/api/user/me", &session.token)
                .await
                .status()
                .as_u16(),
        )
    }
}

backend_test!(
    each_login_is_one_listed_session_newest_first,
    |app| async move {
        let lena = TestUser::new("lena");
        app.register(&lena).await;
        let laptop = app.login_with_agent(&lena, "Laptop/1.0").await;
        let phone = app.login_with_agent(&lena, "Phone/2.0").await;
        let listed = app.sessions(&laptop).await;
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert_eq!(listed[0]["user_agent"], "Phone/2.0");
        assert_eq!(listed[1]["user_agent"], "Laptop/1.0");
        assert_eq!(listed[0]["current"], false);
        assert_eq!(listed[1]["current"], true);
        for entry in &listed {
            assert_eq!(entry["method"], "password");
            assert_eq!(entry["ip"], "127.0.0.1");
            let id = entry["id"].as_str().expect("an id");
            assert_eq!(id.len(), 32);
            for secret in [&laptop.sid, &laptop.token, &phone.sid, &phone.token] {
                assert!(
                    !secret.contains(id),
                    "an id must not be part of a credential"
                );
            }
            let created = entry["created_at"].as_i64().expect("millis");
            let seen = entry["last_seen_at"].as_i64().expect("millis");
            assert!(created > 1_700_000_000_000 && seen >= created, "{entry}");
        }
        let text = serde_json::to_string(&listed).expect("json");
        for secret in [&laptop.sid, &laptop.token, &phone.sid, &phone.token] {
            assert!(!text.contains(secret.as_str()));
        }
        // The phone's own list marks the phone's session.
        let from_phone = app.sessions(&phone).await;
        assert_eq!(from_phone[0]["current"], true);
        // Another user sees only their own.
        let other = app.signed_up(&TestUser::new("mona")).await;
        assert_eq!(app.sessions(&other).await.len(), 1);
    }
);

backend_test!(
    a_revoked_session_loses_its_cookie_and_its_token,
    |app| async move {
        let lena = TestUser::new("lena");
        app.register(&lena).await;
        let laptop = app.login_with_agent(&lena, "Laptop/1.0").await;
        let stolen = app.login_with_agent(&lena, "Unknown/0.1").await;
        let listed = app.sessions(&laptop).await;
        let stolen_id = listed
            .iter()
            .find(|entry| entry["user_agent"] == "Unknown/0.1")
            .map(|entry| entry["id"].clone())
            .expect("listed");
        let response = app.revoke_session(&laptop, &stolen_id).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, json!({"errno": 0, "data": null}));
        assert_eq!(app.me_statuses(&stolen).await, (401, 401));
        assert_eq!(app.me_statuses(&laptop).await, (200, 200));
        assert_eq!(app.sessions(&laptop).await.len(), 1);
        // Revoking it again, or anything unknown, is 404.
        assert_eq!(app.revoke_session(&laptop, &stolen_id).await.status(), 404);
    }
);

#[tokio::test]
async fn revoking_needs_a_valid_id_of_ones_own_session() {
    let app = spawn_app().await;
    let lena = app.signed_up(&TestUser::new("lena")).await;
    let mona = app.signed_up(&TestUser::new("mona")).await;
    let monas_id = app.sessions(&mona).await[0]["id"].clone();
    let response = app.revoke_session(&lena, &monas_id).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "not_found");
    assert_eq!(app.me_statuses(&mona).await, (200, 200), "not revoked");
    for bad in [json!("nope"), json!(12), json!(mona.sid), json!(null)] {
        let response = app.revoke_session(&lena, &bad).await;
        assert_eq!(response.status(), 400, "{bad}");
    }
    let anonymous = app
        .post_json("/api/user/sessions/revoke", &json!({"id": monas_id}))
        .await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.get("/api/user/sessions").await.status(), 401);
}

#[tokio::test]
async fn revoking_the_current_session_by_cookie_clears_the_cookie() {
    let app = spawn_app().await;
    let lena = app.signed_up(&TestUser::new("lena")).await;
    let own = app.sessions(&lena).await[0]["id"].clone();
    let response = app
        .client
        .post(app.url("/api/user/sessions/revoke"))
        .header(COOKIE, format!("sid={}", lena.sid))
        .json(&json!({ "id": own }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let cleared = response.headers()["set-cookie"].to_str().expect("ascii");
    assert!(cleared.starts_with("sid=;"), "{cleared}");
    assert_eq!(app.me_statuses(&lena).await, (401, 401));
}

backend_test!(
    revoke_others_keeps_only_the_current_session,
    |app| async move {
        let lena = TestUser::new("lena");
        app.register(&lena).await;
        let keep = app.login_with_agent(&lena, "Keep/1").await;
        let others = [
            app.login_with_agent(&lena, "Other/1").await,
            app.login_with_agent(&lena, "Other/2").await,
        ];
        let response = app
            .client
            .post(app.url("/api/user/sessions/revoke-others"))
            .header(COOKIE, format!("sid={}", keep.sid))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["data"], json!({"revoked": 2}));
        for other in &others {
            assert_eq!(app.me_statuses(other).await, (401, 401));
        }
        assert_eq!(app.me_statuses(&keep).await, (200, 200));
        let listed = app.sessions(&keep).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["current"], true);
    }
);

#[tokio::test]
async fn a_revocation_on_one_instance_holds_on_the_other_at_once() {
    let Some((settings, database)) = backend(Backend::SqliteRedis).await else {
        return;
    };
    let first = spawn_with(settings, database).await;
    let second = first.another_instance().await;
    let lena = TestUser::new("lena");
    first.register(&lena).await;
    let laptop = first.login_with_agent(&lena, "Laptop/1.0").await;
    let tablet = second.login_with_agent(&lena, "Tablet/1.0").await;
    assert_eq!(first.me_statuses(&tablet).await, (200, 200));
    let listed = second.sessions(&laptop).await;
    assert_eq!(listed.len(), 2, "both instances' logins are listed");
    let tablet_id = listed
        .iter()
        .find(|entry| entry["user_agent"] == "Tablet/1.0")
        .map(|entry| entry["id"].clone())
        .expect("listed");
    assert_eq!(
        second.revoke_session(&laptop, &tablet_id).await.status(),
        200
    );
    assert_eq!(first.me_statuses(&tablet).await, (401, 401));
    assert_eq!(second.me_statuses(&tablet).await, (401, 401));
}
