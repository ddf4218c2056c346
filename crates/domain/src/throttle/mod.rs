//! The `Throttle` port: fixed-window attempt counting shared by every instance.
//!
//! Login throttling, QR-code generation and polling limits all count "attempts per key
//! per window"; keeping the count in the store makes a limit hold across instances.

use std::time::Duration;

use async_trait::async_trait;
use shaku_interface::Interface;

use crate::store::{Counter, StoreError};

/// Whether one more attempt is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Go ahead.
    Allowed,
    /// Over the limit; try again after the delay.
    Limited {
        /// Until the window closes.
        retry_after: Duration,
    },
}

impl ThrottleDecision {
    /// Whether the attempt is refused.
    pub fn is_limited(self) -> bool {
        matches!(self, Self::Limited { .. })
    }
}

/// At most `limit` attempts under `key` per `window`: what a port that counts as it
/// reads is told (the QR-code store's `get_counted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// What is counted (`qrcode-check:<client address>`).
    pub key: String,
    /// Attempts allowed per window.
    pub limit: u64,
    /// The fixed window.
    pub window: Duration,
}

impl RateLimit {
    /// Whether the attempt that brought the counter to `counted` is allowed.
    pub fn decide(&self, counted: Counter) -> ThrottleDecision {
        if counted.count > self.limit {
            ThrottleDecision::Limited {
                retry_after: counted.resets_in,
            }
        } else {
            ThrottleDecision::Allowed
        }
    }
}

/// Counts attempts per key in fixed windows.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Throttle: Interface {
    /// Counts one attempt under `key`; `Limited` when this makes more than `limit`
    /// in the current `window`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn hit(
        &self,
        key: &str,
        limit: u64,
        window: Duration,
    ) -> Result<ThrottleDecision, StoreError>;

    /// Whether `key` has already used up `limit`, without counting an attempt.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn check(&self, key: &str, limit: u64) -> Result<ThrottleDecision, StoreError>;

    /// Takes back one attempt counted under `key` (it turned out not to count).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn forgive(&self, key: &str) -> Result<(), StoreError>;

    /// Forgets the attempts under `key` (after a successful login).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn reset(&self, key: &str) -> Result<(), StoreError>;
}
