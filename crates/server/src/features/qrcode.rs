//! The QR-code login: a PC shows a code, a logged-in phone confirms, the PC is logged in.

use std::sync::Arc;
use std::time::Duration;

use qblog_application::auth::AuthService;
use qblog_application::qrcode::{
    QrLoginService, QrLoginServiceImpl, QrLoginServiceImplParameters, QrPolicy,
};
use qblog_domain::clock::Clock;
use qblog_domain::qrcode::{NetworkPrefixes, PollTokenKey};
use qblog_domain::store::KeyValueStore;
use qblog_domain::user::UserRepository;
use qblog_infrastructure::qrcode::StoreQrCodeStore;
use qblog_interface::pipeline::guards::ThrottleGuard;
use qblog_interface::qrcode::{QrCodeController, QrOptions};
use qblog_interface::user::CookiePolicy;
use shaku::{HasComponent, module};

use super::{AccountsModuleInterface, Wiring};
use crate::di::CoreModule;

/// What other features may use of the QR-code login.
pub trait QrModuleInterface: HasComponent<dyn QrLoginService> {}

/// `module!` takes no doc comments: `QrModule` is the QR-code login.
#[allow(missing_docs)]
mod definition {
    use super::*;

    module! {
        pub QrModule: QrModuleInterface {
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

pub use definition::QrModule;

/// Wires the QR-code login: `/api/qrcode/*`, whose `check` long-polls are parked.
/// Needs accounts (a confirmed code starts a session).
///
/// # Errors
/// When accounts are not wired yet.
pub fn wire(w: &mut Wiring<'_>) -> anyhow::Result<QrCodeController> {
    let settings = &w.settings.qrcode;
    let session_ttl = Duration::from_secs(w.settings.auth.session_ttl_secs);
    let policy = QrPolicy {
        ttl: Duration::from_secs(settings.ttl_secs),
        login_ttl: settings
            .login_ttl_secs
            .map_or(session_ttl, Duration::from_secs),
        number_matching: settings.number_matching(),
        networks: NetworkPrefixes {
            v4: settings.same_network_prefix_v4,
            v6: settings.same_network_prefix_v6,
        },
        limited_sessions: settings.limited_sessions,
    };
    let accounts = w.module::<dyn AccountsModuleInterface>()?;
    let module = Arc::new(
        QrModule::builder(Arc::clone(&w.core), accounts)
            .with_component_parameters::<QrLoginServiceImpl>(QrLoginServiceImplParameters {
                poll_tokens: PollTokenKey::derive(&w.secret),
                policy,
            })
            .build(),
    );
    w.provide::<dyn QrModuleInterface>(module.clone());
    w.parked_paths.push(QrCodeController::CHECK_PATH);
    Ok(QrCodeController::new(
        module.resolve(),
        ThrottleGuard::new(w.core.resolve()),
        CookiePolicy {
            secure: w.settings.auth.cookie_secure,
        },
        QrOptions {
            public_base_url: w.settings.server.public_base_url.clone(),
            generate_per_minute: settings.generate_per_minute,
            check_per_minute: settings.check_per_minute,
            allowed_networks: Arc::new(w.settings.qrcode_networks()),
            lifecycle: w.lifecycle.clone(),
        },
    ))
}
