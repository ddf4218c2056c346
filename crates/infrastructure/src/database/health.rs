//! Readiness probe of the database: one `SELECT 1`.

use std::sync::Arc;

use async_trait::async_trait;
use qblog_domain::health::{DatabaseHealth, ProbeError};
use sea_orm::ConnectionTrait;
use shaku::Component;

use super::DatabasePool;

/// Pings the database through the shared pool.
#[derive(Component)]
#[shaku(interface = DatabaseHealth)]
pub struct SeaOrmDatabaseHealth {
    #[shaku(inject)]
    pool: Arc<dyn DatabasePool>,
}

#[async_trait]
impl DatabaseHealth for SeaOrmDatabaseHealth {
    async fn ping(&self) -> Result<(), ProbeError> {
        let db = self.pool.connection();
        let statement = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT 1");
        self.pool
            .run(db.execute_raw(statement))
            .await
            .map(|_| ())
            .map_err(|err| {
                tracing::warn!(error = %err, "database ping failed");
                ProbeError("the database did not answer".to_owned())
            })
    }
}
