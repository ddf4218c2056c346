//! The QR-code login use cases.

mod service;

pub use service::{
    CheckRequest, CheckResult, Generated, QrLoginService, QrLoginServiceImpl,
    QrLoginServiceImplParameters,
};
