//! Every error, the framework's own included, in the contract's envelope.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Refusal, TestApp, spawn_app, spawn_app_with};

async fn assert_envelope(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    let refusal = Refusal::of(response).await;
    refusal.assert_is(status, code);
    refusal.body
}

#[tokio::test]
async fn an_unknown_route_is_a_404_envelope() {
    let app = spawn_app().await;
    assert_envelope(
        app.get("/no/such/route").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_envelope() {
    let app = spawn_app().await;
    let response = app
        .client
        .delete(format!("{}/health/live", app.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_envelope(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
    let response = app.get("/api/blog/new").await;
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn an_overlong_target_is_414_and_oversized_headers_431_in_the_envelope() {
    let app = spawn_app().await;
    let long = format!("/api/blog/list?keyword={}", "k".repeat(9 * 1024));
    assert_envelope(
        app.get(&long).await,
        StatusCode::URI_TOO_LONG,
        "validation_failed",
    )
    .await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-padding", "p".repeat(40 * 1024))
        .send()
        .await
        .expect("sent");
    assert_envelope(
        response,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "validation_failed",
    )
    .await;
}

async fn small_limit_app() -> TestApp {
    spawn_app_with(|settings| {
        settings.server.body_limit_bytes = 64;
    })
    .await
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_envelope() {
    let app = small_limit_app().await;
    let response = app
        .client
        .post(format!("{}/health/live", app.address))
        .header("content-type", "application/json")
        .body("x".repeat(65))
        .send()
        .await
        .expect("sent");
    assert_envelope(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed_in_header_and_body() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(format!("{}/nowhere", app.address))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .expect("sent");
    let body = assert_envelope(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(body["request_id"], "trace-42");
}

#[tokio::test]
async fn a_success_carries_a_request_id_too() {
    let app = spawn_app().await;
    let response = app.get("/health/live").await;
    assert!(response.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_a_408_envelope_and_the_connection_closes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(|settings| settings.server.request_timeout_secs = 1).await;
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connected");
    // Announces 100 bytes, sends 10, then nothing.
    stream
        .write_all(
            b"POST /api/user/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 100\r\nx-request-id: slow-body\r\n\r\n{\"username",
        )
        .await
        .expect("sent");
    let mut reply = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("answered and closed, not held")
    .expect("read");
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    let lower = reply.to_ascii_lowercase();
    assert!(lower.contains("connection: close"), "{reply}");
    assert!(lower.contains("x-request-id: slow-body"), "{reply}");
    assert!(
        reply.contains(r#""code":"request_timeout""#)
            && reply.contains(r#""request_id":"slow-body""#),
        "{reply}"
    );
}

/// `compat.legacy_error_status`: the Node blog's front ends read `errno` in their
/// success handler, so `/api/` errors come with HTTP 200 — envelope and headers as
/// they were — while probes keep their status and the metrics keep the real one.
#[tokio::test]
async fn legacy_error_status_sends_api_errors_as_200_with_the_same_envelope() {
    let app = spawn_app_with(|settings| {
        settings.compat.legacy_error_status = true;
        settings.auth.max_failed_logins = 1;
    })
    .await;
    let user = crate::helpers::TestUser::new("legacy");
    app.register(&user).await;
    let wrong = serde_json::json!({"username": "legacy", "password": "not-the-password"});

    let refused = app.post_json("/api/user/login", &wrong).await;
    assert_envelope(refused, StatusCode::OK, "invalid_credentials").await;
    // Throttled: still 200, and Retry-After is kept.
    let throttled = app.post_json("/api/user/login", &wrong).await;
    assert!(throttled.headers().contains_key("retry-after"));
    assert_envelope(throttled, StatusCode::OK, "too_many_requests").await;
    // A framework error, and an unknown API route.
    let bad_json = app
        .client
        .post(app.url("/api/user/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_envelope(bad_json, StatusCode::OK, "validation_failed").await;
    assert_envelope(
        app.get("/api/no/such/route").await,
        StatusCode::OK,
        "not_found",
    )
    .await;
    // A 405 keeps its Allow header.
    let wrong_method = app.get("/api/user/login").await;
    assert!(wrong_method.headers().contains_key("allow"));
    assert_envelope(wrong_method, StatusCode::OK, "method_not_allowed").await;
    // Success is untouched; outside /api/ statuses are kept.
    assert_eq!(app.try_login(&user).await.status(), StatusCode::OK);
    assert_eq!(
        app.post_json("/health/live", &serde_json::json!({}))
            .await
            .status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    // The metrics record what the errors really were.
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.contains(r#"route="/api/user/login",status="401""#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"route="/api/user/login",status="429""#),
        "{metrics}"
    );
}

#[tokio::test]
async fn errors_keep_their_status_by_default() {
    let app = spawn_app().await;
    let wrong = serde_json::json!({"username": "nobody_here", "password": "not-the-password"});
    assert_envelope(
        app.post_json("/api/user/login", &wrong).await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    )
    .await;
}
