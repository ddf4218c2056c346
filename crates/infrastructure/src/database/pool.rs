//! The shared connection pool as a shaku component.
//!
//! The pool is an async resource: the server opens it first and hands it to the
//! module as the `SeaOrmPool` component's parameter. Repositories inject
//! `Arc<dyn DatabasePool>` instead of each taking their own parameter.

use sea_orm::DatabaseConnection;
use shaku::{Component, Interface};

/// Gives repositories the process's database connection pool.
pub trait DatabasePool: Interface {
    /// The pool; cheap to use from many tasks at once.
    fn connection(&self) -> &DatabaseConnection;
}

/// The pool opened at start-up by [`super::connect`].
#[derive(Component)]
#[shaku(interface = DatabasePool)]
pub struct SeaOrmPool {
    /// The connection pool; no default, the server must provide it.
    connection: DatabaseConnection,
}

impl SeaOrmPool {
    /// Wraps an open pool (outside the DI container: tools and tests).
    pub fn new(connection: DatabaseConnection) -> Self {
        Self { connection }
    }
}

impl DatabasePool for SeaOrmPool {
    fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }
}
