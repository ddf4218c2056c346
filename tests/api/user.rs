//! Users and authentication: every row of the contract's "Users" table, sessions,
//! tokens, fixation, revocation, throttling, CSRF, and sessions across instances.

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{
    Backend, Refusal, TestApp, TestUser, backend, session_of, spawn_app, spawn_app_with, spawn_with,
};

impl TestApp {
    /// `POST /api/user/login` for `user` with `X-Forwarded-For: {ip}`; asserts nothing.
    async fn try_login_from(&self, user: &TestUser, ip: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/user/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": user.username, "password": user.password}))
            .send()
            .await
            .expect("sent")
    }
}

backend_test!(
    register_login_me_and_logout_with_cookie_and_with_token,
    |app| async move {
        let alice = TestUser::new("alice");
        let registered = app.register(&alice).await;
        assert_eq!(registered["errno"], 0);
        assert_eq!(registered["data"]["username"], "alice");
        assert_eq!(registered["data"]["realname"], "Real alice");
        assert!(registered["data"]["id"].as_i64().is_some());

        let session = app.login(&alice).await;
        assert_eq!(session.data["token_type"], "Bearer");
        assert_eq!(session.data["expires_in"], 86_400);
        assert_eq!(session.data["username"], "alice");

        for path in ["/api/user/me", "/api/user/login-test"] {
            let by_cookie: Value = app
                .get_with_cookie(path, &session.sid)
                .await
                .json()
                .await
                .expect("json");
            assert_eq!(by_cookie["data"]["username"], "alice", "{path}");
            let by_token: Value = app
                .get_with_token(path, &session.token)
                .await
                .json()
                .await
                .expect("json");
            assert_eq!(by_token["data"]["realname"], "Real alice", "{path}");
        }

        // A login is one session: logging out with its token ends its cookie too,
        // and another login's session lives on.
        let other = app.login(&alice).await;
        let out = app
            .client
            .post(app.url("/api/user/logout"))
            .bearer_auth(&other.token)
            .send()
            .await
            .expect("sent");
        assert_eq!(out.status(), 200);
        for status in [
            app.get_with_token("/api/user/me", &other.token)
                .await
                .status(),
            app.get_with_cookie("/api/user/me", &other.sid)
                .await
                .status(),
        ] {
            assert_eq!(status, 401);
        }
        assert_eq!(
            app.get_with_cookie("/api/user/me", &session.sid)
                .await
                .status(),
            200
        );

        // Logging out with the cookie ends the session and clears the cookie.
        let out = app
            .client
            .post(app.url("/api/user/logout"))
            .header(COOKIE, format!("sid={}", session.sid))
            .send()
            .await
            .expect("sent");
        assert_eq!(out.status(), 200);
        let cleared = out.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            cleared.starts_with("sid=;") && cleared.contains("Max-Age=0"),
            "{cleared}"
        );
        let body: Value = out.json().await.expect("json");
        assert_eq!(body, json!({"errno": 0, "data": null}));
        assert_eq!(
            app.get_with_cookie("/api/user/me", &session.sid)
                .await
                .status(),
            401
        );
    }
);

backend_test!(a_username_is_taken_whatever_its_case, |app| async move {
    app.register(&TestUser::new("Carol")).await;
    let response = app
        .post_json(
            "/api/user/register",
            &json!({"username": "carol", "password": "another-pass", "realname": "C"}),
        )
        .await;
    let (status, code, _) = Refusal::parts(response).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "username_taken")
    );
});

#[tokio::test]
async fn every_invalid_field_is_a_400_naming_it() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"username": "ab", "password": "long-enough", "realname": "A"}),
            "username",
        ),
        (
            json!({"username": "a b c", "password": "long-enough", "realname": "A"}),
            "username",
        ),
        (
            json!({"username": "abc", "password": "short", "realname": "A"}),
            "password",
        ),
        (
            json!({"username": "abc", "password": "p".repeat(129), "realname": "A"}),
            "password",
        ),
        (
            json!({"username": "abc", "password": "long-enough", "realname": "  "}),
            "realname",
        ),
        (
            json!({"username": "abc", "password": "long-enough", "realname": "r".repeat(65)}),
            "realname",
        ),
        (
            json!({"username": "abc", "password": "long-enough"}),
            "realname",
        ),
        (
            json!({"username": "abc", "password": "long-enough", "realname": "evil\u{202e}gpj.exe"}),
            "realname",
        ),
        (
            json!({"username": "abc", "password": "long-enough", "realname": "a\u{2066}b"}),
            "realname",
        ),
        // Strict types: a number is not a string.
        (
            json!({"username": "abc", "password": "long-enough", "realname": -3.6e16}),
            "realname",
        ),
        (
            json!({"username": 12345, "password": "long-enough", "realname": "A"}),
            "username",
        ),
        (
            json!({"username": "abc", "password": true, "realname": "A"}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let (status, code, message) =
            Refusal::parts(app.post_json("/api/user/register", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code, "validation_failed");
        assert!(message.contains(field), "{message} should name {field}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.register(&TestUser::new("dave")).await;
    let mut wrong = TestUser::new("dave");
    wrong.password = "not-his-password".into();
    let unknown = TestUser::new("nobody");
    let a = Refusal::parts(app.try_login(&wrong).await).await;
    let b = Refusal::parts(app.try_login(&unknown).await).await;
    assert_eq!(
        a,
        (
            StatusCode::UNAUTHORIZED,
            "invalid_credentials".to_owned(),
            a.2.clone()
        )
    );
    assert_eq!(a, b);
}

#[tokio::test]
async fn nothing_derived_from_the_password_is_ever_returned() {
    let app = spawn_app().await;
    let erin = TestUser::new("erin");
    let registered = app.register(&erin).await.to_string();
    let session = app.login(&erin).await;
    let me = app
        .get_with_cookie("/api/user/me", &session.sid)
        .await
        .text()
        .await
        .expect("text");
    for text in [registered, session.data.to_string(), me] {
        assert!(!text.contains(&erin.password), "{text}");
        assert!(!text.contains("argon2"), "{text}");
        assert!(!text.contains("password"), "{text}");
    }
}

#[tokio::test]
async fn the_session_cookie_has_the_contract_attributes() {
    let app = spawn_app().await;
    let session = app.signed_up(&TestUser::new("fay")).await;
    assert_eq!(session.sid.len(), 64, "at least 128 bits, hex");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=86400"] {
        assert!(
            session.set_cookie.contains(attribute),
            "{}",
            session.set_cookie
        );
    }
    assert!(!session.set_cookie.contains("Secure"));

    let secure_app = spawn_app_with(|settings| {
        settings.auth.cookie_secure = true;
    })
    .await;
    let session = secure_app.signed_up(&TestUser::new("fay")).await;
    assert!(
        session.set_cookie.contains("Secure"),
        "{}",
        session.set_cookie
    );
}

#[tokio::test]
async fn a_session_id_brought_by_the_client_is_never_adopted() {
    let app = spawn_app().await;
    let gus = TestUser::new("gus");
    app.register(&gus).await;
    let planted = "a".repeat(64);
    let response = app
        .client
        .post(app.url("/api/user/login"))
        .header(COOKIE, format!("sid={planted}"))
        .json(&json!({"username": gus.username, "password": gus.password}))
        .send()
        .await
        .expect("sent");
    let session = session_of(response).await;
    assert_ne!(session.sid, planted);
    assert_eq!(
        app.get_with_cookie("/api/user/me", &planted).await.status(),
        401
    );
    assert_eq!(
        app.get_with_cookie("/api/user/me", &session.sid)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn protected_routes_refuse_missing_and_bad_credentials() {
    let app = spawn_app().await;
    let session = app.signed_up(&TestUser::new("hal")).await;
    let mut tampered = session.token.clone();
    tampered.insert(tampered.len() / 2, 'x');
    let none = app.get("/api/user/me").await;
    let (status, code, _) = Refusal::parts(none).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    for token in [tampered.as_str(), "not.a.token", ""] {
        assert_eq!(
            app.get_with_token("/api/user/me", token).await.status(),
            401,
            "{token}"
        );
    }
    assert_eq!(
        app.get_with_cookie("/api/user/me", "garbage")
            .await
            .status(),
        401
    );
    let out = app
        .client
        .post(app.url("/api/user/logout"))
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), 401);
}

#[tokio::test]
async fn repeated_failures_for_one_username_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    let ivy = TestUser::new("ivy");
    app.register(&ivy).await;
    let mut wrong = ivy.clone();
    wrong.password = "wrong-password".into();
    for _ in 0..app.settings.auth.max_failed_logins {
        assert_eq!(app.try_login(&wrong).await.status(), 401);
    }
    // Even the right password is refused until the window ends.
    let refused = app.try_login(&ivy).await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after > 0 && retry_after <= app.settings.auth.failed_login_window_secs);
    let (_, code, _) = Refusal::parts(refused).await;
    assert_eq!(code, "too_many_requests");
}

#[tokio::test]
async fn registrations_are_throttled_per_client_with_retry_after() {
    let app = spawn_app_with(|settings| settings.auth.register_per_minute = 3).await;
    for name in ["reg_a", "reg_b", "reg_c"] {
        app.register(&TestUser::new(name)).await;
    }
    let user = TestUser::new("reg_d");
    let refused = app
        .post_json(
            "/api/user/register",
            &json!({"username": user.username, "password": user.password, "realname": "D"}),
        )
        .await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let (_, code, _) = Refusal::parts(refused).await;
    assert_eq!(code, "too_many_requests");
}

#[tokio::test]
async fn concurrent_guesses_cannot_slip_under_the_limit() {
    let app = spawn_app().await;
    let ivy = TestUser::new("ivy");
    app.register(&ivy).await;
    let mut wrong = ivy.clone();
    wrong.password = "wrong-password".into();
    let guesses = (0..15).map(|_| app.try_login(&wrong));
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count() as u64;
    assert_eq!(checked, app.settings.auth.max_failed_logins, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn successful_logins_do_not_use_up_the_client_limit() {
    let app = spawn_app_with(|settings| settings.auth.max_failed_logins_per_ip = 3).await;
    let kay = TestUser::new("kay");
    app.register(&kay).await;
    for _ in 0..6 {
        assert_eq!(app.try_login(&kay).await.status(), 200);
    }
}

#[tokio::test]
async fn repeated_failures_from_one_client_are_throttled_across_usernames() {
    let app = spawn_app_with(|settings| {
        settings.auth.max_failed_logins_per_ip = 3;
    })
    .await;
    for name in ["u_one", "u_two", "u_three"] {
        assert_eq!(app.try_login(&TestUser::new(name)).await.status(), 401);
    }
    assert_eq!(app.try_login(&TestUser::new("u_four")).await.status(), 429);
}

#[tokio::test]
async fn a_cookie_post_from_a_foreign_origin_is_refused_but_a_bearer_one_is_not() {
    let app = spawn_app().await;
    let session = app.signed_up(&TestUser::new("jon")).await;
    let foreign = app
        .client
        .post(app.url("/api/user/logout"))
        .header(COOKIE, format!("sid={}", session.sid))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    let (status, code, message) = Refusal::parts(foreign).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // The message says which origin, and which setting would allow it.
    assert!(message.contains("https://evil.example"), "{message}");
    assert!(message.contains("auth.allowed_origins"), "{message}");
    assert_eq!(
        app.get_with_cookie("/api/user/me", &session.sid)
            .await
            .status(),
        200
    );

    // The browser says another site made it, with neither Origin nor Referer.
    let cross_site = app
        .client
        .post(app.url("/api/user/logout"))
        .header(COOKIE, format!("sid={}", session.sid))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("sent");
    let (status, code, _) = Refusal::parts(cross_site).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );

    // A token is not sent by browsers on their own: no CSRF check for it.
    let app_session = app.login(&TestUser::new("jon")).await;
    let bearer = app
        .client
        .post(app.url("/api/user/logout"))
        .bearer_auth(&app_session.token)
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .expect("sent");
    assert_eq!(bearer.status(), 200);

    let own = app
        .client
        .post(app.url("/api/user/logout"))
        .header(COOKIE, format!("sid={}", session.sid))
        .header("origin", app.settings.server.public_base_url.clone())
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .expect("sent");
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn an_origin_in_allowed_origins_may_post_with_the_cookie() {
    let app = spawn_app_with(|settings| {
        settings.auth.allowed_origins = vec!["http://localhost:18080".to_owned()];
    })
    .await;
    let session = app.signed_up(&TestUser::new("ada")).await;
    let post_from = |origin: &'static str| {
        app.client
            .post(app.url("/api/user/logout"))
            .header(COOKIE, format!("sid={}", session.sid))
            .header("origin", origin)
            .header("sec-fetch-site", "same-site")
            .send()
    };
    let (status, _, message) =
        Refusal::parts(post_from("http://localhost:18081").await.expect("sent")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message.contains("http://localhost:18081"), "{message}");
    assert_eq!(
        post_from("http://localhost:18080")
            .await
            .expect("sent")
            .status(),
        200
    );
}

#[tokio::test]
async fn sessions_and_revocations_cross_instances_sharing_one_redis() {
    let Some((settings, database)) = backend(Backend::SqliteRedis).await else {
        return;
    };
    let first = spawn_with(settings, database).await;
    let second = first.another_instance().await;
    let session = first.signed_up(&TestUser::new("kim")).await;

    let by_cookie = second.get_with_cookie("/api/user/me", &session.sid).await;
    assert_eq!(by_cookie.status(), 200);
    assert_eq!(
        second
            .get_with_token("/api/user/me", &session.token)
            .await
            .status(),
        200
    );

    let out = second
        .client
        .post(second.url("/api/user/logout"))
        .bearer_auth(&session.token)
        .header(COOKIE, format!("sid={}", session.sid))
        .send()
        .await
        .expect("sent");
    assert_eq!(out.status(), 200);
    assert_eq!(
        first
            .get_with_token("/api/user/me", &session.token)
            .await
            .status(),
        401
    );
    assert_eq!(
        first
            .get_with_cookie("/api/user/me", &session.sid)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn throttling_holds_across_instances_sharing_one_redis() {
    let Some((settings, database)) = backend(Backend::SqliteRedis).await else {
        return;
    };
    let first = spawn_with(settings, database).await;
    let second = first.another_instance().await;
    let lee = TestUser::new("lee");
    first.register(&lee).await;
    let mut wrong = lee.clone();
    wrong.password = "wrong-password".into();
    let limit = first.settings.auth.max_failed_logins;
    for i in 0..limit {
        let app = if i % 2 == 0 { &first } else { &second };
        assert_eq!(app.try_login(&wrong).await.status(), 401);
    }
    assert_eq!(second.try_login(&lee).await.status(), 429);
    assert_eq!(first.try_login(&lee).await.status(), 429);
}

#[tokio::test]
async fn a_password_of_any_type_is_never_repeated_in_an_error() {
    let app = spawn_app().await;
    let secret = "Sup3r-secret-pw!";
    for (path, body) in [
        (
            "/api/user/login",
            json!({"username": "alice", "password": [secret]}),
        ),
        (
            "/api/user/login",
            json!({"username": "alice", "password": {"p": secret}}),
        ),
        (
            "/api/user/register",
            json!({"username": "alice", "password": [secret], "realname": "A"}),
        ),
        ("/api/user/login", json!([secret])),
    ] {
        let response = app.post_json(path, &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let text = response.text().await.expect("text");
        assert!(!text.contains(secret), "{text}");
        assert!(
            text.contains("validation_failed")
                && (text.contains("password") || text.contains("object")),
            "{text}"
        );
    }
}

/// An app that believes `X-Forwarded-For` from the test client, so one client can
/// play many addresses.
async fn behind_a_trusted_proxy(
    configure: impl FnOnce(&mut qblog_server::settings::Settings),
) -> TestApp {
    spawn_app_with(|settings| {
        settings.server.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
        configure(settings);
    })
    .await
}

#[tokio::test]
async fn others_guesses_from_other_addresses_do_not_lock_the_owner_out() {
    let app = behind_a_trusted_proxy(|_| {}).await;
    let owner = TestUser::new("olive");
    app.register(&owner).await;
    let mut guess = owner.clone();
    guess.password = "a-wrong-guess".into();
    let per_pair = app.settings.auth.max_failed_logins;
    for attacker in ["198.51.100.1", "198.51.100.2"] {
        for _ in 0..per_pair {
            assert_eq!(app.try_login_from(&guess, attacker).await.status(), 401);
        }
        assert_eq!(app.try_login_from(&guess, attacker).await.status(), 429);
        // Even the right password, from that address, waits out the window.
        assert_eq!(app.try_login_from(&owner, attacker).await.status(), 429);
    }
    assert_eq!(
        app.try_login_from(&owner, "203.0.113.9").await.status(),
        200,
        "the owner, from their own address, still logs in"
    );
}

#[tokio::test]
async fn a_distributed_attack_on_one_account_meets_the_per_username_bound() {
    let app = behind_a_trusted_proxy(|settings| {
        settings.auth.max_failed_logins = 2;
        settings.auth.max_failed_logins_per_user = 6;
    })
    .await;
    let owner = TestUser::new("pearl");
    app.register(&owner).await;
    let mut guess = owner.clone();
    guess.password = "a-wrong-guess".into();
    for attacker in 1..=3 {
        for _ in 0..2 {
            let ip = format!("198.51.100.{attacker}");
            assert_eq!(app.try_login_from(&guess, &ip).await.status(), 401);
        }
    }
    let refused = app.try_login_from(&guess, "198.51.100.77").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        app.try_login_from(&owner, "203.0.113.9").await.status(),
        429
    );
}
