//! The features, each wired in its own file, and the one list of them.
//!
//! A feature's file holds everything that joins its layers: its shaku module, the
//! interface trait through which other features use it (every feature exposes one, so
//! the next feature can depend on it without editing it), and `wire`, which builds
//! the module over the core and the features it needs, makes it available to the
//! features after it, and returns its controller. [`wire_all`] lists every feature
//! once, in dependency order: adding a feature is one line there.

pub mod accounts;
pub mod blog;
pub mod comment;
pub mod health;
pub mod qrcode;

pub use accounts::{AccountsModule, AccountsModuleInterface};
pub use blog::{BlogModule, BlogModuleInterface};
pub use health::{HealthModule, HealthModuleInterface};
pub use qrcode::{QrModule, QrModuleInterface};

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::sync::Arc;

use anyhow::anyhow;
use poem_openapi::OpenApi;
use qblog_interface::lifecycle::Lifecycle;
use rand::RngCore;
use secrecy::ExposeSecret;

use crate::di::CoreModule;
use crate::settings::Settings;

/// Every feature, in dependency order (a feature comes after those it uses), as the
/// tuple of their controllers.
///
/// # Errors
/// When a feature cannot be built from the settings, or needs one listed after it.
pub fn wire_all(w: &mut Wiring<'_>) -> anyhow::Result<impl OpenApi + use<>> {
    Ok((
        health::wire(w)?,
        accounts::wire(w)?,
        blog::wire(w)?,
        qrcode::wire(w)?,
        comment::wire(w)?,
    ))
}

/// What features are wired with, and the modules wired so far.
pub struct Wiring<'a> {
    /// The deployment's settings, validated at load.
    pub settings: &'a Settings,
    /// The core every feature module is built over (store, pool, clock, throttle).
    pub core: Arc<dyn CoreModule>,
    /// The instance's lifecycle: what waits must stop waiting when it drains.
    pub lifecycle: Lifecycle,
    /// The deployment secret (`auth.jwt_secret`), resolved once: outside production a
    /// random one when unset, shared by every feature of this process.
    pub secret: Vec<u8>,
    /// Routes whose waiting requests are parked (see `pipeline::park`).
    pub parked_paths: Vec<&'static str>,
    modules: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl<'a> Wiring<'a> {
    /// Wiring over `core` for `settings`.
    pub fn new(settings: &'a Settings, core: Arc<dyn CoreModule>, lifecycle: Lifecycle) -> Self {
        Self {
            settings,
            core,
            lifecycle,
            secret: deployment_secret(settings),
            parked_paths: Vec::new(),
            modules: HashMap::new(),
        }
    }

    /// Makes `module` available, as `M` (a feature's interface trait), to the features
    /// wired after this one.
    pub fn provide<M: ?Sized + Send + Sync + 'static>(&mut self, module: Arc<M>) {
        self.modules.insert(TypeId::of::<M>(), Box::new(module));
    }

    /// The module a feature wired earlier provided as `M`.
    ///
    /// # Errors
    /// When no feature provided `M` yet: it is listed after the one asking, or not at all.
    pub fn module<M: ?Sized + Send + Sync + 'static>(&self) -> anyhow::Result<Arc<M>> {
        self.modules
            .get(&TypeId::of::<M>())
            .and_then(|module| module.downcast_ref::<Arc<M>>())
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "no feature provides {} yet: list the feature that does before the one \
                     that needs it in features::wire_all",
                    type_name::<M>()
                )
            })
    }
}

/// `auth.jwt_secret`, or a random key for this process (allowed outside production
/// only; `Settings::validate` refuses the rest): tokens and poll tokens then die with
/// the process and do not cross instances.
fn deployment_secret(settings: &Settings) -> Vec<u8> {
    match &settings.auth.jwt_secret {
        Some(secret) => secret.expose_secret().as_bytes().to_vec(),
        None => {
            tracing::warn!(
                "auth.jwt_secret is not set: using a random key for this process; \
                 bearer tokens will not survive a restart or work on other instances"
            );
            let mut key = vec![0u8; 32];
            rand::rng().fill_bytes(&mut key);
            key
        }
    }
}

#[cfg(test)]
mod tests;
