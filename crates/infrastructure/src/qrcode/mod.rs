//! The QR-code store on the key-value store port.

mod store;

pub use store::StoreQrCodeStore;
