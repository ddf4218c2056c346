//! The QR-code login use cases.

mod service;

pub use service::{
    CheckOutcome, CheckRequest, CheckResult, Generated, QrLoginService, QrLoginServiceImpl,
    QrLoginServiceImplParameters, QrPolicy, Scanned, Wake,
};
