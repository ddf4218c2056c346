//! `spawn_app()`: a real qblog on a free port, with its own database and store.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use qblog_infrastructure::store::RedisLayout;
use qblog_infrastructure::testing::{
    MYSQL_URL_VAR, POSTGRES_URL_VAR, REDIS_TLS_CA_VAR, TestDatabase, matrix_url, redis_layout,
    unique_redis_prefix,
};
use qblog_server::settings::{Environment, Settings};
use qblog_server::startup::Application;
use reqwest::header::{COOKIE, SET_COOKIE};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Which database and store a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file + embedded store: always available.
    SqliteEmbedded,
    /// SQLite file + Redis (`QBLOG_TEST_REDIS_URL`).
    SqliteRedis,
    /// PostgreSQL (`QBLOG_TEST_POSTGRES_URL`) + Redis.
    PostgresRedis,
    /// MySQL/MariaDB (`QBLOG_TEST_MYSQL_URL`) + embedded store.
    MysqlEmbedded,
}

/// A running application and a client for it. The generic verbs are here; each
/// feature's test file declares its typed API calls in an `impl TestApp` block of its own.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A client without a cookie jar: tests pass cookies explicitly.
    pub client: reqwest::Client,
    /// The settings the app runs with.
    pub settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    database: Arc<TestDatabase>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A user the tests register and log in.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub realname: String,
}

impl TestUser {
    /// A user with a unique-enough name and a valid password.
    pub fn new(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: format!("{username}-pass-1234"),
            realname: format!("Real {username}"),
        }
    }
}

/// What a successful login hands a client.
#[derive(Debug, Clone)]
pub struct Session {
    /// The `sid` cookie value.
    pub sid: String,
    /// The bearer token.
    pub token: String,
    /// The whole `Set-Cookie` header.
    pub set_cookie: String,
    /// The login response's `data`.
    pub data: Value,
}

impl TestApp {
    /// Sends the app its shutdown signal (what SIGTERM does to the binary).
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `GET {path}`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST {path}` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST {path}` with an optional bearer token and JSON body; asserts nothing.
    pub async fn post_as(
        &self,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.post(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("sent")
    }

    /// `GET {path}` with the session cookie.
    pub async fn get_with_cookie(&self, path: &str, sid: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, format!("sid={sid}"))
            .send()
            .await
            .expect("request sent")
    }

    /// `GET {path}` with a bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// Registers `user`, asserting 201.
    pub async fn register(&self, user: &TestUser) -> Value {
        let response = self
            .post_json(
                "/api/user/register",
                &json!({"username": user.username, "password": user.password, "realname": user.realname}),
            )
            .await;
        assert_eq!(response.status(), 201, "registering {}", user.username);
        response.json().await.expect("json")
    }

    /// `POST /api/user/login` for `user` without asserting anything.
    pub async fn try_login(&self, user: &TestUser) -> reqwest::Response {
        self.post_json(
            "/api/user/login",
            &json!({"username": user.username, "password": user.password}),
        )
        .await
    }

    /// Logs `user` in, asserting 200.
    pub async fn login(&self, user: &TestUser) -> Session {
        let response = self.try_login(user).await;
        assert_eq!(response.status(), 200, "logging in {}", user.username);
        session_of(response).await
    }

    /// Registers and logs in `user`.
    pub async fn signed_up(&self, user: &TestUser) -> Session {
        self.register(user).await;
        self.login(user).await
    }
}

/// An error response read as the contract's envelope (docs/api-contract.md): the one
/// way tests read errors. Reading it asserts `errno: -1`, a `code`, a `message`, and a
/// `request_id` equal to the `x-request-id` header.
#[derive(Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The envelope's `code`.
    pub code: String,
    /// The envelope's `message`.
    pub message: String,
    /// The whole body.
    pub body: Value,
}

impl Refusal {
    /// Reads `response`, asserting the envelope's shape.
    pub async fn of(response: reqwest::Response) -> Self {
        let status = response.status();
        let header_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body: Value = response.json().await.expect("a JSON error envelope");
        assert_eq!(body["errno"], -1, "{body}");
        let text = |name: &str| {
            body[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name}: {body}"))
                .to_owned()
        };
        let (code, message, request_id) = (text("code"), text("message"), text("request_id"));
        assert!(!message.is_empty(), "{body}");
        assert_eq!(
            Some(request_id),
            header_id,
            "request_id and x-request-id differ: {body}"
        );
        Self {
            status,
            code,
            message,
            body,
        }
    }

    /// The status and `code`, to compare at once.
    pub async fn status_and_code(response: reqwest::Response) -> (reqwest::StatusCode, String) {
        let refusal = Self::of(response).await;
        (refusal.status, refusal.code)
    }

    /// The status, `code` and `message`.
    pub async fn parts(response: reqwest::Response) -> (reqwest::StatusCode, String, String) {
        let refusal = Self::of(response).await;
        (refusal.status, refusal.code, refusal.message)
    }

    /// Asserts the status and `code`, reporting the caller's line.
    #[track_caller]
    pub fn assert_is(&self, status: reqwest::StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.code.as_str()),
            (status, code),
            "{}",
            self.body
        );
    }
}

/// The session a login response set up.
pub async fn session_of(response: reqwest::Response) -> Session {
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("a Set-Cookie header");
    let sid = set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.trim().strip_prefix("sid="))
        .map(str::to_owned)
        .expect("a sid cookie");
    let body: Value = response.json().await.expect("json");
    Session {
        sid,
        token: body["data"]["token"].as_str().expect("a token").to_owned(),
        set_cookie,
        data: body["data"].clone(),
    }
}

/// The `data` of a successful response, asserting it is a 200.
pub async fn data_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    body["data"].clone()
}

/// Settings for a test: the shipped `test` layer, port 0, a fixed signing key.
pub fn test_settings() -> Settings {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load(&dir, Environment::Test).expect("test settings load");
    settings.auth.jwt_secret = Some(SecretString::from("test-signing-key-".repeat(3)));
    settings
}

/// An app on SQLite and the embedded store.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::SqliteEmbedded)
        .await
        .expect("the default backend is always available")
}

/// An app on SQLite and the embedded store with settings changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::sqlite();
    let mut settings = test_settings();
    settings.database.url = SecretString::from(database.url.clone());
    configure(&mut settings);
    spawn_with(settings, database).await
}

/// An app on SQLite whose session store (Redis) is down from the start: nothing
/// listens on port 1.
pub async fn spawn_app_with_the_store_down() -> TestApp {
    spawn_app_with(|settings| {
        settings.redis.url = SecretString::from("redis://127.0.0.1:1".to_owned());
        settings.redis.connect_timeout_ms = 300;
    })
    .await
}

/// Settings and a fresh database for `backend`, or `None` (after saying so) when that
/// backend is not configured outside CI. Under `CI=true` a missing backend fails.
pub async fn backend(backend: Backend) -> Option<(Settings, TestDatabase)> {
    let needs_redis = matches!(backend, Backend::SqliteRedis | Backend::PostgresRedis);
    let redis = if needs_redis {
        Some(redis_layout()?.0)
    } else {
        None
    };
    let database = match backend {
        Backend::SqliteEmbedded | Backend::SqliteRedis => TestDatabase::sqlite(),
        Backend::PostgresRedis => {
            let server = matrix_url(POSTGRES_URL_VAR)?;
            TestDatabase::on_server(&server)
                .await
                .unwrap_or_else(|err| panic!("{POSTGRES_URL_VAR} does not answer: {err}"))
        }
        Backend::MysqlEmbedded => {
            let server = matrix_url(MYSQL_URL_VAR)?;
            TestDatabase::on_server(&server)
                .await
                .unwrap_or_else(|err| panic!("{MYSQL_URL_VAR} does not answer: {err}"))
        }
    };
    let mut settings = test_settings();
    settings.database.url = SecretString::from(database.url.clone());
    use_redis(&mut settings, redis);
    settings.redis.key_prefix = unique_redis_prefix();
    Some((settings, database))
}

/// Points `settings` at the matrix's Redis layout (standalone, TLS, Sentinel or
/// Cluster: `qblog_infrastructure::testing::redis_layout`), or at none.
fn use_redis(settings: &mut Settings, layout: Option<RedisLayout>) {
    settings.redis.url = SecretString::from(String::new());
    match layout {
        None => {}
        Some(RedisLayout::Standalone { url }) => settings.redis.url = SecretString::from(url),
        Some(RedisLayout::Sentinel {
            master_name, nodes, ..
        }) => {
            settings.redis.sentinel.master_name = master_name;
            settings.redis.sentinel.nodes = nodes;
        }
        Some(RedisLayout::Cluster { nodes }) => settings.redis.cluster.nodes = nodes,
    }
    if let Ok(ca) = std::env::var(REDIS_TLS_CA_VAR) {
        settings.redis.tls_ca_file = ca;
    }
}

/// An app on `backend` (see [`backend`]).
pub async fn spawn_app_on(which: Backend) -> Option<TestApp> {
    let (settings, database) = backend(which).await?;
    Some(spawn_with(settings, database).await)
}

/// Starts an app with exactly `settings`, keeping `database` alive as long as it runs.
pub async fn spawn_with(settings: Settings, database: TestDatabase) -> TestApp {
    spawn_sharing(settings, Arc::new(database)).await
}

/// Starts another instance on the same database (and, by its settings, the same store).
pub async fn spawn_sharing(settings: Settings, database: Arc<TestDatabase>) -> TestApp {
    let app = Application::build(&settings).await.expect("the app builds");
    let address: SocketAddr = app.address();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address: format!("http://{address}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        settings,
        stop: Some(stop),
        database,
    }
}

impl TestApp {
    /// A second instance of this app: same database, same store, same signing key.
    /// On a cluster it starts from another seed node, as instances of a fleet may.
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_with(|_| {}).await
    }

    /// Another instance on the same database and store, with settings changed by
    /// `configure`.
    pub async fn another_instance_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        if !settings.redis.cluster.nodes.is_empty() {
            settings.redis.cluster.nodes.rotate_left(1);
        }
        configure(&mut settings);
        spawn_sharing(settings, Arc::clone(&self.database)).await
    }
}

/// Declares one test per backend of the matrix, each running `$body` with a `TestApp`.
///
/// ```ignore
/// backend_test!(readiness_is_ok, |app| async move { ... });
/// ```
#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::helpers::{Backend, spawn_app_on};

            async fn scenario($app: $crate::helpers::TestApp) {
                $body.await
            }

            #[tokio::test]
            async fn sqlite_embedded() {
                scenario(spawn_app_on(Backend::SqliteEmbedded).await.expect("always")).await;
            }

            #[tokio::test]
            async fn sqlite_redis() {
                if let Some(app) = spawn_app_on(Backend::SqliteRedis).await {
                    scenario(app).await;
                }
            }

            #[tokio::test]
            async fn postgres_redis() {
                if let Some(app) = spawn_app_on(Backend::PostgresRedis).await {
                    scenario(app).await;
                }
            }

            #[tokio::test]
            async fn mysql_embedded() {
                if let Some(app) = spawn_app_on(Backend::MysqlEmbedded).await {
                    scenario(app).await;
                }
            }
        }
    };
}
