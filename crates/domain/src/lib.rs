#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod clock;
pub mod health;
pub mod store;
