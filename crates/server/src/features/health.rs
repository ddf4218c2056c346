//! Health: the readiness probes over the core's database and store.

use std::sync::Arc;

use qblog_application::health::{ReadinessChecker, ReadinessService};
use qblog_domain::store::KeyValueStore;
use qblog_infrastructure::database::{DatabasePool, SeaOrmDatabaseHealth};
use qblog_interface::health::HealthController;
use shaku::{HasComponent, module};

use super::Wiring;
use crate::di::CoreModule;

/// What other features may use of health.
pub trait HealthModuleInterface: HasComponent<dyn ReadinessService> {}

/// `module!` takes no doc comments: `HealthModule` is the readiness checks.
#[allow(missing_docs)]
mod definition {
    use super::*;

    module! {
        pub HealthModule: HealthModuleInterface {
            components = [SeaOrmDatabaseHealth, ReadinessChecker],
            providers = [],

            use dyn CoreModule {
                components = [dyn KeyValueStore, dyn DatabasePool],
                providers = []
            }
        }
    }
}

pub use definition::HealthModule;

/// Wires health: `/health/live`, `/health/ready`.
///
/// # Errors
/// None today; the signature is every feature's.
pub fn wire(w: &mut Wiring<'_>) -> anyhow::Result<HealthController> {
    let module = Arc::new(HealthModule::builder(Arc::clone(&w.core)).build());
    w.provide::<dyn HealthModuleInterface>(module.clone());
    Ok(HealthController::new(module.resolve(), w.lifecycle.clone()))
}
