#![doc = include_str!("../README.md")]

pub mod auth;
pub mod blog;
pub mod clock;
pub mod comment;
pub mod failure;
pub mod health;
pub mod ids;
pub mod paging;
pub mod qrcode;
pub mod store;
pub mod text;
pub mod throttle;
pub mod user;
pub mod validation;
