//! Logging in and out, and recognising credentials.

pub(crate) mod service;

pub use service::{AuthService, AuthServiceImpl, AuthServiceImplParameters, Login, LoginAttempt};
