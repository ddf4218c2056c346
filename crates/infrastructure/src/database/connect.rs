//! Opening the pool and running migrations.

use std::time::Duration;

use qblog_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

/// How to open the pool; mirrors the `database` settings section.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// `sqlite://…`, `postgres://…` or `mysql://…`.
    pub url: String,
    /// Upper bound of pooled connections.
    pub max_connections: u32,
    /// How long to wait for the first connection before failing.
    pub connect_timeout: Duration,
    /// How long a request waits for a pooled connection before failing.
    pub acquire_timeout: Duration,
}

/// Opens a connection pool for `options.url`.
///
/// For an SQLite file URL the parent directory is created and `mode=rwc` is added when
/// no mode is given, so the database file is created on first run.
///
/// # Errors
/// Returns the driver's error when the database cannot be reached or the URL is invalid.
pub async fn connect(options: &DatabaseOptions) -> Result<DatabaseConnection, DbErr> {
    let url = prepare_sqlite_url(&options.url)?;
    // Every connection to an in-memory SQLite database is a database of its own:
    // keep exactly one so the whole pool sees the same data.
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let max_connections = if in_memory {
        1
    } else {
        options.max_connections
    };
    let mut connect = ConnectOptions::new(url);
    connect
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(options.connect_timeout)
        .acquire_timeout(options.acquire_timeout)
        // The pool pings every connection it takes back (sqlx does, to catch one left
        // mid-statement); pinging it again on the way out cost a third round trip per
        // statement under load. Only a connection idle long enough to have been
        // dropped by the server or a proxy is pinged before use.
        .test_before_acquire_if_idle_for(Duration::from_secs(1))
        .sqlx_logging(false);
    Database::connect(connect).await
}

/// Where a migration run should go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationStep {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest applied migration.
    DownOne,
}

/// The name of the lock migrations hold: PostgreSQL's advisory lock key, MySQL's
/// `GET_LOCK` name.
const MIGRATION_LOCK: &str = "qblog_migrations";
/// How long an instance waits for another instance's migrations, on MySQL.
const MIGRATION_LOCK_WAIT_SECS: u32 = 600;

/// Applies or rolls back migrations, under a database lock: any number of instances
/// starting together on an empty database migrate it once — the first holds the lock,
/// the others wait for it and then find nothing left to do.
///
/// The lock and the migrations share one connection, in one transaction: a
/// PostgreSQL transaction-scoped advisory lock, a MySQL named lock (`GET_LOCK`, held
/// by the connection across the implicit commits DDL causes there), or SQLite's write
/// lock (`BEGIN IMMEDIATE`).
///
/// # Errors
/// Returns the database's error; a failed migration leaves earlier ones applied where
/// the engine commits DDL by itself (MySQL), and none of the run's elsewhere.
pub async fn run_migrations(db: &DatabaseConnection, step: MigrationStep) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: (backend == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    match backend {
        DbBackend::Postgres => {
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                "SELECT pg_advisory_xact_lock(hashtext($1))",
                [MIGRATION_LOCK.into()],
            ))
            .await?;
        }
        DbBackend::MySql => {
            let locked = txn
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT GET_LOCK(?, ?) AS locked",
                    [MIGRATION_LOCK.into(), MIGRATION_LOCK_WAIT_SECS.into()],
                ))
                .await?
                .and_then(|row| row.try_get::<Option<i64>>("", "locked").ok().flatten());
            if locked != Some(1) {
                return Err(DbErr::Migration(format!(
                    "another instance held the migration lock for {MIGRATION_LOCK_WAIT_SECS} s"
                )));
            }
        }
        _ => {}
    }
    let migrated = match step {
        MigrationStep::Up => Migrator::up(&txn, None).await,
        MigrationStep::DownOne => Migrator::down(&txn, Some(1)).await,
    };
    if backend == DbBackend::MySql {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT RELEASE_LOCK(?)",
            [MIGRATION_LOCK.into()],
        ))
        .await?;
    }
    migrated?;
    txn.commit().await
}

/// Lists every known migration with whether it is applied, oldest first.
///
/// # Errors
/// Returns the database's error.
pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbErr> {
    let applied: Vec<String> = Migrator::get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .map(|m| {
            let name = m.name().to_owned();
            let done = applied.contains(&name);
            (name, done)
        })
        .collect())
}

/// Creates the directory of an SQLite file and asks the driver to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, DbErr> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(url.to_owned());
    };
    let rest = rest.trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return Ok(url.to_owned());
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|err| {
            DbErr::Custom(format!(
                "cannot create the directory {}: {err}",
                dir.display()
            ))
        })?;
    }
    if query.contains("mode=") {
        Ok(url.to_owned())
    } else if query.is_empty() {
        Ok(format!("{url}?mode=rwc"))
    } else {
        Ok(format!("{url}&mode=rwc"))
    }
}

#[cfg(test)]
mod tests {
    use super::prepare_sqlite_url;

    #[test]
    fn non_sqlite_urls_are_left_alone() {
        let url = "postgres://localhost/test";
        assert_eq!(prepare_sqlite_url(url).ok().as_deref(), Some(url));
    }

    #[test]
    fn an_sqlite_file_url_gets_create_mode_and_its_directory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested/qblog.db");
        let url = format!("sqlite://{}", path.display());
        let prepared = prepare_sqlite_url(&url).expect("prepared");
        assert_eq!(prepared, format!("{url}?mode=rwc"));
        assert!(path.parent().is_some_and(|p| p.is_dir()));
    }

    #[test]
    fn an_explicit_mode_is_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/x.db?mode=ro", dir.path().display());
        assert_eq!(prepare_sqlite_url(&url).ok(), Some(url));
    }

    #[test]
    fn in_memory_sqlite_is_left_alone() {
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").ok().as_deref(),
            Some("sqlite::memory:")
        );
    }
}
