//! Logging in and out, and recognising credentials.

mod service;

pub use service::{AuthService, AuthServiceImpl, AuthServiceImplParameters, Login, LoginAttempt};
