//! `/health/live`, `/health/ready`, the landing page, docs and the OpenAPI document.

use serde_json::Value;

use crate::backend_test;
use crate::helpers::{Backend, backend, spawn_app, spawn_app_with, spawn_app_with_the_store_down};

backend_test!(readiness_reports_every_dependency_up, |app| async move {
    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errno"], 0);
    assert_eq!(body["data"]["status"], "ready");
    assert_eq!(body["data"]["database"], "up");
    assert_eq!(body["data"]["store"], "up");
});

#[tokio::test]
async fn liveness_answers_200() {
    let app = spawn_app().await;
    let response = app.get("/health/live").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["status"], "live");
}

#[tokio::test]
async fn readiness_is_503_naming_the_store_when_redis_is_down() {
    let app = spawn_app_with_the_store_down().await;

    let response = app.get("/health/ready").await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "unavailable");
    let message = body["message"].as_str().expect("message");
    assert!(message.contains("store"), "{message}");
    assert!(!message.contains("database"), "{message}");
}

#[tokio::test]
async fn the_landing_page_links_the_docs() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
    );
    let html = response.text().await.expect("text");
    assert!(html.contains("href=\"/docs\""));
}

#[tokio::test]
async fn swagger_ui_and_the_openapi_document_are_served() {
    let app = spawn_app().await;
    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.expect("text").contains("swagger"));

    let spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    assert!(spec["paths"]["/health/ready"]["get"].is_object());
    assert!(spec["components"]["schemas"]["Error"]["properties"]["request_id"].is_object());
    // The headers the contract names are declared where they are sent.
    let login = &spec["paths"]["/api/user/login"]["post"]["responses"];
    assert!(login["200"]["headers"]["Set-Cookie"].is_object(), "{login}");
    assert!(
        login["429"]["headers"]["Retry-After"].is_object(),
        "{login}"
    );
    assert!(login["401"]["content"].is_object(), "{login}");
    let check = &spec["paths"]["/api/qrcode/check"]["get"]["responses"];
    assert!(check["200"]["headers"]["Set-Cookie"].is_object(), "{check}");
    let list = &spec["paths"]["/api/blog/list"]["get"]["responses"];
    assert!(
        list["200"]["headers"]["X-Total-Count"].is_object(),
        "{list}"
    );
    // Both credentials are documented on protected routes.
    let schemes = spec["components"]["securitySchemes"]
        .as_object()
        .expect("schemes");
    assert!(
        schemes.contains_key("bearer") && schemes.contains_key("session"),
        "{schemes:?}"
    );
    for path in [
        "/api/user/register",
        "/api/user/login",
        "/api/user/logout",
        "/api/user/me",
        "/api/user/login-test",
        "/api/blog/list",
        "/api/blog/detail",
        "/api/blog/new",
        "/api/blog/update",
        "/api/blog/del",
        "/api/qrcode/generate",
        "/api/qrcode/image",
        "/api/qrcode/check",
        "/api/qrcode/scan",
        "/api/qrcode/confirm",
        "/api/qrcode/cancel",
        "/health/live",
        "/health/ready",
    ] {
        assert!(
            spec["paths"][path].is_object(),
            "{path} is missing from the document"
        );
    }
}

#[tokio::test]
async fn from_the_shutdown_signal_readiness_says_draining_while_requests_are_still_served() {
    let mut app = spawn_app_with(|settings| {
        settings.server.drain_delay_secs = 2;
        settings.server.shutdown_timeout_secs = 5;
    })
    .await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    app.begin_shutdown();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status(), 503);
    assert!(ready.headers().contains_key("retry-after"));
    let body: Value = ready.json().await.expect("json");
    assert_eq!(body["code"], "draining");
    let live = app.get("/health/live").await;
    assert_eq!(live.status(), 200, "still serving during the drain delay");
    assert_eq!(live.headers()["connection"], "close");
}

/// Three instances starting at the same moment on one empty database all come up:
/// the migrations run once, under a database lock, and the others wait for it.
async fn three_instances_start_at_once_on_an_empty_database(which: Backend) {
    let Some((settings, database)) = backend(which).await else {
        return;
    };
    let builds = (0..3).map(|_| qblog_server::startup::Application::build(&settings));
    for (instance, built) in futures_util::future::join_all(builds)
        .await
        .into_iter()
        .enumerate()
    {
        if let Err(err) = built {
            panic!("instance {instance} did not start: {err:#}");
        }
    }
    drop(database);
}

mod three_instances_start_at_once {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        three_instances_start_at_once_on_an_empty_database(Backend::SqliteEmbedded).await;
    }

    #[tokio::test]
    async fn postgres() {
        three_instances_start_at_once_on_an_empty_database(Backend::PostgresRedis).await;
    }

    #[tokio::test]
    async fn mariadb() {
        three_instances_start_at_once_on_an_empty_database(Backend::MysqlEmbedded).await;
    }
}
