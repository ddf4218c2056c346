//! `ReadinessService` asks the database and the key-value store, concurrently and
//! each within a deadline, whether they answer.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::health::DatabaseHealth;
use qblog_domain::store::KeyValueStore;
use shaku::{Component, Interface};

/// The state of one dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyStatus {
    /// It answered in time.
    Up,
    /// It failed or timed out; the text is safe to show to operators.
    Down(String),
}

impl DependencyStatus {
    /// Whether the dependency answered.
    pub fn is_up(&self) -> bool {
        matches!(self, Self::Up)
    }
}

/// What a readiness check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The relational database.
    pub database: DependencyStatus,
    /// The key-value store (Redis or embedded).
    pub store: DependencyStatus,
}

impl Readiness {
    /// Ready only when every dependency is up.
    pub fn is_ready(&self) -> bool {
        self.database.is_up() && self.store.is_up()
    }
}

/// Checks whether the instance's dependencies answer.
#[async_trait]
pub trait ReadinessService: Interface {
    /// Probes every dependency; never fails, reports instead.
    async fn check(&self) -> Readiness;
}

/// The [`ReadinessService`] over the database and store ports.
#[derive(Component)]
#[shaku(interface = ReadinessService)]
pub struct ReadinessChecker {
    #[shaku(inject)]
    database: Arc<dyn DatabaseHealth>,
    #[shaku(inject)]
    store: Arc<dyn KeyValueStore>,
    /// How long one probe may take before its dependency counts as down.
    #[shaku(default = Duration::from_secs(2))]
    timeout: Duration,
}

#[async_trait]
impl ReadinessService for ReadinessChecker {
    async fn check(&self) -> Readiness {
        let database = tokio::time::timeout(self.timeout, self.database.ping());
        let store = tokio::time::timeout(self.timeout, self.store.ping());
        let (database, store) = tokio::join!(database, store);
        Readiness {
            database: match database {
                Ok(Ok(())) => DependencyStatus::Up,
                Ok(Err(err)) => DependencyStatus::Down(err.to_string()),
                Err(_) => DependencyStatus::Down("timed out".to_owned()),
            },
            store: match store {
                Ok(Ok(())) => DependencyStatus::Up,
                Ok(Err(_)) => DependencyStatus::Down("the store did not answer".to_owned()),
                Err(_) => DependencyStatus::Down("timed out".to_owned()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qblog_domain::health::{MockDatabaseHealth, ProbeError};
    use qblog_domain::store::{MockKeyValueStore, StoreError};

    fn checker(database: MockDatabaseHealth, store: MockKeyValueStore) -> ReadinessChecker {
        ReadinessChecker {
            database: Arc::new(database),
            store: Arc::new(store),
            timeout: Duration::from_millis(200),
        }
    }

    fn healthy_database() -> MockDatabaseHealth {
        let mut database = MockDatabaseHealth::new();
        database.expect_ping().returning(|| Ok(()));
        database
    }

    fn healthy_store() -> MockKeyValueStore {
        let mut store = MockKeyValueStore::new();
        store.expect_ping().returning(|| Ok(()));
        store
    }

    #[tokio::test]
    async fn ready_when_both_dependencies_answer() {
        let readiness = checker(healthy_database(), healthy_store()).check().await;
        assert!(readiness.is_ready());
    }

    #[tokio::test]
    async fn a_failing_database_is_named_and_the_store_still_reported() {
        let mut database = MockDatabaseHealth::new();
        database
            .expect_ping()
            .returning(|| Err(ProbeError("the database did not answer".into())));
        let readiness = checker(database, healthy_store()).check().await;
        assert!(!readiness.is_ready());
        assert_eq!(
            readiness.database,
            DependencyStatus::Down("the database did not answer".into())
        );
        assert_eq!(readiness.store, DependencyStatus::Up);
    }

    #[tokio::test]
    async fn an_unavailable_store_makes_the_instance_unready() {
        let mut store = MockKeyValueStore::new();
        store
            .expect_ping()
            .returning(|| Err(StoreError::Unavailable("connection refused".into())));
        let readiness = checker(healthy_database(), store).check().await;
        assert!(!readiness.is_ready());
        assert!(!readiness.store.is_up());
        assert!(readiness.database.is_up());
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_hangs_counts_as_down_after_the_timeout() {
        struct Hanging;
        #[async_trait]
        impl DatabaseHealth for Hanging {
            async fn ping(&self) -> Result<(), ProbeError> {
                std::future::pending().await
            }
        }
        let checker = ReadinessChecker {
            database: Arc::new(Hanging),
            store: Arc::new(healthy_store()),
            timeout: Duration::from_secs(2),
        };
        let readiness = checker.check().await;
        assert_eq!(
            readiness.database,
            DependencyStatus::Down("timed out".into())
        );
    }
}
