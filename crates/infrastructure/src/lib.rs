#![doc = include_str!("../README.md")]

pub mod auth;
pub mod blog;
pub mod clock;
pub mod comment;
pub mod database;
pub mod logging;
pub mod qrcode;
pub mod resilience;
pub mod store;
pub mod testing;
pub mod user;
