//! The QR-code login's cross-device mitigations: the poll token in a header and
//! recognised without the record, number matching when the PC and the phone are on
//! different networks, and the PC's device session.
//!
//! The client address is the one `X-Forwarded-For` names (the app trusts the test
//! client as its proxy), so one test can play a PC and a phone on two networks.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::backend_test;
use crate::helpers::{
    Backend, Refusal, Session, TestApp, TestUser, backend, data_of, spawn_app_with, spawn_with,
};
use crate::qrcode::Code;

impl TestApp {
    /// `generate_code_as` by the PC's browser from `ip`; asserts 200.
    async fn generate_code_from(&self, ip: &str) -> Code {
        self.generate_code_as(Some(ip), PC_AGENT).await
    }

    /// `POST /api/qrcode/{action}` as `who` from `ip`, maybe with a match code; asserts nothing.
    async fn qr_act_from(
        &self,
        action: &str,
        who: &Session,
        code: &Code,
        ip: &str,
        match_code: Option<&str>,
    ) -> reqwest::Response {
        let mut body = json!({"qrcode_id": code.id});
        if let Some(digits) = match_code {
            body["match_code"] = json!(digits);
        }
        self.client
            .post(self.url(&format!("/api/qrcode/{action}")))
            .header("x-forwarded-for", ip)
            .bearer_auth(&who.token)
            .json(&body)
            .send()
            .await
            .expect("sent")
    }

    /// `who` scans `code` and confirms it from `NEAR_PC` (no number asked); asserts both
    /// succeed.
    async fn scan_and_confirm_near_pc(&self, who: &Session, code: &Code) {
        for action in ["scan", "confirm"] {
            data_of(self.qr_act_from(action, who, code, NEAR_PC, None).await).await;
        }
    }

    /// `GET /api/qrcode/check` with `token` in the deprecated query parameter; asserts nothing.
    async fn qr_check_by_query(&self, code: &Code, token: &str) -> reqwest::Response {
        self.get(&format!("/api/qrcode/check?id={}&token={token}", code.id))
            .await
    }

    /// `GET /api/qrcode/check?id={id}`, `X-Poll-Token` if `token` is given; asserts nothing.
    async fn qr_check_with_header(&self, id: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .get(self.url(&format!("/api/qrcode/check?id={id}")));
        if let Some(token) = token {
            request = request.header("x-poll-token", token);
        }
        request.send().await.expect("sent")
    }
}

const PC_IP: &str = "198.51.100.7";
const NEAR_PC: &str = "198.51.100.200";
const FAR_AWAY: &str = "203.0.113.5";
const PC_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0) Edge/131.0";

/// Settings for an app behind the test client as a trusted proxy.
fn trusting_the_client(settings: &mut qblog_server::settings::Settings) {
    settings.server.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()];
}

async fn app_with(configure: impl FnOnce(&mut qblog_server::settings::Settings)) -> TestApp {
    spawn_app_with(|settings| {
        trusting_the_client(settings);
        configure(settings);
    })
    .await
}

/// Two digits that are not `code`.
fn other_than(code: &str) -> String {
    let n: u8 = code.parse().expect("two digits");
    format!("{:02}", (n + 1) % 100)
}

#[tokio::test]
async fn without_its_token_nobody_can_tell_a_live_code_from_an_unknown_one() {
    let app = app_with(|_| {}).await;
    let live = app.generate_code_from(PC_IP).await;
    let unknown = "3f2b8c1e-7d4a-4f6b-9c2d-1a2b3c4d5e6f";
    let mut answers = Vec::new();
    for (id, token) in [
        (live.id.as_str(), None),
        (unknown, None),
        (live.id.as_str(), Some("0".repeat(64))),
        (unknown, Some("0".repeat(64))),
        // A real token of another code is no better.
        (unknown, Some(live.token.clone())),
    ] {
        let (status, code, message) =
            Refusal::parts(app.qr_check_with_header(id, token.as_deref()).await).await;
        answers.push((status, code, message));
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    assert_eq!(answers[0].0, StatusCode::FORBIDDEN);
    assert_eq!(answers[0].1, "forbidden");
}

#[tokio::test]
async fn the_holder_of_a_real_token_is_told_its_code_expired() {
    let app = app_with(|settings| settings.qrcode.ttl_secs = 1).await;
    let code = app.generate_code_from(PC_IP).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.qr_check_data(&code, "").await["status"], "expired");
    let by_query = app.qr_check_by_query(&code, &code.token).await;
    assert_eq!(data_of(by_query).await["status"], "expired");
}

#[tokio::test]
async fn the_deprecated_query_token_still_works_and_the_header_wins() {
    let app = app_with(|_| {}).await;
    let code = app.generate_code_from(PC_IP).await;
    assert_eq!(
        data_of(app.qr_check_by_query(&code, &code.token).await).await["status"],
        "unscanned"
    );
    assert_eq!(
        app.qr_check_by_query(&code, &"0".repeat(64)).await.status(),
        403
    );
    // Both given: the header is the one that counts.
    let both = app
        .client
        .get(app.url(&format!(
            "/api/qrcode/check?id={}&token={}",
            code.id,
            "0".repeat(64)
        )))
        .header("x-poll-token", &code.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(both.status(), 200);
}

backend_test!(
    a_phone_on_another_network_types_the_number_the_pc_shows,
    |app| async move {
        // The shared apps do not trust the test client as a proxy; one that does is
        // needed to play two networks, on the same backend.
        let app = app.another_instance_with(trusting_the_client).await;
        let alice = app.signed_up(&TestUser::new("alice")).await;
        let code = app.generate_code_from(PC_IP).await;

        let scanned = data_of(app.qr_act_from("scan", &alice, &code, FAR_AWAY, None).await).await;
        assert_eq!(scanned["match_required"], true);
        assert_eq!(scanned["pc"]["same_network"], false);
        assert_eq!(scanned["pc"]["ip"], PC_IP);
        assert_eq!(scanned["pc"]["user_agent"], PC_AGENT);

        let seen = app.qr_check_data(&code, "").await;
        assert_eq!(seen["status"], "scanned");
        let shown = seen["match_code"].as_str().expect("the PC shows a code");
        assert_eq!(shown.len(), 2);
        assert!(shown.bytes().all(|b| b.is_ascii_digit()));

        // Missing: refused, and free.
        let (status, code_name, message) = Refusal::parts(
            app.qr_act_from("confirm", &alice, &code, FAR_AWAY, None)
                .await,
        )
        .await;
        assert_eq!(
            (status, code_name.as_str()),
            (StatusCode::BAD_REQUEST, "match_code_mismatch")
        );
        assert!(message.contains("3 tries left"), "{message}");
        // Wrong: refused, one try fewer.
        let wrong = other_than(shown);
        let (status, code_name, message) = Refusal::parts(
            app.qr_act_from("confirm", &alice, &code, FAR_AWAY, Some(&wrong))
                .await,
        )
        .await;
        assert_eq!(
            (status, code_name.as_str()),
            (StatusCode::BAD_REQUEST, "match_code_mismatch")
        );
        assert!(message.contains("2 tries left"), "{message}");
        // Not two digits: a plain validation error.
        let (status, code_name, _) = Refusal::parts(
            app.qr_act_from("confirm", &alice, &code, FAR_AWAY, Some("7"))
                .await,
        )
        .await;
        assert_eq!(
            (status, code_name.as_str()),
            (StatusCode::BAD_REQUEST, "validation_failed")
        );
        assert_eq!(app.qr_check_data(&code, "").await["status"], "scanned");

        let confirmed = app
            .qr_act_from("confirm", &alice, &code, FAR_AWAY, Some(shown))
            .await;
        assert_eq!(data_of(confirmed).await["status"], "confirmed");
        let claim = app.qr_check_data(&code, "").await;
        assert!(claim["login"].is_object(), "{claim}");
        assert!(
            claim.get("match_code").is_none(),
            "shown only while scanned"
        );
    }
);

#[tokio::test]
async fn the_third_wrong_number_cancels_the_login() {
    let app = app_with(|_| {}).await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code_from(PC_IP).await;
    data_of(app.qr_act_from("scan", &alice, &code, FAR_AWAY, None).await).await;
    let shown = app.qr_check_data(&code, "").await["match_code"]
        .as_str()
        .expect("shown")
        .to_owned();
    let wrong = other_than(&shown);
    let mut messages = Vec::new();
    for _ in 0..3 {
        let (status, _, message) = Refusal::parts(
            app.qr_act_from("confirm", &alice, &code, FAR_AWAY, Some(&wrong))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        messages.push(message);
    }
    assert!(messages[2].contains("cancelled"), "{messages:?}");
    let seen = app.qr_check_data(&code, "").await;
    assert_eq!(seen["status"], "cancelled");
    assert!(seen.get("match_code").is_none());
    assert_eq!(
        Refusal::status_and_code(
            app.qr_act_from("confirm", &alice, &code, FAR_AWAY, Some(&shown))
                .await
        )
        .await,
        (StatusCode::CONFLICT, "qrcode_state_conflict".to_owned())
    );
}

#[tokio::test]
async fn a_phone_next_to_the_pc_is_not_asked_for_a_number_by_default() {
    let app = app_with(|_| {}).await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code_from(PC_IP).await;
    let scanned = data_of(app.qr_act_from("scan", &alice, &code, NEAR_PC, None).await).await;
    assert_eq!(scanned["match_required"], false);
    assert_eq!(scanned["pc"]["same_network"], true);
    assert!(
        app.qr_check_data(&code, "")
            .await
            .get("match_code")
            .is_none()
    );
    let confirmed = app
        .qr_act_from("confirm", &alice, &code, NEAR_PC, None)
        .await;
    assert_eq!(confirmed.status(), 200);
}

#[tokio::test]
async fn number_matching_follows_its_setting() {
    for (mode, ip, required) in [
        ("always", NEAR_PC, true),
        ("off", FAR_AWAY, false),
        ("when_networks_differ", FAR_AWAY, true),
    ] {
        let app = app_with(|settings| settings.qrcode.number_matching = mode.into()).await;
        let alice = app.signed_up(&TestUser::new("alice")).await;
        let code = app.generate_code_from(PC_IP).await;
        let scanned = data_of(app.qr_act_from("scan", &alice, &code, ip, None).await).await;
        assert_eq!(scanned["match_required"], required, "{mode}");
    }
    // A wider network setting makes the far phone a neighbour.
    let app = app_with(|settings| settings.qrcode.same_network_prefix_v4 = 0).await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code_from(PC_IP).await;
    let scanned = data_of(app.qr_act_from("scan", &alice, &code, FAR_AWAY, None).await).await;
    assert_eq!(scanned["pc"]["same_network"], true);
}

#[tokio::test]
async fn the_pc_gets_a_qrcode_device_session_of_the_qr_login_lifetime() {
    let app = app_with(|settings| settings.qrcode.login_ttl_secs = Some(3600)).await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code_from(PC_IP).await;
    app.scan_and_confirm_near_pc(&alice, &code).await;
    let claim = app.qr_check(&code, "").await;
    let cookie = claim.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.contains("Max-Age=3600"), "{cookie}");
    let claim: Value = claim.json().await.expect("json");
    assert_eq!(claim["data"]["login"]["expires_in"], 3600);
    let pc_token = claim["data"]["login"]["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let listed: Value = app
        .get_with_token("/api/user/sessions", &alice.token)
        .await
        .json()
        .await
        .expect("json");
    let sessions = listed["data"].as_array().expect("array");
    let pc = sessions
        .iter()
        .find(|s| s["method"] == "qrcode")
        .expect("the PC's session is listed");
    assert_eq!(pc["ip"], PC_IP);
    assert_eq!(pc["user_agent"], PC_AGENT);
    assert_eq!(pc["current"], false);

    // The phone ends the PC's session: the PC is logged out on the spot.
    let revoked = app
        .client
        .post(app.url("/api/user/sessions/revoke"))
        .bearer_auth(&alice.token)
        .json(&json!({"id": pc["id"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        app.get_with_token("/api/user/me", &pc_token).await.status(),
        401
    );
}

#[tokio::test]
async fn number_matching_holds_across_instances_sharing_one_redis() {
    let Some((mut settings, database)) = backend(Backend::SqliteRedis).await else {
        return;
    };
    trusting_the_client(&mut settings);
    let pc_side = spawn_with(settings, database).await;
    let phone_side = pc_side.another_instance().await;
    let alice = phone_side.signed_up(&TestUser::new("alice")).await;
    let code = pc_side.generate_code_from(PC_IP).await;
    let scanned = phone_side
        .qr_act_from("scan", &alice, &code, FAR_AWAY, None)
        .await;
    assert_eq!(data_of(scanned).await["match_required"], true);
    let shown = pc_side.qr_check_data(&code, "").await["match_code"]
        .as_str()
        .expect("the PC's instance shows the code")
        .to_owned();
    // Behind a load balancer the PC's next poll may reach the other instance, which
    // recognises the poll token without having issued it.
    assert_eq!(
        phone_side.qr_check_data(&code, "").await["match_code"],
        shown.as_str()
    );
    let wrong = other_than(&shown);
    let (_, _, message) = Refusal::parts(
        pc_side
            .qr_act_from("confirm", &alice, &code, FAR_AWAY, Some(&wrong))
            .await,
    )
    .await;
    assert!(message.contains("2 tries left"), "{message}");
    let confirmed = phone_side
        .qr_act_from("confirm", &alice, &code, FAR_AWAY, Some(&shown))
        .await;
    assert_eq!(confirmed.status(), 200);
    let claim = pc_side.qr_check_data(&code, "").await;
    let token = claim["login"]["token"].as_str().expect("a login");
    assert_eq!(
        phone_side
            .get_with_token("/api/user/me", token)
            .await
            .status(),
        200
    );
    assert!(
        phone_side
            .qr_act("cancel", &alice, &code)
            .await
            .status()
            .is_client_error()
    );
}

#[tokio::test]
async fn a_login_can_be_started_only_from_the_allowed_networks() {
    let app = app_with(|settings| {
        settings.qrcode.allowed_networks = vec!["198.51.100.0/24".into()];
    })
    .await;
    let outside = app
        .client
        .post(app.url("/api/qrcode/generate"))
        .header("x-forwarded-for", FAR_AWAY)
        .send()
        .await
        .expect("sent");
    let (status, code, _) = Refusal::parts(outside).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    app.generate_code_from(PC_IP).await;
}

#[tokio::test]
async fn a_limited_qr_session_can_neither_approve_logins_nor_sign_the_owner_out() {
    let app = app_with(|settings| settings.qrcode.limited_sessions = true).await;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let code = app.generate_code_from(PC_IP).await;
    app.scan_and_confirm_near_pc(&alice, &code).await;
    let claim = app.qr_check_data(&code, "").await;
    let pc = Session {
        sid: String::new(),
        token: claim["login"]["token"].as_str().expect("token").to_owned(),
        set_cookie: String::new(),
        data: claim["login"].clone(),
    };

    // The PC's session cannot approve another login…
    let next = app.generate_code_from(PC_IP).await;
    let (status, code_name, _) =
        Refusal::parts(app.qr_act_from("scan", &pc, &next, PC_IP, None).await).await;
    assert_eq!(
        (status, code_name.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // …nor sign out the phone, one by one or all at once.
    let listed = data_of(app.get_with_token("/api/user/sessions", &pc.token).await).await;
    let phone_id = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["method"] == "password")
        .map(|s| s["id"].clone())
        .expect("the phone's session");
    let revoke = |id: Value| {
        app.client
            .post(app.url("/api/user/sessions/revoke"))
            .bearer_auth(&pc.token)
            .json(&json!({ "id": id }))
            .send()
    };
    assert_eq!(revoke(phone_id).await.expect("sent").status(), 403);
    let others = app
        .client
        .post(app.url("/api/user/sessions/revoke-others"))
        .bearer_auth(&pc.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(others.status(), 403);
    assert_eq!(
        app.get_with_token("/api/user/me", &alice.token)
            .await
            .status(),
        200
    );
    // The phone can end the PC's session, and the PC can end its own.
    let own = listed
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["current"] == true)
        .map(|s| s["id"].clone())
        .expect("the PC's own session");
    assert_eq!(revoke(own).await.expect("sent").status(), 200);
    assert_eq!(
        app.get_with_token("/api/user/me", &pc.token).await.status(),
        401
    );
}
