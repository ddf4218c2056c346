//! QR-code login: a PC shows a code, a logged-in phone scans it and confirms or
//! cancels, and the PC's next poll logs it in — once.
//!
//! The life of a code is a state machine ([`transition`]) that knows nothing of
//! storage; stores only make each transition atomic.

mod error;
mod machine;
mod model;
mod ports;
mod proximity;

pub use error::QrError;
pub use machine::{QrEvent, Step, transition};
pub use model::{
    ClaimId, LiveQrCode, MatchChallenge, MatchCode, PcInfo, PollToken, PollTokenHash, PollTokenKey,
    QrCode, QrCodeId, QrState, QrStatus, Scanner,
};
pub use ports::{QrCodeStore, QrUpdate};
pub use proximity::{NetworkPrefixes, NumberMatching};

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockQrCodeStore;
