//! The feature list wired over an embedded core and an in-memory database.

use std::time::Duration;

use async_trait::async_trait;
use qblog_application::auth::AuthService;
use qblog_application::blog::BlogService;
use qblog_application::health::{DependencyStatus, Readiness, ReadinessService};
use qblog_interface::lifecycle::Lifecycle;
use sea_orm::DatabaseConnection;
use shaku::HasComponent;

use super::*;
use crate::di::{Resources, core_module};
use crate::settings::Environment;

async fn memory_database() -> DatabaseConnection {
    sea_orm::Database::connect("sqlite::memory:")
        .await
        .expect("in-memory sqlite")
}

async fn core() -> Arc<dyn CoreModule> {
    core_module(Resources {
        database: memory_database().await,
        query_timeout: Duration::from_secs(2),
        redis: None,
    })
}

fn settings() -> Settings {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    Settings::load(&dir, Environment::Test).expect("test settings")
}

#[tokio::test]
async fn every_feature_is_wired_and_provides_its_module() {
    let settings = settings();
    let (_control, lifecycle) = Lifecycle::new();
    let mut wiring = Wiring::new(&settings, core().await, lifecycle);
    let _api = wire_all(&mut wiring).expect("wired");
    let accounts = wiring
        .module::<dyn AccountsModuleInterface>()
        .expect("accounts");
    let _auth: Arc<dyn AuthService> = accounts.resolve();
    let blogs = wiring.module::<dyn BlogModuleInterface>().expect("blogs");
    let _blogs: Arc<dyn BlogService> = blogs.resolve();
    wiring.module::<dyn QrModuleInterface>().expect("QR codes");
    let health = wiring
        .module::<dyn HealthModuleInterface>()
        .expect("health");
    let readiness: Arc<dyn ReadinessService> = health.resolve();
    assert!(readiness.check().await.is_ready());
    assert_eq!(wiring.parked_paths, ["/api/qrcode/check"]);
}

#[tokio::test]
async fn a_feature_listed_before_what_it_needs_is_refused_with_a_clear_error() {
    let settings = settings();
    let (_control, lifecycle) = Lifecycle::new();
    let mut wiring = Wiring::new(&settings, core().await, lifecycle);
    let err = blog::wire(&mut wiring).err().expect("accounts are missing");
    let message = err.to_string();
    assert!(
        message.contains("AccountsModuleInterface") && message.contains("wire_all"),
        "{message}"
    );
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
    let health = HealthModule::builder(core().await)
        .with_component_override::<dyn ReadinessService>(Box::new(AlwaysDown))
        .build();
    let readiness: Arc<dyn ReadinessService> = health.resolve();
    assert_eq!(
        readiness.check().await.database,
        DependencyStatus::Down("overridden".into())
    );
}
