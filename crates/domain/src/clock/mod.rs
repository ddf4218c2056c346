//! The `Clock` port: the one way the domain and services learn the time.
//!
//! Injecting the clock keeps expiry rules (sessions, tokens, QR codes) testable
//! without sleeping.

use chrono::{DateTime, Utc};
use shaku_interface::Interface;

/// Tells the current time.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Interface {
    /// The current instant in UTC.
    fn now(&self) -> DateTime<Utc>;
}
