//! The QR-code login: every row of the contract's table, the spy without the token,
//! races with exactly one winner, long-polls woken from another instance.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{
    Backend, Refusal, Session, TestApp, TestUser, backend, spawn_app, spawn_app_with, spawn_with,
};

impl TestApp {
    /// `POST /api/qrcode/generate` from a Firefox PC; asserts 200, returns the code.
    pub(crate) async fn generate_code(&self) -> Code {
        self.generate_code_as(None, "Mozilla/5.0 (X11; Linux) Firefox/130.0")
            .await
    }

    /// `POST /api/qrcode/generate` with `user_agent` (and `X-Forwarded-For`); asserts 200.
    pub(crate) async fn generate_code_as(
        &self,
        forwarded_for: Option<&str>,
        user_agent: &str,
    ) -> Code {
        let mut request = self
            .client
            .post(self.url("/api/qrcode/generate"))
            .header("user-agent", user_agent);
        if let Some(ip) = forwarded_for {
            request = request.header("x-forwarded-for", ip);
        }
        let response = request.send().await.expect("sent");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        Code {
            id: body["data"]["qrcode_id"].as_str().expect("id").to_owned(),
            token: body["data"]["poll_token"]
                .as_str()
                .expect("token")
                .to_owned(),
            data: body["data"].clone(),
        }
    }

    /// `GET /api/qrcode/check?id=…{extra}` with `X-Poll-Token`, as the PC page; asserts nothing.
    pub(crate) async fn qr_check(&self, code: &Code, extra: &str) -> reqwest::Response {
        self.qr_check_as(reqwest::Method::GET, code, extra).await
    }

    /// `HEAD` of `qr_check`, as some monitors and prefetchers send it; asserts nothing.
    async fn qr_head_check(&self, code: &Code, extra: &str) -> reqwest::Response {
        self.qr_check_as(reqwest::Method::HEAD, code, extra).await
    }

    /// `qr_check` with `method`.
    async fn qr_check_as(
        &self,
        method: reqwest::Method,
        code: &Code,
        extra: &str,
    ) -> reqwest::Response {
        self.client
            .request(
                method,
                self.url(&format!("/api/qrcode/check?id={}{extra}", code.id)),
            )
            .header("x-poll-token", &code.token)
            .send()
            .await
            .expect("sent")
    }

    /// `qr_check`; asserts 200 and returns the `data`.
    pub(crate) async fn qr_check_data(&self, code: &Code, extra: &str) -> Value {
        let response = self.qr_check(code, extra).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("json");
        body["data"].clone()
    }

    /// `POST /api/qrcode/{action}` (scan, confirm, cancel) of `code` as `who`; asserts nothing.
    pub(crate) async fn qr_act(
        &self,
        action: &str,
        who: &Session,
        code: &Code,
    ) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/qrcode/{action}")))
            .bearer_auth(&who.token)
            .json(&json!({"qrcode_id": code.id}))
            .send()
            .await
            .expect("sent")
    }

    /// Spawns `qr_check` with `since=…&wait=20`; resolves to when it was answered and its body.
    fn start_long_poll(
        &self,
        code: &Code,
        since: &str,
    ) -> tokio::task::JoinHandle<(Instant, Value)> {
        let client = self.client.clone();
        let url = self.url(&format!(
            "/api/qrcode/check?id={}&since={since}&wait=20",
            code.id
        ));
        let token = code.token.clone();
        tokio::spawn(async move {
            let body: Value = client
                .get(url)
                .header("x-poll-token", token)
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("json");
            (Instant::now(), body)
        })
    }
}

/// A code as the PC browser holds it.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub(crate) id: String,
    pub(crate) token: String,
    pub(crate) data: Value,
}

backend_test!(
    generate_scan_confirm_and_the_pc_is_logged_in_once,
    |app| async move {
        let phone = app.signed_up(&TestUser::new("alice")).await;
        let code = app.generate_code().await;
        let base = app.settings.server.public_base_url.clone();
        assert_eq!(
            code.data["confirm_url"],
            format!("{base}/m/qrcode/confirm?id={}", code.id)
        );
        assert_eq!(
            code.data["image_url"],
            format!("{base}/api/qrcode/image?id={}", code.id)
        );
        assert!(
            code.data["expires_in"]
                .as_u64()
                .is_some_and(|s| s > 100 && s <= 120)
        );
        assert_eq!(app.qr_check_data(&code, "").await["status"], "unscanned");

        let scanned = app.qr_act("scan", &phone, &code).await;
        assert_eq!(scanned.status(), 200);
        let scanned: Value = scanned.json().await.expect("json");
        assert_eq!(scanned["data"]["status"], "scanned");
        assert_eq!(scanned["data"]["pc"]["ip"], "127.0.0.1");
        assert_eq!(
            scanned["data"]["pc"]["user_agent"],
            "Mozilla/5.0 (X11; Linux) Firefox/130.0"
        );
        assert!(scanned["data"]["pc"]["created_at"].as_i64().is_some());

        let seen = app.qr_check_data(&code, "").await;
        assert_eq!(seen["status"], "scanned");
        assert_eq!(
            seen["scanned_by"],
            json!({"username": "alice", "realname": "Real alice"})
        );

        let confirmed = app.qr_act("confirm", &phone, &code).await;
        assert_eq!(confirmed.status(), 200);
        assert_eq!(
            confirmed.json::<Value>().await.expect("json")["data"]["status"],
            "confirmed"
        );

        let claim = app.qr_check(&code, "").await;
        let cookie = claim.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let claim: Value = claim.json().await.expect("json");
        assert_eq!(claim["data"]["status"], "confirmed");
        let login = &claim["data"]["login"];
        assert_eq!(login["token_type"], "Bearer");
        assert_eq!(login["username"], "alice");
        let sid = cookie
            .split(';')
            .next()
            .and_then(|p| p.strip_prefix("sid="))
            .expect("sid")
            .to_owned();
        assert!(cookie.contains("HttpOnly"));
        let me: Value = app
            .get_with_cookie("/api/user/me", &sid)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(me["data"]["username"], "alice");
        let token = login["token"].as_str().expect("token");
        assert_eq!(
            app.get_with_token("/api/user/me", token).await.status(),
            200
        );

        // Used up: every later check reads expired, and actions are 410.
        let after = app.qr_check(&code, "").await;
        assert!(after.headers().get("set-cookie").is_none());
        let after: Value = after.json().await.expect("json");
        assert_eq!(after["data"]["status"], "expired");
        assert!(after["data"].get("login").is_none());
        assert_eq!(
            Refusal::status_and_code(app.qr_act("cancel", &phone, &code).await)
                .await
                .0,
            StatusCode::GONE
        );
    }
);

#[tokio::test]
async fn the_cancel_path_and_repeats_as_the_same_user() {
    let app = spawn_app().await;
    let phone = app.signed_up(&TestUser::new("bob")).await;
    let code = app.generate_code().await;
    assert_eq!(app.qr_act("scan", &phone, &code).await.status(), 200);
    assert_eq!(
        app.qr_act("scan", &phone, &code).await.status(),
        200,
        "repeat scan is a no-op"
    );
    assert_eq!(app.qr_act("cancel", &phone, &code).await.status(), 200);
    assert_eq!(
        app.qr_act("cancel", &phone, &code).await.status(),
        200,
        "repeat cancel is a no-op"
    );
    assert_eq!(
        Refusal::status_and_code(app.qr_act("confirm", &phone, &code).await).await,
        (StatusCode::CONFLICT, "qrcode_state_conflict".to_owned())
    );
    let seen = app.qr_check_data(&code, "").await;
    assert_eq!(seen["status"], "cancelled");
    assert!(seen.get("login").is_none());
}

#[tokio::test]
async fn only_the_scanner_may_confirm_or_cancel_and_others_may_not_scan() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let mallory = app.signed_up(&TestUser::new("mallory")).await;
    let code = app.generate_code().await;
    assert_eq!(
        Refusal::status_and_code(app.qr_act("confirm", &alice, &code).await).await,
        (StatusCode::CONFLICT, "qrcode_state_conflict".to_owned()),
        "nothing to confirm before a scan"
    );
    assert_eq!(app.qr_act("scan", &alice, &code).await.status(), 200);
    assert_eq!(
        Refusal::status_and_code(app.qr_act("scan", &mallory, &code).await).await,
        (StatusCode::CONFLICT, "qrcode_state_conflict".to_owned())
    );
    for action in ["confirm", "cancel"] {
        assert_eq!(
            Refusal::status_and_code(app.qr_act(action, &mallory, &code).await).await,
            (StatusCode::FORBIDDEN, "forbidden".to_owned()),
            "{action}"
        );
    }
    assert_eq!(app.qr_act("confirm", &alice, &code).await.status(), 200);
    assert_eq!(
        app.qr_act("confirm", &alice, &code).await.status(),
        200,
        "repeat is a no-op"
    );
    assert_eq!(
        Refusal::status_and_code(app.qr_act("cancel", &alice, &code).await)
            .await
            .0,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn actions_need_a_login_and_a_well_formed_id() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code().await;
    let anonymous = app
        .client
        .post(app.url("/api/qrcode/scan"))
        .json(&json!({"qrcode_id": code.id}))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);
    let bad = app
        .client
        .post(app.url("/api/qrcode/scan"))
        .bearer_auth(&alice.token)
        .json(&json!({"qrcode_id": "not-a-uuid"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        Refusal::status_and_code(bad).await,
        (StatusCode::BAD_REQUEST, "validation_failed".to_owned())
    );
    let unknown = Code {
        id: "3f2b8c1e-7d4a-4f6b-9c2d-1a2b3c4d5e6f".into(),
        token: "x".into(),
        data: Value::Null,
    };
    assert_eq!(
        Refusal::status_and_code(app.qr_act("scan", &alice, &unknown).await).await,
        (StatusCode::GONE, "qrcode_expired".to_owned())
    );
}

#[tokio::test]
async fn a_spy_without_the_poll_token_learns_nothing() {
    let app = spawn_app().await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code().await;
    app.qr_act("scan", &alice, &code).await;
    app.qr_act("confirm", &alice, &code).await;
    let spy = Code {
        token: "0".repeat(64),
        ..code.clone()
    };
    let response = app.qr_check(&spy, "").await;
    assert!(response.headers().get("set-cookie").is_none());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "forbidden");
    let text = body.to_string();
    assert!(
        !text.contains("alice") && !text.contains("token\""),
        "{text}"
    );
    // The real browser still gets its login.
    assert!(app.qr_check_data(&code, "").await["login"].is_object());
}

#[tokio::test]
async fn the_image_is_a_png_or_svg_of_the_confirm_url_only() {
    let app = spawn_app().await;
    let code = app.generate_code().await;
    let png = app.get(&format!("/api/qrcode/image?id={}", code.id)).await;
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.expect("bytes").starts_with(b"\x89PNG"));
    let svg = app
        .get(&format!("/api/qrcode/image?id={}&format=svg", code.id))
        .await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.expect("text");
    assert!(svg.contains("<svg") && !svg.contains(&code.token));
    assert_eq!(
        app.get(&format!("/api/qrcode/image?id={}&format=gif", code.id))
            .await
            .status(),
        400
    );
    assert_eq!(app.get("/api/qrcode/image?id=nope").await.status(), 400);
    assert_eq!(
        app.get("/api/qrcode/image?id=3f2b8c1e-7d4a-4f6b-9c2d-1a2b3c4d5e6f")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn check_parameters_are_validated() {
    let app = spawn_app().await;
    let code = app.generate_code().await;
    for extra in ["&wait=31", "&wait=-1", "&since=bogus"] {
        assert_eq!(app.qr_check(&code, extra).await.status(), 400, "{extra}");
    }
    assert_eq!(
        app.get("/api/qrcode/check?id=x&token=y").await.status(),
        400
    );
    assert_eq!(
        app.get(&format!("/api/qrcode/check?id={}", code.id))
            .await
            .status(),
        403,
        "no token: forbidden, like a wrong one"
    );
}

#[tokio::test]
async fn a_code_expires_at_its_deadline() {
    let app = spawn_app_with(|settings| {
        settings.qrcode.ttl_secs = 1;
    })
    .await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code().await;
    // A long-poll waiting on an unchanged code answers when it expires.
    let started = Instant::now();
    let seen = app.qr_check_data(&code, "&since=unscanned&wait=10").await;
    assert_eq!(seen["status"], "expired");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        Refusal::status_and_code(app.qr_act("scan", &alice, &code).await).await,
        (StatusCode::GONE, "qrcode_expired".to_owned())
    );
}

#[tokio::test]
async fn generate_and_check_are_rate_limited_per_client() {
    let app = spawn_app_with(|settings| {
        settings.qrcode.generate_per_minute = 2;
        settings.qrcode.check_per_minute = 3;
    })
    .await;
    let code = app.generate_code().await;
    app.generate_code().await;
    let refused = app
        .client
        .post(app.url("/api/qrcode/generate"))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    for _ in 0..3 {
        assert_eq!(app.qr_check(&code, "").await.status(), 200);
    }
    let refused = app.qr_check(&code, "").await;
    assert_eq!(
        Refusal::status_and_code(refused).await,
        (
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests".to_owned()
        )
    );
}

#[tokio::test]
async fn a_long_poll_counts_once_against_the_rate_limit_however_long_it_waits() {
    let app = spawn_app_with(|settings| settings.qrcode.check_per_minute = 2).await;
    let phone = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code().await;
    // One check: it waits, is woken by the scan and answers.
    let waiting = app.start_long_poll(&code, "unscanned");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.qr_act("scan", &phone, &code).await.status(), 200);
    let (_, body) = waiting.await.expect("joined");
    assert_eq!(body["data"]["status"], "scanned");
    // So one more is allowed, and the next is over the limit.
    assert_eq!(app.qr_check(&code, "").await.status(), 200);
    assert_eq!(app.qr_check(&code, "").await.status(), 429);
}

#[tokio::test]
async fn a_head_long_poll_waits_and_answers_like_a_get() {
    let app = spawn_app().await;
    let code = app.generate_code().await;
    let response = app.qr_head_check(&code, "&since=unscanned&wait=1").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn a_head_check_of_a_confirmed_code_leaves_the_login_to_the_next_get() {
    let app = spawn_app().await;
    let phone = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code().await;
    assert_eq!(app.qr_act("scan", &phone, &code).await.status(), 200);
    assert_eq!(app.qr_act("confirm", &phone, &code).await.status(), 200);
    let head = app.qr_head_check(&code, "").await;
    assert_eq!(head.status(), 200);
    assert!(!head.headers().contains_key("set-cookie"), "HEAD claimed");
    let claim = app.qr_check(&code, "").await;
    assert!(claim.headers().contains_key("set-cookie"));
    let data: Value = claim.json().await.expect("json");
    assert_eq!(data["data"]["status"], "confirmed");
    assert!(data["data"]["login"]["token"].is_string());
}

#[tokio::test]
async fn a_long_poll_with_no_change_answers_the_same_state_when_its_wait_is_over() {
    let app = spawn_app().await;
    let code = app.generate_code().await;
    let started = Instant::now();
    let data = app.qr_check_data(&code, "&since=unscanned&wait=1").await;
    assert_eq!(data["status"], "unscanned");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_secs(3),
        "answered after {waited:?}"
    );
}

backend_test!(races_have_exactly_one_winner, |app| async move {
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let bob = app.signed_up(&TestUser::new("bob")).await;

    // Two phones scanning at once: one wins, the other conflicts.
    let code = app.generate_code().await;
    let (a, b) = tokio::join!(
        app.qr_act("scan", &alice, &code),
        app.qr_act("scan", &bob, &code)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);

    // Confirm racing cancel: one outcome.
    let code = app.generate_code().await;
    assert_eq!(app.qr_act("scan", &alice, &code).await.status(), 200);
    let (confirm, cancel) = tokio::join!(
        app.qr_act("confirm", &alice, &code),
        app.qr_act("cancel", &alice, &code)
    );
    let mut statuses = [confirm.status().as_u16(), cancel.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);

    // Twenty checks racing after a confirm: one login.
    let code = app.generate_code().await;
    app.qr_act("scan", &alice, &code).await;
    app.qr_act("confirm", &alice, &code).await;
    let checks = (0..20).map(|_| app.qr_check_data(&code, ""));
    let results = futures_util::future::join_all(checks).await;
    let logins = results.iter().filter(|r| r["login"].is_object()).count();
    assert_eq!(logins, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r["status"] == "confirmed" || r["status"] == "expired")
    );
});

#[tokio::test]
async fn a_long_poll_wakes_within_a_second_of_a_change_on_another_instance() {
    let Some((settings, database)) = backend(Backend::SqliteRedis).await else {
        return;
    };
    let pc_side = spawn_with(settings, database).await;
    let phone_side = pc_side.another_instance().await;
    let phone = phone_side.signed_up(&TestUser::new("alice")).await;
    let code = pc_side.generate_code().await;
    // Let both instances' notice listeners subscribe.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let waiting = pc_side.start_long_poll(&code, "unscanned");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let changed_at = Instant::now();
    assert_eq!(phone_side.qr_act("scan", &phone, &code).await.status(), 200);
    let (answered_at, body) = waiting.await.expect("joined");
    assert_eq!(body["data"]["status"], "scanned");
    let delay = answered_at.saturating_duration_since(changed_at);
    assert!(delay < Duration::from_secs(1), "woke after {delay:?}");

    // The confirm on the phone's instance wakes the PC's long-poll too, which claims
    // the login; the session it hands out works on the other instance.
    let waiting = pc_side.start_long_poll(&code, "scanned");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let confirmed_at = Instant::now();
    assert_eq!(
        phone_side.qr_act("confirm", &phone, &code).await.status(),
        200
    );
    let (answered_at, claim) = waiting.await.expect("joined");
    let delay = answered_at.saturating_duration_since(confirmed_at);
    assert!(delay < Duration::from_secs(1), "woke after {delay:?}");
    assert_eq!(claim["data"]["status"], "confirmed");
    let token = claim["data"]["login"]["token"].as_str().expect("a login");
    assert_eq!(
        phone_side
            .get_with_token("/api/user/me", token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_pages_are_served_with_a_content_security_policy() {
    let app = spawn_app().await;
    let code = app.generate_code().await;
    for path in [
        "/qrcode-login".to_owned(),
        format!("/m/qrcode/confirm?id={}", code.id),
        "/account/devices".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        let html = response.text().await.expect("html");
        assert!(html.contains("<script src=\"/assets/"), "{path}");
    }
    for asset in [
        "/assets/common.js",
        "/assets/qrcode-login.js",
        "/assets/phone-confirm.js",
        "/assets/devices.js",
        "/assets/qblog.css",
    ] {
        assert_eq!(app.get(asset).await.status(), 200, "{asset}");
    }
}
