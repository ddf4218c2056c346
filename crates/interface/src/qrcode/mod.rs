//! `/api/qrcode/*`: the QR-code login.

mod controller;
pub(crate) mod dto;
mod errors;
mod image;

pub use controller::{MAX_WAIT_SECS, QrCodeController, QrOptions};
