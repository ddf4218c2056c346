#![doc = include_str!("../README.md")]

pub mod cli;
pub mod di;
pub mod features;
pub mod http;
pub mod settings;
pub mod startup;
pub mod telemetry;
