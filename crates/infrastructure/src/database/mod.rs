//! The relational database through SeaORM: connecting, migrating, health.
//!
//! One URL picks the engine: `sqlite://path?mode=rwc`, `postgres://…` or `mysql://…`.
//! The same migrations (the `qblog-migrations` crate) run on all three.

mod connect;
mod health;
mod pool;

pub use connect::{DatabaseOptions, MigrationStep, connect, migration_status, run_migrations};
pub use health::SeaOrmDatabaseHealth;
pub use pool::{DatabasePool, SeaOrmPool, SeaOrmPoolParameters};
