#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod clock;
pub mod database;
pub mod store;
pub mod testing;
