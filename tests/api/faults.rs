//! Dependencies that freeze, die and come back, through a fault relay of the
//! project's own (`qblog_infrastructure::testing::FaultRelay`) between the service and
//! Redis or PostgreSQL: requests answer 503 (never 500, never hang), fail fast once a
//! dependency is known to be down, and recover when it answers again.
//!
//! Bounds here are generous ("answers instead of hanging"); how fast it fails and
//! recovers is measured in `bench/fault-drills.sh`.

use std::time::{Duration, Instant};

use qblog_infrastructure::testing::{
    FaultRelay, POSTGRES_URL_VAR, REDIS_TLS_CA_VAR, REDIS_URL_VAR, TestDatabase, matrix_url,
    unique_redis_prefix,
};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, spawn_with, test_settings};

/// `host:port` of a server URL.
fn authority(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let after_user = after_scheme
        .rsplit_once('@')
        .map_or(after_scheme, |(_, rest)| rest);
    after_user
        .split(['/', '?'])
        .next()
        .expect("an authority")
        .to_owned()
}

/// An app on PostgreSQL and Redis, each reached through its own relay.
struct Faulty {
    app: TestApp,
    database: FaultRelay,
    redis: FaultRelay,
}

async fn faulty_app() -> Option<Faulty> {
    let redis_url = matrix_url(REDIS_URL_VAR)?;
    let postgres_url = matrix_url(POSTGRES_URL_VAR)?;
    let database = TestDatabase::on_server(&postgres_url)
        .await
        .expect("PostgreSQL answers");
    let database_relay = FaultRelay::start(authority(&database.url)).await;
    let redis_relay = FaultRelay::start(authority(&redis_url)).await;
    let mut settings = test_settings();
    settings.database.url = SecretString::from(database.url.replace(
        &authority(&database.url),
        &database_relay.address().to_string(),
    ));
    // The same scheme (rediss:// in the TLS layout's run) through the relay.
    settings.redis.url = SecretString::from(
        redis_url.replace(&authority(&redis_url), &redis_relay.address().to_string()),
    );
    if let Ok(ca) = std::env::var(REDIS_TLS_CA_VAR) {
        settings.redis.tls_ca_file = ca;
    }
    settings.redis.key_prefix = unique_redis_prefix();
    Some(Faulty {
        app: spawn_with(settings, database).await,
        database: database_relay,
        redis: redis_relay,
    })
}

/// `GET path` (with a cookie if given): its status and how long it took, failing the
/// test if it takes longer than `bound`.
async fn timed(app: &TestApp, path: &str, sid: Option<&str>, bound: Duration) -> (u16, Duration) {
    let mut request = app.client.get(app.url(path));
    if let Some(sid) = sid {
        request = request.header("cookie", format!("sid={sid}"));
    }
    let started = Instant::now();
    let response = tokio::time::timeout(bound, request.send())
        .await
        .unwrap_or_else(|_| panic!("{path} hung for {bound:?}"))
        .expect("answered");
    (response.status().as_u16(), started.elapsed())
}

/// Asks `path` eight times: every answer is 503, and once the dependency is known to
/// be down (after the first few) none waits.
async fn fails_fast(app: &TestApp, path: &str, sid: Option<&str>) {
    let mut slowest_later = Duration::ZERO;
    for attempt in 0..8 {
        let (status, took) = timed(app, path, sid, Duration::from_secs(10)).await;
        assert_eq!(status, 503, "attempt {attempt}");
        if attempt >= 4 {
            slowest_later = slowest_later.max(took);
        }
    }
    assert!(
        slowest_later < Duration::from_millis(500),
        "once the dependency is known down, requests wait {slowest_later:?}"
    );
}

/// Repeats `GET path` until it answers `status`, for at most `within`.
async fn until_status(app: &TestApp, path: &str, sid: Option<&str>, status: u16, within: Duration) {
    let started = Instant::now();
    loop {
        let (got, _) = timed(app, path, sid, Duration::from_secs(10)).await;
        if got == status {
            return;
        }
        assert!(
            started.elapsed() < within,
            "{path} still {got} after {within:?}, expected {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_frozen_redis_is_503_then_fails_fast_and_recovers_when_it_thaws() {
    let Some(faulty) = faulty_app().await else {
        return;
    };
    let app = &faulty.app;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    faulty.redis.freeze();
    fails_fast(app, "/api/user/me", Some(&alice.sid)).await;
    let (status, _) = timed(app, "/health/ready", None, Duration::from_secs(10)).await;
    assert_eq!(status, 503);
    faulty.redis.thaw();
    until_status(
        app,
        "/api/user/me",
        Some(&alice.sid),
        200,
        Duration::from_secs(5),
    )
    .await;
    until_status(app, "/health/ready", None, 200, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn the_first_request_after_a_redis_restart_succeeds() {
    let Some(faulty) = faulty_app().await else {
        return;
    };
    let app = &faulty.app;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    // Redis dies and comes back while nobody asks: the service's connection is dead.
    faulty.redis.cut();
    tokio::time::sleep(Duration::from_millis(200)).await;
    faulty.redis.restore();
    let (status, _) = timed(
        app,
        "/api/user/me",
        Some(&alice.sid),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(status, 200, "the first command after the restart");
}

#[tokio::test]
async fn a_long_poll_wakes_on_a_change_made_after_redis_came_back() {
    let Some(faulty) = faulty_app().await else {
        return;
    };
    let app = &faulty.app;
    let phone = app.signed_up(&TestUser::new("alice")).await;
    let generated: Value = app
        .post_json("/api/qrcode/generate", &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let (id, token) = (
        generated["data"]["qrcode_id"]
            .as_str()
            .expect("id")
            .to_owned(),
        generated["data"]["poll_token"]
            .as_str()
            .expect("token")
            .to_owned(),
    );
    faulty.redis.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    faulty.redis.restore();
    // The PC waits; the phone scans as soon as Redis is back.
    let poll_path = format!("/api/qrcode/check?id={id}&token={token}&since=unscanned&wait=20");
    let poll = app.get(&poll_path);
    let scan = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut attempts = 0;
        loop {
            let response = app
                .client
                .post(app.url("/api/qrcode/scan"))
                .bearer_auth(&phone.token)
                .json(&json!({"qrcode_id": id}))
                .send()
                .await
                .expect("sent");
            if response.status() == 200 || attempts > 30 {
                return (response.status(), Instant::now());
            }
            attempts += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (answer, (scan_status, scanned_at)) = tokio::join!(poll, scan);
    assert_eq!(scan_status, 200);
    let woke_after = scanned_at.elapsed();
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["data"]["status"], "scanned", "{body}");
    assert!(
        woke_after < Duration::from_secs(1),
        "answered, but {woke_after:?} after the scan"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_503_fast_while_sessions_keep_working() {
    let Some(faulty) = faulty_app().await else {
        return;
    };
    let app = &faulty.app;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    faulty.database.cut();
    fails_fast(app, "/api/blog/list", None).await;
    let (status, _) = timed(
        app,
        "/api/user/me",
        Some(&alice.sid),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status, 200, "/me needs only the session store");
    faulty.database.restore();
    until_status(app, "/api/blog/list", None, 200, Duration::from_secs(5)).await;
}

/// A faulty app whose pool has connections open, with the database then frozen.
async fn warm_then_frozen_database() -> Option<Faulty> {
    let faulty = faulty_app().await?;
    let (status, _) = timed(&faulty.app, "/api/blog/list", None, Duration::from_secs(5)).await;
    assert_eq!(status, 200);
    faulty.database.freeze();
    Some(faulty)
}

#[tokio::test]
async fn a_query_cut_in_the_middle_is_503_not_500() {
    let Some(faulty) = warm_then_frozen_database().await else {
        return;
    };
    let app = &faulty.app;
    // Ask while the database is stalled, and cut it while the query waits.
    let request = tokio::spawn({
        let client = app.client.clone();
        let url = app.url("/api/blog/detail?id=1");
        async move { client.get(url).send().await.map(|r| r.status().as_u16()) }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    faulty.database.cut();
    let status = tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("answered")
        .expect("joined")
        .expect("sent");
    assert_eq!(status, 503);
}

#[tokio::test]
async fn a_frozen_database_times_out_as_503_and_recovers_when_it_thaws() {
    let Some(faulty) = warm_then_frozen_database().await else {
        return;
    };
    let app = &faulty.app;
    // Keyword searches are never cached, so they must reach the database.
    let search = "/api/blog/list?keyword=frozen";
    fails_fast(app, search, None).await;
    let (status, _) = timed(app, "/health/ready", None, Duration::from_secs(10)).await;
    assert_eq!(status, 503);
    // The page read before the freeze is still valid, so the cache answers it.
    let (status, _) = timed(app, "/api/blog/list", None, Duration::from_secs(10)).await;
    assert_eq!(status, 200, "a cached page while the database is frozen");
    faulty.database.thaw();
    until_status(app, search, None, 200, Duration::from_secs(5)).await;
}

/// A bearer-authenticated `/me` and readiness on an app whose Redis settings are
/// `configure`d wrongly: 503 both (never 500), within a generous bound.
async fn misconfigured_redis_is_503(configure: impl FnOnce(&mut qblog_server::settings::Settings)) {
    let app = crate::helpers::spawn_app_with(configure).await;
    let token = "eyJhbGciOiJIUzI1NiJ9.e30.x";
    let (status, _) = timed(&app, "/health/ready", None, Duration::from_secs(10)).await;
    assert_eq!(status, 503, "readiness");
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        app.client
            .post(app.url("/api/qrcode/generate"))
            .bearer_auth(token)
            .send(),
    )
    .await
    .expect("answered")
    .expect("sent");
    assert_eq!(response.status(), 503, "a store write");
}

#[tokio::test]
async fn cluster_seeds_that_are_not_a_cluster_are_503_not_500() {
    let Some(url) = matrix_url(REDIS_URL_VAR) else {
        return;
    };
    misconfigured_redis_is_503(|settings| {
        settings.redis.cluster.nodes = vec![url];
        settings.redis.key_prefix = unique_redis_prefix();
    })
    .await;
}

#[tokio::test]
async fn in_a_cluster_a_plain_url_to_one_node_is_503_not_500() {
    use qblog_infrastructure::testing::REDIS_CLUSTER_VAR;
    let Some(nodes) = std::env::var(REDIS_CLUSTER_VAR)
        .ok()
        .filter(|n| !n.is_empty())
    else {
        eprintln!("NOT RUN: {REDIS_CLUSTER_VAR} names no cluster");
        return;
    };
    let node = nodes.split(',').next().expect("a node").trim().to_owned();
    let app = crate::helpers::spawn_app_with(|settings| {
        settings.redis.url = SecretString::from(node);
        settings.redis.key_prefix = unique_redis_prefix();
    })
    .await;
    // Codes land in every slot: the node answers some itself, and MOVED for the rest.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = app.post_json("/api/qrcode/generate", &json!({})).await;
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503), "{statuses:?}");
}

#[tokio::test]
async fn blog_reads_come_from_the_database_while_the_cache_is_frozen() {
    let Some(faulty) = faulty_app().await else {
        return;
    };
    let app = &faulty.app;
    let alice = app.signed_up(&TestUser::new("alice")).await;
    let id = app.new_blog(&alice).await;
    // Cached, then the cache's store stops answering.
    assert_eq!(
        app.get(&format!("/api/blog/detail?id={id}")).await.status(),
        200
    );
    faulty.redis.freeze();
    for path in [
        format!("/api/blog/detail?id={id}"),
        "/api/blog/list".to_owned(),
    ] {
        let (status, _) = timed(app, &path, None, Duration::from_secs(10)).await;
        assert_eq!(status, 200, "{path} must not fail with the cache");
    }
    faulty.redis.thaw();
}
