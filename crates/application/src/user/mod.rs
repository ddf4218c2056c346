//! Accounts: registering users.

mod service;

pub use service::{Registration, UserService, UserServiceImpl};
