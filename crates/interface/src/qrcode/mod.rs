//! `/api/qrcode/*`: the QR-code login.

mod controller;
mod dto;
mod errors;
mod image;

pub use controller::{QrCodeController, QrOptions};
