#![doc = include_str!("../README.md")]

pub mod auth;
pub mod blog;
pub mod comment;
pub mod health;
pub mod qrcode;
pub mod user;
