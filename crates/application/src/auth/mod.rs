//! Logging in and out, device sessions, and recognising credentials.

pub(crate) mod service;

pub use service::{
    AuthService, AuthServiceImpl, AuthServiceImplParameters, Client, DeviceSession, Login,
    LoginAttempt, LoginLimits,
};
