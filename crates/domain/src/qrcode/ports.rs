//! The QR-code store port.

use std::time::Duration;

use async_trait::async_trait;
use shaku_interface::Interface;

use super::{LiveQrCode, QrCode, QrCodeId, QrError};
use crate::store::Subscription;
use crate::throttle::{RateLimit, ThrottleDecision};

/// What [`QrCodeStore::replace`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrUpdate {
    /// The record still was `current` and is now `next`.
    Applied,
    /// Someone changed the record first; nothing was written (read it again).
    Changed,
    /// The record is gone (expired).
    Gone,
}

/// Where codes live until their deadline, shared by every instance.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait QrCodeStore: Interface {
    /// Stores a new code that disappears after `ttl`.
    ///
    /// # Errors
    /// [`QrError::Unavailable`] when the store cannot be reached; nothing was stored.
    async fn create(&self, code: &QrCode, ttl: Duration) -> Result<(), QrError>;

    /// The live code with this id and the time it has left by the store's clock.
    ///
    /// # Errors
    /// [`QrError::Unavailable`] when the store cannot be reached; an unknown or expired
    /// code is `Ok(None)`.
    async fn get(&self, id: &QrCodeId) -> Result<Option<LiveQrCode>, QrError>;

    /// Counts one attempt under `attempts` and reads the code, in one round trip: a
    /// plain poll's whole cost. The code is read even when the attempt is over the limit
    /// (the caller refuses it).
    ///
    /// # Errors
    /// [`QrError::Unavailable`] when the store cannot be reached.
    async fn get_counted(
        &self,
        id: &QrCodeId,
        attempts: &RateLimit,
    ) -> Result<(ThrottleDecision, Option<LiveQrCode>), QrError>;

    /// Atomically replaces the record `current` with `next` — only if the stored record
    /// is still exactly `current` — keeping its deadline, and notifies the code's
    /// watchers in the same step. Of several racing replacements of one record exactly
    /// one is `Applied`.
    ///
    /// # Errors
    /// [`QrError::Unavailable`] when the store cannot be reached; nothing changed.
    async fn replace(&self, current: &QrCode, next: &QrCode) -> Result<QrUpdate, QrError>;

    /// Notices of every change to the code, on every instance, from now on.
    ///
    /// # Errors
    /// [`QrError::Unavailable`] when no subscription can be made.
    async fn watch(&self, id: &QrCodeId) -> Result<Box<dyn Subscription>, QrError>;
}
