//! The access log, `/metrics`, security headers and CORS, seen from outside.

use std::time::{Duration, Instant};

use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with};

async fn app_with_access_log(dir: &std::path::Path) -> TestApp {
    spawn_app_with(|settings| {
        settings.log.access_log = true;
        settings.log.dir = dir.display().to_string();
    })
    .await
}

/// The access log is written by a background worker: wait until `needle` shows up.
async fn wait_for_line(path: &std::path::Path, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(needle)) {
            return line.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no line with {needle} in:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_request_lands_in_the_access_log_in_combined_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app_with_access_log(dir.path()).await;
    let session = app.signed_up(&TestUser::new("alice")).await;
    app.client
        .get(app.url("/api/user/me"))
        .bearer_auth(&session.token)
        .header("user-agent", "test-agent/1.0")
        .header("referer", "http://127.0.0.1/page")
        .header("x-request-id", "trace-me")
        .send()
        .await
        .expect("sent");
    app.get("/api/qrcode/check?id=3f2b8c1e-7d4a-4f6b-9c2d-1a2b3c4d5e6f&token=very-secret")
        .await;

    let log = dir.path().join("access.log");
    let me = wait_for_line(&log, "rid=trace-me").await;
    assert!(me.starts_with("127.0.0.1 - alice ["), "{me}");
    assert!(me.contains("\"GET /api/user/me HTTP/1.1\" 200 "), "{me}");
    assert!(
        me.contains("\"http://127.0.0.1/page\" \"test-agent/1.0\""),
        "{me}"
    );
    assert!(me.contains(" dur_ms="), "{me}");
    let check = wait_for_line(&log, "/api/qrcode/check").await;
    assert!(check.contains("token=[REDACTED]"), "{check}");
    assert!(!check.contains("very-secret"), "{check}");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(!text.contains(&session.token));
    assert!(!text.contains(&format!("{}-pass", "alice")));
}

#[tokio::test]
async fn a_long_poll_is_logged_once_with_its_whole_wait_and_one_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app_with_access_log(dir.path()).await;
    let code = app.generate_code().await;
    let (id, token) = (code.id, code.token);
    // Nothing changes: the request waits (parked outside the pipeline) for the whole
    // second, then runs through the pipeline again to answer.
    let response = app
        .get(&format!(
            "/api/qrcode/check?id={id}&token={token}&since=unscanned&wait=1"
        ))
        .await;
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["data"]["status"], "unscanned");

    let log = dir.path().join("access.log");
    let line = wait_for_line(&log, &format!("rid={request_id}")).await;
    assert!(line.contains("\"GET /api/qrcode/check?"), "{line}");
    assert!(line.contains(" 200 "), "{line}");
    let waited_ms: f64 = line
        .rsplit("dur_ms=")
        .next()
        .and_then(|ms| ms.trim().parse().ok())
        .expect("a duration");
    assert!(waited_ms >= 950.0, "logged {waited_ms} ms for a 1 s wait");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = std::fs::read_to_string(&log).expect("log");
    let lines = text
        .lines()
        .filter(|l| l.contains("/api/qrcode/check"))
        .count();
    assert_eq!(lines, 1, "{text}");
}

/// Sends `raw` (one or more requests) on a new connection, then closes it at once.
async fn send_and_leave(app: &TestApp, raw: &str) {
    use tokio::io::AsyncWriteExt;
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connected");
    stream.write_all(raw.as_bytes()).await.expect("sent");
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
}

#[tokio::test]
async fn a_long_poll_whose_client_leaves_is_logged_once_as_499_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let app = app_with_access_log(dir.path()).await;
    for (rid, pipelined) in [
        ("plain-leave", ""),
        (
            "pipelined-leave",
            "GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n",
        ),
    ] {
        let code = app.generate_code().await;
        let (id, token) = (code.id, code.token);
        let started = Instant::now();
        // Waits up to 20 s for a change that never comes; the client leaves after 0.2 s.
        send_and_leave(
            &app,
            &format!(
                "GET /api/qrcode/check?id={id}&token={token}&since=unscanned&wait=20 HTTP/1.1\r\n\
                 host: x\r\nx-request-id: {rid}\r\n\r\n{pipelined}"
            ),
        )
        .await;
        let line = wait_for_line(&dir.path().join("access.log"), &format!("rid={rid}")).await;
        assert!(line.contains(" 499 0 "), "{line}");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{rid}: released after {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let app = spawn_app().await;
    app.get("/health/live").await;
    app.get("/api/blog/detail?id=12345").await;
    app.get("/no/such/route/98765").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    assert!(
        text.contains(
            r#"qblog_http_requests_total{method="GET",route="/health/live",status="200"}"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/api/blog/detail",status="404""#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched""#), "{text}");
    assert!(
        !text.contains("98765") && !text.contains("12345"),
        "ids must not become labels"
    );
    assert!(
        text.contains("qblog_http_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn qr_code_and_login_events_are_counted() {
    let app = spawn_app().await;
    app.register(&TestUser::new("bob")).await;
    let mut wrong = TestUser::new("bob");
    wrong.password = "wrong-password".into();
    app.try_login(&wrong).await;
    app.client
        .post(app.url("/api/qrcode/generate"))
        .send()
        .await
        .expect("sent");
    let text = app.get("/metrics").await.text().await.expect("text");
    assert!(
        text.contains(r#"qblog_logins_total{outcome="failure"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"qblog_qrcodes_total{event="generated"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app().await;
    for path in ["/health/live", "/nope", "/api/user/me"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let app = spawn_app_with(|settings| {
        settings.server.cors_origins = vec!["https://app.example.com".into()];
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/blog/new"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.expect("sent");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://app.example.com")
    );
    let refused = preflight("https://evil.example").await.expect("sent");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // A PC page on the allowed origin may poll with the token in its header.
    let poll = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/qrcode/check"))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-poll-token")
        .send()
        .await
        .expect("sent");
    let allowed_headers = poll
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("x-poll-token"),
        "{allowed_headers:?}"
    );
}
