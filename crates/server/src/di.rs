//! The core every feature is built over (shaku), for the store chosen by the settings.
//!
//! ```text
//!              ┌──────────────── CoreModule (trait) ────────────────┐
//!              │ KeyValueStore · DatabasePool · Clock · Throttle     │
//!              │  = RedisCoreModule  (a Redis layout is configured)  │
//!              │  | EmbeddedCoreModule (no Redis)                     │
//!              └───────────────▲─────────────────────────────────────┘
//!                              │ a submodule of every feature module
//!            features::{health, accounts, blog, qrcode, …} (crate::features)
//! ```
//!
//! Async resources (the database pool, the Redis connection) are opened first by
//! `startup` and enter here as component parameters. Each feature module (in
//! `crate::features`) takes the core as a submodule, so every feature sees the same
//! store and pool. Tests replace any component with `with_component_override`, as
//! NestJS tests use `overrideProvider`.

use std::sync::Arc;
use std::time::Duration;

use qblog_domain::clock::Clock;
use qblog_domain::store::KeyValueStore;
use qblog_domain::throttle::Throttle;
use qblog_infrastructure::auth::StoreThrottle;
use qblog_infrastructure::clock::SystemClock;
use qblog_infrastructure::database::{DatabasePool, SeaOrmPool, SeaOrmPoolParameters, breaker_for};
use qblog_infrastructure::resilience::Breaker;
use qblog_infrastructure::store::{
    EmbeddedKeyValueStore, KeySpace, NoticeHub, RedisConnection, RedisKeyValueStore,
    RedisKeyValueStoreParameters,
};
use sea_orm::DatabaseConnection;
use shaku::{HasComponent, module};

/// What every feature module needs from the process: the store, the pool, the clock,
/// and attempt counters on the store.
pub trait CoreModule:
    HasComponent<dyn KeyValueStore>
    + HasComponent<dyn DatabasePool>
    + HasComponent<dyn Clock>
    + HasComponent<dyn Throttle>
{
}

pub use modules::{EmbeddedCoreModule, RedisCoreModule};

/// The core module definitions. `module!` cannot carry doc comments, so they are said
/// here: `RedisCoreModule` is the core for several instances (values and notices in a
/// shared Redis), `EmbeddedCoreModule` the core for one instance (everything in this
/// process).
#[allow(missing_docs)]
mod modules {
    use super::*;

    module! {
        pub RedisCoreModule: CoreModule {
            components = [RedisKeyValueStore, SeaOrmPool, SystemClock, StoreThrottle],
            providers = []
        }
    }

    module! {
        pub EmbeddedCoreModule: CoreModule {
            components = [EmbeddedKeyValueStore, SeaOrmPool, SystemClock, StoreThrottle],
            providers = []
        }
    }
}

/// The Redis pieces the Redis core is built from.
pub struct RedisResources {
    /// The multiplexed, self-reconnecting command connection (any layout).
    pub connection: RedisConnection,
    /// The deployment's key prefix.
    pub keys: KeySpace,
    /// Where the notice listener delivers.
    pub hub: Arc<NoticeHub>,
    /// Fails Redis calls fast while Redis is down.
    pub breaker: Breaker,
}

/// The async resources opened before the modules are built.
pub struct Resources {
    /// The database pool.
    pub database: DatabaseConnection,
    /// How long one database statement may take (`database.query_timeout_ms`).
    pub query_timeout: Duration,
    /// `None` selects the embedded store.
    pub redis: Option<RedisResources>,
}

/// Builds the core module for the chosen store.
pub fn core_module(resources: Resources) -> Arc<dyn CoreModule> {
    let pool = SeaOrmPoolParameters {
        breaker: breaker_for(&resources.database, resources.query_timeout),
        connection: resources.database,
    };
    match resources.redis {
        Some(redis) => Arc::new(
            RedisCoreModule::builder()
                .with_component_parameters::<SeaOrmPool>(pool)
                .with_component_parameters::<RedisKeyValueStore>(RedisKeyValueStoreParameters {
                    connection: redis.connection,
                    keys: redis.keys,
                    hub: redis.hub,
                    breaker: redis.breaker,
                })
                .build(),
        ),
        None => Arc::new(
            EmbeddedCoreModule::builder()
                .with_component_parameters::<SeaOrmPool>(pool)
                .build(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn memory_database() -> DatabaseConnection {
        sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("in-memory sqlite")
    }

    #[tokio::test]
    async fn the_store_is_one_instance_shared_by_every_feature() {
        let core = core_module(Resources {
            database: memory_database().await,
            query_timeout: Duration::from_secs(2),
            redis: None,
        });
        let first: Arc<dyn KeyValueStore> = core.resolve();
        let second: Arc<dyn KeyValueStore> = core.resolve();
        assert!(Arc::ptr_eq(&first, &second));
    }
}
