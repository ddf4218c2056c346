//! The one place where components are wired together (shaku).
//!
//! ```text
//!              ┌──────────────── CoreModule (trait) ────────────────┐
//!              │ KeyValueStore · DatabasePool · Clock                │
//!              │  = RedisCoreModule  (redis.url set)                 │
//!              │  | EmbeddedCoreModule (redis.url empty)             │
//!              └───────────────▲─────────────────────────────────────┘
//!                              │ used by every feature module
//!              HealthModule: SeaOrmDatabaseHealth, ReadinessChecker
//! ```
//!
//! Async resources (the database pool, the Redis connection manager) are opened first
//! by `startup` and enter here as component parameters. Each feature module takes the
//! core module as a submodule, so a feature sees the same store and pool as every
//! other. Tests replace any component with `with_component_override`, as NestJS tests
//! use `overrideProvider`.

use std::sync::Arc;

use std::time::Duration;

use qblog_application::auth::{
    AuthService, AuthServiceImpl, AuthServiceImplParameters, LoginLimits,
};
use qblog_application::blog::{BlogService, BlogServiceImpl};
use qblog_application::health::{ReadinessChecker, ReadinessService};
use qblog_application::qrcode::{
    QrLoginService, QrLoginServiceImpl, QrLoginServiceImplParameters, QrPolicy,
};
use qblog_application::user::{UserService, UserServiceImpl};
use qblog_domain::clock::Clock;
use qblog_domain::qrcode::PollTokenKey;
use qblog_domain::store::KeyValueStore;
use qblog_domain::throttle::Throttle;
use qblog_domain::user::UserRepository;
use qblog_infrastructure::auth::{
    JwtKeys, JwtTokenIssuer, JwtTokenIssuerParameters, StoreSessionStore, StoreThrottle,
};
use qblog_infrastructure::blog::SeaOrmBlogRepository;
use qblog_infrastructure::clock::SystemClock;
use qblog_infrastructure::database::{
    DatabasePool, SeaOrmDatabaseHealth, SeaOrmPool, SeaOrmPoolParameters, breaker_for,
};
use qblog_infrastructure::qrcode::StoreQrCodeStore;
use qblog_infrastructure::resilience::Breaker;
use qblog_infrastructure::store::{
    EmbeddedKeyValueStore, KeySpace, NoticeHub, RedisConnection, RedisKeyValueStore,
    RedisKeyValueStoreParameters,
};
use qblog_infrastructure::user::{
    Argon2PasswordHasher, Argon2PasswordHasherParameters, SeaOrmUserRepository,
};
use sea_orm::DatabaseConnection;
use shaku::{HasComponent, module};
use tokio::sync::Semaphore;

/// What every feature module needs from the process: the store, the pool, the clock,
/// and attempt counters on the store.
pub trait CoreModule:
    HasComponent<dyn KeyValueStore>
    + HasComponent<dyn DatabasePool>
    + HasComponent<dyn Clock>
    + HasComponent<dyn Throttle>
{
}

/// What other features need from accounts: the services and the user repository.
pub trait AccountsModuleInterface:
    HasComponent<dyn AuthService> + HasComponent<dyn UserService> + HasComponent<dyn UserRepository>
{
}

pub use modules::{
    AccountsModule, BlogModule, EmbeddedCoreModule, HealthModule, QrModule, RedisCoreModule,
};

/// The module definitions. `module!` cannot carry doc comments, so they are said here:
/// `RedisCoreModule` is the core for several instances (values and notices in a shared
/// Redis), `EmbeddedCoreModule` the core for one instance (everything in this process),
/// `HealthModule` the readiness probes, `AccountsModule` users, login, sessions and tokens,
/// `BlogModule` blogs, `QrModule` the QR-code login.
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

    module! {
        pub HealthModule {
            components = [SeaOrmDatabaseHealth, ReadinessChecker],
            providers = [],

            use dyn CoreModule {
                components = [dyn KeyValueStore, dyn DatabasePool],
                providers = []
            }
        }
    }

    module! {
        pub AccountsModule: AccountsModuleInterface {
            components = [
                SeaOrmUserRepository,
                Argon2PasswordHasher,
                StoreSessionStore,
                JwtTokenIssuer,
                UserServiceImpl,
                AuthServiceImpl,
            ],
            providers = [],

            use dyn CoreModule {
                components = [dyn KeyValueStore, dyn DatabasePool, dyn Clock, dyn Throttle],
                providers = []
            }
        }
    }

    module! {
        pub BlogModule {
            components = [SeaOrmBlogRepository, BlogServiceImpl],
            providers = [],

            use dyn CoreModule {
                components = [dyn DatabasePool, dyn Clock],
                providers = []
            },

            use dyn AccountsModuleInterface {
                components = [dyn UserRepository],
                providers = []
            }
        }
    }

    module! {
        pub QrModule {
            components = [StoreQrCodeStore, QrLoginServiceImpl],
            providers = [],

            use dyn CoreModule {
                components = [dyn KeyValueStore, dyn Clock],
                providers = []
            },

            use dyn AccountsModuleInterface {
                components = [dyn UserRepository, dyn AuthService],
                providers = []
            }
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

/// The settings-derived parameters of the accounts module.
pub struct AuthOptions {
    /// The deployment secret: the HMAC key of access tokens, and what the poll
    /// tokens' key is derived from.
    pub jwt_secret: Vec<u8>,
    /// Access token lifetime.
    pub token_ttl: Duration,
    /// A password login's session lifetime.
    pub session_ttl: Duration,
    /// Failed logins allowed per window.
    pub login_limits: LoginLimits,
    /// Password hashes at once.
    pub hash_concurrency: usize,
    /// How QR codes behave.
    pub qrcode: QrPolicy,
}

/// Every module of the application, built once at start-up.
pub struct Modules {
    /// The shared core.
    pub core: Arc<dyn CoreModule>,
    /// Health.
    pub health: Arc<HealthModule>,
    /// Users and authentication.
    pub accounts: Arc<AccountsModule>,
    /// Blogs.
    pub blog: Arc<BlogModule>,
    /// QR-code login.
    pub qrcode: Arc<QrModule>,
}

impl Modules {
    /// Builds the feature modules over `core`.
    pub fn build(core: Arc<dyn CoreModule>, auth: AuthOptions) -> Self {
        let health = Arc::new(HealthModule::builder(Arc::clone(&core)).build());
        let accounts = Arc::new(
            AccountsModule::builder(Arc::clone(&core))
                .with_component_parameters::<JwtTokenIssuer>(JwtTokenIssuerParameters {
                    keys: JwtKeys::from_secret(&auth.jwt_secret),
                    lifetime: auth.token_ttl,
                })
                .with_component_parameters::<Argon2PasswordHasher>(Argon2PasswordHasherParameters {
                    permits: Arc::new(Semaphore::new(auth.hash_concurrency.max(1))),
                })
                .with_component_parameters::<AuthServiceImpl>(AuthServiceImplParameters {
                    session_ttl: auth.session_ttl,
                    limits: auth.login_limits,
                    limit_qr_sessions: auth.qrcode.limited_sessions,
                })
                .build(),
        );
        let blog = Arc::new(
            BlogModule::builder(
                Arc::clone(&core),
                Arc::clone(&accounts) as Arc<dyn AccountsModuleInterface>,
            )
            .build(),
        );
        let qrcode = Arc::new(
            QrModule::builder(
                Arc::clone(&core),
                Arc::clone(&accounts) as Arc<dyn AccountsModuleInterface>,
            )
            .with_component_parameters::<QrLoginServiceImpl>(QrLoginServiceImplParameters {
                poll_tokens: PollTokenKey::derive(&auth.jwt_secret),
                policy: auth.qrcode,
            })
            .build(),
        );
        Self {
            core,
            health,
            accounts,
            blog,
            qrcode,
        }
    }

    /// The QR-code login service, for its controller.
    pub fn qrcodes(&self) -> Arc<dyn QrLoginService> {
        self.qrcode.resolve()
    }

    /// The clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.core.resolve()
    }

    /// The attempt counters, for the throttle guard.
    pub fn throttle(&self) -> Arc<dyn Throttle> {
        self.core.resolve()
    }

    /// The blog service, for the blog controller and the CLI.
    pub fn blogs(&self) -> Arc<dyn BlogService> {
        self.blog.resolve()
    }

    /// The readiness service, for the health controller.
    pub fn readiness(&self) -> Arc<dyn ReadinessService> {
        self.health.resolve()
    }

    /// The authentication service, for the user controller and the auth guard.
    pub fn auth(&self) -> Arc<dyn AuthService> {
        self.accounts.resolve()
    }

    /// The account service, for the user controller.
    pub fn users(&self) -> Arc<dyn UserService> {
        self.accounts.resolve()
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use qblog_application::health::{DependencyStatus, Readiness};

    use super::*;

    fn test_auth_options() -> AuthOptions {
        AuthOptions {
            jwt_secret: vec![7; 32],
            token_ttl: Duration::from_secs(60),
            session_ttl: Duration::from_secs(60),
            login_limits: LoginLimits::default(),
            hash_concurrency: 1,
            qrcode: QrPolicy::default(),
        }
    }

    #[tokio::test]
    async fn the_accounts_module_resolves_its_services() {
        let core = core_module(Resources {
            database: memory_database().await,
            query_timeout: Duration::from_secs(2),
            redis: None,
        });
        let modules = Modules::build(core, test_auth_options());
        let _auth = modules.auth();
        let _users = modules.users();
    }

    async fn memory_database() -> DatabaseConnection {
        sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("in-memory sqlite")
    }

    #[tokio::test]
    async fn the_embedded_core_wires_a_working_readiness_check() {
        let core = core_module(Resources {
            database: memory_database().await,
            query_timeout: Duration::from_secs(2),
            redis: None,
        });
        let modules = Modules::build(core, test_auth_options());
        let readiness = modules.readiness().check().await;
        assert!(readiness.is_ready(), "{readiness:?}");
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

    #[tokio::test]
    async fn a_test_can_override_any_component() {
        struct AlwaysDown;
        #[async_trait]
        impl ReadinessService for AlwaysDown {
            async fn check(&self) -> Readiness {
                Readiness {
                    database: DependencyStatus::Down("overridden".into()),
                    store: DependencyStatus::Up,
                }
            }
        }
        let core = core_module(Resources {
            database: memory_database().await,
            query_timeout: Duration::from_secs(2),
            redis: None,
        });
        let health = HealthModule::builder(core)
            .with_component_override::<dyn ReadinessService>(Box::new(AlwaysDown))
            .build();
        let readiness: Arc<dyn ReadinessService> = health.resolve();
        assert_eq!(
            readiness.check().await.database,
            DependencyStatus::Down("overridden".into())
        );
    }
}
