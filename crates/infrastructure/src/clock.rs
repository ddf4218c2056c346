//! The production [`Clock`]: the operating system's wall clock.

use chrono::{DateTime, Utc};
use qblog_domain::clock::Clock;
use shaku::Component;

/// Reads the system clock.
#[derive(Component, Default)]
#[shaku(interface = Clock)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
