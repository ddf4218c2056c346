//! The shared connection pool as a shaku component, behind a circuit breaker.
//!
//! The pool is an async resource: the server opens it first and hands it to the
//! module as the `SeaOrmPool` component's parameter. Repositories inject
//! `Arc<dyn DatabasePool>` instead of each taking their own parameter, and run every
//! statement through [`DatabasePool::run`]: within `database.query_timeout_ms`, and
//! at once with an outage error while the database is known to be down
//! ([`crate::resilience`]).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use shaku::{Component, Interface};

use crate::resilience::Breaker;

/// Gives repositories the process's database connection pool.
pub trait DatabasePool: Interface {
    /// The pool; cheap to use from many tasks at once.
    fn connection(&self) -> &DatabaseConnection;

    /// The breaker every statement goes through.
    fn breaker(&self) -> &Breaker;
}

impl dyn DatabasePool {
    /// Runs one database call through the breaker (time limit, fail fast while down).
    ///
    /// # Errors
    /// The call's error, or an outage error (`DbErr::Conn`) when the breaker refused
    /// it or it took too long.
    pub async fn run<T>(&self, work: impl Future<Output = Result<T, DbErr>>) -> Result<T, DbErr> {
        self.breaker().run(work).await
    }
}

/// A breaker for `connection` whose probe is `SELECT 1`; calls may take `limit`.
pub fn breaker_for(connection: &DatabaseConnection, limit: Duration) -> Breaker {
    let connection = connection.clone();
    Breaker::new(
        "database",
        limit,
        Arc::new(move || {
            let connection = connection.clone();
            Box::pin(async move {
                let statement =
                    sea_orm::Statement::from_string(connection.get_database_backend(), "SELECT 1");
                connection.execute_raw(statement).await.is_ok()
            })
        }),
    )
}

/// The pool opened at start-up by [`super::connect`].
#[derive(Component)]
#[shaku(interface = DatabasePool)]
pub struct SeaOrmPool {
    /// The connection pool; no default, the server must provide it.
    connection: DatabaseConnection,
    /// Built with [`breaker_for`] over the same pool.
    breaker: Breaker,
}

impl SeaOrmPool {
    /// Wraps an open pool (outside the DI container: tools and tests); statements
    /// may take `query_timeout`.
    pub fn new(connection: DatabaseConnection, query_timeout: Duration) -> Self {
        let breaker = breaker_for(&connection, query_timeout);
        Self {
            connection,
            breaker,
        }
    }
}

impl DatabasePool for SeaOrmPool {
    fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    fn breaker(&self) -> &Breaker {
        &self.breaker
    }
}
