//! The relational database through SeaORM: connecting, migrating, health.
//!
//! One URL picks the engine: `sqlite://path?mode=rwc`, `postgres://…` or `mysql://…`.
//! The same migrations (the `qblog-migrations` crate) run on all three.

mod connect;
mod errors;
mod health;
mod pool;

pub use connect::{DatabaseOptions, MigrationStep, connect, migration_status, run_migrations};
pub use errors::{db_error, is_unavailable, is_unique_violation, stored_time};
pub use health::SeaOrmDatabaseHealth;
pub use pool::{DatabasePool, SeaOrmPool, SeaOrmPoolParameters, breaker_for};
