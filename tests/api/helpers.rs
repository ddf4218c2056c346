//! `spawn_app()`: a real qblog on a free port, with its own database and store.

use std::net::SocketAddr;
use std::path::Path;

use qblog_infrastructure::testing::{
    MYSQL_URL_VAR, POSTGRES_URL_VAR, REDIS_URL_VAR, TestDatabase, matrix_url, unique_redis_prefix,
};
use qblog_server::settings::{Environment, Settings};
use qblog_server::startup::Application;
use secrecy::SecretString;
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

/// A running application and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A client without a cookie jar.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestApp {
    /// `GET {address}{path}`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }
}

/// Settings for a test: the shipped `test` layer, port 0.
pub fn test_settings() -> Settings {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    Settings::load(&dir, Environment::Test).expect("test settings load")
}

/// An app on SQLite and the embedded store.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::SqliteEmbedded)
        .await
        .expect("the default backend is always available")
}

/// An app on `backend`, or `None` (after saying so) when that backend is not
/// configured outside CI. Under `CI=true` a missing backend fails the test.
pub async fn spawn_app_on(backend: Backend) -> Option<TestApp> {
    let needs_redis = matches!(backend, Backend::SqliteRedis | Backend::PostgresRedis);
    let redis_url = if needs_redis {
        Some(matrix_url(REDIS_URL_VAR)?)
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
    settings.redis.url = SecretString::from(redis_url.unwrap_or_default());
    settings.redis.key_prefix = unique_redis_prefix();
    Some(spawn_with(settings, database).await)
}

/// Starts an app with exactly `settings`, keeping `database` alive as long as it runs.
pub async fn spawn_with(settings: Settings, database: TestDatabase) -> TestApp {
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
        stop: Some(stop),
        _database: database,
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
