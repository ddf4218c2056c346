//! Test support shared by this crate's tests and the black-box API tests.
//!
//! The backend matrix: when `QBLOG_TEST_POSTGRES_URL`, `QBLOG_TEST_MYSQL_URL` or
//! `QBLOG_TEST_REDIS_URL` is set, the tests that take a backend also run against it.
//! When one is unset a test says on stderr that it did not run — except under
//! `CI=true`, where an unset backend is a failure, so a CI run can never pass by
//! silently skipping the real services.
//!
//! Isolation: every test gets a fresh database (an SQLite file, or a new PostgreSQL /
//! MySQL database dropped again when the test ends) and a unique Redis key prefix.
//!
//! Faults: [`FaultRelay`] sits between the service and Redis or the database and
//! freezes, cuts or restores the connection on command.

use sea_orm::{ConnectionTrait, Database, DbErr, Statement};

use crate::store::{RedisLayout, RedisTls};

mod relay;

pub use relay::FaultRelay;

/// The environment variable naming the PostgreSQL server of the matrix.
pub const POSTGRES_URL_VAR: &str = "QBLOG_TEST_POSTGRES_URL";
/// The environment variable naming the MySQL/MariaDB server of the matrix.
pub const MYSQL_URL_VAR: &str = "QBLOG_TEST_MYSQL_URL";
/// The environment variable naming the Redis server of the matrix.
pub const REDIS_URL_VAR: &str = "QBLOG_TEST_REDIS_URL";
/// When set, the matrix's Redis tests run against a Sentinel layout instead:
/// `master_name@redis://host:port,redis://host:port` (the sentinels).
pub const REDIS_SENTINEL_VAR: &str = "QBLOG_TEST_REDIS_SENTINEL";
/// When set, the matrix's Redis tests run against a cluster instead: its seed nodes,
/// `redis://host:port,redis://host:port`.
pub const REDIS_CLUSTER_VAR: &str = "QBLOG_TEST_REDIS_CLUSTER";
/// A PEM file of the certificate authority that signed the test servers' TLS
/// certificates, for `rediss://` URLs in the variables above.
pub const REDIS_TLS_CA_VAR: &str = "QBLOG_TEST_REDIS_TLS_CA";

/// The Redis layout the matrix's Redis tests run against: the cluster or Sentinel
/// layout when one is named, else the server of [`REDIS_URL_VAR`]; with the TLS
/// material of [`REDIS_TLS_CA_VAR`]. `None` (after saying so) when nothing is named.
///
/// # Panics
/// As [`matrix_url`] under `CI=true`, and when a variable is malformed or the CA
/// file cannot be read.
pub fn redis_layout() -> Option<(RedisLayout, RedisTls)> {
    let set = |var: &str| {
        std::env::var(var)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    let list = |value: &str| {
        value
            .split(',')
            .map(|node| node.trim().to_owned())
            .collect()
    };
    let layout = if let Some(nodes) = set(REDIS_CLUSTER_VAR) {
        RedisLayout::Cluster {
            nodes: list(&nodes),
        }
    } else if let Some(sentinel) = set(REDIS_SENTINEL_VAR) {
        let (master_name, nodes) = sentinel
            .split_once('@')
            .unwrap_or_else(|| panic!("{REDIS_SENTINEL_VAR} must be master_name@node,node"));
        RedisLayout::Sentinel {
            master_name: master_name.to_owned(),
            nodes: list(nodes),
            password: None,
        }
    } else {
        RedisLayout::Standalone {
            url: matrix_url(REDIS_URL_VAR)?,
        }
    };
    Some((layout, redis_tls()))
}

/// The seed nodes of the cluster [`REDIS_CLUSTER_VAR`] names; `None` (after saying
/// so) when it names none. For the tests that only make sense in a cluster, run by
/// CI's cluster step.
pub fn cluster_nodes() -> Option<Vec<String>> {
    match std::env::var(REDIS_CLUSTER_VAR) {
        Ok(nodes) if !nodes.trim().is_empty() => Some(
            nodes
                .split(',')
                .map(|node| node.trim().to_owned())
                .collect(),
        ),
        _ => {
            eprintln!("NOT RUN: {REDIS_CLUSTER_VAR} names no cluster");
            None
        }
    }
}

/// The TLS material of the matrix's Redis servers ([`REDIS_TLS_CA_VAR`]; none when
/// unset).
///
/// # Panics
/// When the CA file cannot be read.
pub fn redis_tls() -> RedisTls {
    let ca = std::env::var(REDIS_TLS_CA_VAR)
        .ok()
        .filter(|path| !path.trim().is_empty())
        .map(|path| {
            std::fs::read(&path).unwrap_or_else(|err| panic!("{REDIS_TLS_CA_VAR} {path}: {err}"))
        });
    RedisTls { ca, client: None }
}

/// The URL of a matrix backend, or `None` (after saying so) when it is not configured.
///
/// # Panics
/// When `CI` is `true` and the variable is unset or empty: CI must run every backend.
pub fn matrix_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => panic!(
            "{var} is not set, but CI=true requires every backend of the test matrix; \
             .ci/run sets it to the machine's server"
        ),
        _ => {
            eprintln!("NOT RUN against this backend: {var} is unset");
            None
        }
    }
}

/// A Redis key prefix no other test uses.
pub fn unique_redis_prefix() -> String {
    format!("qblog-test:{}:", uuid::Uuid::new_v4().simple())
}

/// Which engine a [`TestDatabase`] lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A temporary SQLite file.
    Sqlite,
    /// A new database on a PostgreSQL server.
    Postgres,
    /// A new database on a MySQL or MariaDB server.
    MySql,
}

/// A database that exists for one test and is removed when dropped.
pub struct TestDatabase {
    /// The URL to connect to it.
    pub url: String,
    /// The engine it runs on.
    pub engine: Engine,
    server_url: Option<String>,
    name: String,
}

impl TestDatabase {
    /// A fresh SQLite file in the system's temporary directory.
    pub fn sqlite() -> Self {
        let name = format!("qblog-test-{}.db", uuid::Uuid::new_v4().simple());
        let path = std::env::temp_dir().join(&name);
        Self {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            engine: Engine::Sqlite,
            server_url: None,
            name: path.display().to_string(),
        }
    }

    /// A fresh, empty database on the server at `server_url` (PostgreSQL or MySQL).
    ///
    /// # Errors
    /// When the server cannot be reached or refuses to create the database.
    pub async fn on_server(server_url: &str) -> Result<Self, DbErr> {
        let engine = if server_url.starts_with("mysql:") || server_url.starts_with("mariadb:") {
            Engine::MySql
        } else {
            Engine::Postgres
        };
        // A generated name of hex digits: safe to place in DDL, which cannot bind it.
        let name = format!("qblog_t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(server_url).await?;
        let quoted = quote(engine, &name);
        admin
            .execute_raw(Statement::from_string(
                admin.get_database_backend(),
                format!("CREATE DATABASE {quoted}"),
            ))
            .await?;
        admin.close().await?;
        Ok(Self {
            url: with_database(server_url, &name),
            engine,
            server_url: Some(server_url.to_owned()),
            name,
        })
    }
}

fn quote(engine: Engine, name: &str) -> String {
    match engine {
        Engine::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// Replaces the database part of a server URL (`scheme://auth@host:port/db?query`).
fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{database}?{query}"),
        None => format!("{host_part}/{database}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(server_url) = self.server_url.take() else {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
            }
            return;
        };
        let statement = match self.engine {
            Engine::Postgres => format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS `{}`", self.name),
        };
        // Drop runs outside any async context we could borrow: use a short-lived runtime
        // on its own thread so this works from inside a Tokio test as well.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let admin = Database::connect(server_url.as_str()).await?;
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        statement,
                    ))
                    .await?;
                admin.close().await?;
                Ok::<_, DbErr>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_part_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/test", "x"),
            "postgres://u@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@127.0.0.1:3306/test?ssl-mode=disabled", "x"),
            "mysql://root@127.0.0.1:3306/x?ssl-mode=disabled"
        );
        assert_eq!(with_database("postgres://host", "x"), "postgres://host/x");
    }
}
