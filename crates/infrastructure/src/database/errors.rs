//! Classifying database errors for the domain's error enums and the breaker.

use std::time::Duration;

use qblog_domain::failure::Failure;
use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

use crate::resilience::Outage;

/// A database error as the feature's error `E`: an outage (503) when the database did
/// not answer ([`is_unavailable`]), anything else unexpected (500, logged with the
/// cause). Every repository maps its errors with this: `.map_err(db_error)`.
pub fn db_error<E: Failure>(err: DbErr) -> E {
    if is_unavailable(&err) {
        E::unavailable(err.to_string())
    } else {
        E::unexpected(anyhow::Error::new(err).context("a database query failed"))
    }
}

/// A time stored as milliseconds since the epoch; one out of range is corrupt data
/// (an `Unexpected` error), never silently the epoch.
///
/// # Errors
/// When `millis` is beyond the range of dates.
pub fn stored_time(millis: i64) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| anyhow::anyhow!("a stored time is out of range: {millis} ms"))
}

/// Whether the error means "the database did not answer" rather than a bug or a
/// refusal: the pool could not hand out a connection, the connection broke (also in
/// the middle of a query), or the server said it is shutting down or not accepting.
pub fn is_unavailable(err: &DbErr) -> bool {
    match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(err)) | DbErr::Exec(RuntimeErr::SqlxError(err)) => {
            is_connection_failure(err)
        }
        _ => false,
    }
}

fn is_connection_failure(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08: connection exceptions (both engines); 57P0x: PostgreSQL
        // shutting down or not yet accepting connections.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

/// Whether the error is a unique-constraint violation, on any of the three databases.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

impl Outage for DbErr {
    fn is_outage(&self) -> bool {
        is_unavailable(self)
    }

    fn circuit_open(dependency: &'static str) -> Self {
        DbErr::Conn(RuntimeErr::Internal(format!(
            "the {dependency} circuit is open: failing fast until it answers again"
        )))
    }

    fn timed_out(dependency: &'static str, limit: Duration) -> Self {
        DbErr::Conn(RuntimeErr::Internal(format!(
            "the {dependency} did not answer within {limit:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn broken_connections_count_as_unavailable_wherever_they_happen() {
        let io = || {
            Arc::new(sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionReset,
            )))
        };
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(io()))));
        assert!(is_unavailable(&DbErr::Exec(RuntimeErr::SqlxError(io()))));
        assert!(is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sqlx::Error::PoolTimedOut)
        ))));
        assert!(is_unavailable(&DbErr::circuit_open("database")));
        assert!(!is_unavailable(&DbErr::Query(RuntimeErr::SqlxError(
            Arc::new(sqlx::Error::RowNotFound)
        ))));
        assert!(!is_unavailable(&DbErr::Custom("a bug".into())));
    }
}
