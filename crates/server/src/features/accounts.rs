//! Accounts: users, passwords, device sessions, tokens and login throttling.

use std::sync::Arc;
use std::time::Duration;

use qblog_application::auth::{
    AuthService, AuthServiceImpl, AuthServiceImplParameters, LoginLimits,
};
use qblog_application::user::{UserService, UserServiceImpl};
use qblog_domain::clock::Clock;
use qblog_domain::store::KeyValueStore;
use qblog_domain::throttle::Throttle;
use qblog_domain::user::UserRepository;
use qblog_infrastructure::auth::{
    JwtKeys, JwtTokenIssuer, JwtTokenIssuerParameters, StoreSessionStore,
};
use qblog_infrastructure::database::DatabasePool;
use qblog_infrastructure::user::{
    Argon2PasswordHasher, Argon2PasswordHasherParameters, SeaOrmUserRepository,
};
use qblog_interface::pipeline::guards::ThrottleGuard;
use qblog_interface::user::{CookiePolicy, UserController};
use shaku::{HasComponent, module};
use tokio::sync::Semaphore;

use super::Wiring;
use crate::di::CoreModule;

/// What other features may use of accounts: the services and the user repository.
pub trait AccountsModuleInterface:
    HasComponent<dyn AuthService> + HasComponent<dyn UserService> + HasComponent<dyn UserRepository>
{
}

/// `module!` takes no doc comments: `AccountsModule` is users, login, sessions and
/// tokens.
#[allow(missing_docs)]
mod definition {
    use super::*;

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
}

pub use definition::AccountsModule;

/// Wires accounts: `/api/user/*`.
///
/// # Errors
/// None today; the signature is every feature's.
pub fn wire(w: &mut Wiring<'_>) -> anyhow::Result<UserController> {
    let auth = &w.settings.auth;
    let hash_concurrency = match auth.hash_concurrency {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    };
    let module = Arc::new(
        AccountsModule::builder(Arc::clone(&w.core))
            .with_component_parameters::<JwtTokenIssuer>(JwtTokenIssuerParameters {
                keys: JwtKeys::from_secret(&w.secret),
                lifetime: Duration::from_secs(auth.token_ttl_secs),
            })
            .with_component_parameters::<Argon2PasswordHasher>(Argon2PasswordHasherParameters {
                permits: Arc::new(Semaphore::new(hash_concurrency.max(1))),
            })
            .with_component_parameters::<AuthServiceImpl>(AuthServiceImplParameters {
                session_ttl: Duration::from_secs(auth.session_ttl_secs),
                limits: LoginLimits {
                    per_user_and_client: auth.max_failed_logins,
                    per_client: auth.max_failed_logins_per_ip,
                    per_user: auth.max_failed_logins_per_user,
                    window: Duration::from_secs(auth.failed_login_window_secs),
                },
                limit_qr_sessions: w.settings.qrcode.limited_sessions,
            })
            .build(),
    );
    w.provide::<dyn AccountsModuleInterface>(module.clone());
    Ok(UserController::new(
        module.resolve(),
        module.resolve(),
        CookiePolicy {
            secure: auth.cookie_secure,
        },
        ThrottleGuard::new(w.core.resolve()),
        auth.register_per_minute,
    ))
}
