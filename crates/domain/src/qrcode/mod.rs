//! QR-code login: a PC shows a code, a logged-in phone scans it and confirms or
//! cancels, and the PC's next poll logs it in — once.
//!
//! The life of a code is a state machine ([`transition`]) that knows nothing of
//! storage; stores only make each transition atomic.

mod error;
mod machine;
mod model;
mod ports;

pub use error::QrError;
pub use machine::{QrEvent, transition};
pub use model::{
    ClaimId, LiveQrCode, PcInfo, PollToken, PollTokenHash, QrCode, QrCodeId, QrState, QrStatus,
    Scanner,
};
pub use ports::{QrCodeStore, QrUpdate};

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockQrCodeStore;
