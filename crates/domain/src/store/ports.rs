//! The `KeyValueStore` and `Subscription` traits and their small value types.

use std::time::Duration;

use async_trait::async_trait;
use shaku_interface::Interface;

use super::StoreError;

/// The result of [`KeyValueStore::compare_and_set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CasOutcome {
    /// The stored value equalled the expected one and was replaced.
    Swapped,
    /// The stored value differed; nothing was written. Carries what is stored now.
    Mismatch {
        /// The value found in the store.
        current: String,
    },
    /// No live value is stored under the key (never set, deleted or expired).
    Missing,
}

/// A fixed-window counter's state after [`KeyValueStore::increment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// How many increments the current window has seen, this one included.
    pub count: u64,
    /// How long until the window closes and the counter starts from zero.
    pub resets_in: Duration,
}

/// One thing a [`Subscription`] hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A message published on the subscribed channel.
    Message(String),
    /// Notices may have been missed (the store reconnected): re-read what you watch.
    Resync,
}

/// A stream of change notices on one channel.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Subscription: Send {
    /// Waits for the next notice.
    ///
    /// Returns `None` once the store has shut down and no notice will ever come.
    async fn next(&mut self) -> Option<Notice>;
}

/// Short-lived values with a time to live, atomic updates and change notices.
///
/// Keys and channels are plain strings chosen by the feature (`session:<id>`,
/// `qrcode:<id>`); an adapter may add its own namespace (a Redis key prefix) but must
/// keep features' keys apart from each other exactly as given. Values are opaque text
/// (features store JSON). Every write that takes a `ttl` replaces any earlier expiry.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KeyValueStore: Interface {
    /// Reads the live value under `key`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached; a missing or
    /// expired key is `Ok(None)`, not an error.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Reads the live values under `keys`, in order, in one round trip (`None` for a
    /// missing one). The values are each read atomically, not all together.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError>;

    /// Reads the live value under `key` and how long it has left, in one atomic step
    /// and by the store's own clock: instances whose clocks disagree still agree on
    /// when a value expires.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached; a missing or
    /// expired key is `Ok(None)`.
    async fn get_with_ttl(&self, key: &str) -> Result<Option<(String, Duration)>, StoreError>;

    /// Counts one under `counter` (as [`KeyValueStore::increment`], in a window of
    /// `window`) and reads `key` with its time to live (as
    /// [`KeyValueStore::get_with_ttl`]), in one round trip: what a hot read that is
    /// rate-limited per client costs.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached; then the attempt
    /// may or may not have been counted.
    async fn count_and_get(
        &self,
        counter: &str,
        window: Duration,
        key: &str,
    ) -> Result<(Counter, Option<(String, Duration)>), StoreError>;

    /// Writes `value` under `key`, expiring after `ttl`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached; then nothing was written.
    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;

    /// Writes `value` under `key` only when no live value is there.
    ///
    /// Returns whether it wrote.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached; then nothing was written.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError>;

    /// Removes `key`. Returns whether a live value was there.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;

    /// Atomically replaces the value under `key` with `new` if it currently equals
    /// `expected`, keeping the key's remaining time to live.
    ///
    /// When it swaps and `notify` names a channel, `new` is published on that channel
    /// in the same atomic step, so a subscriber can never see the notice before the value.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached; then nothing was
    /// written and nothing was published.
    async fn compare_and_set<'a>(
        &self,
        key: &str,
        expected: &str,
        new: &str,
        notify: Option<&'a str>,
    ) -> Result<CasOutcome, StoreError>;

    /// Adds `member` to the set under `key` and makes the set live at least `ttl` from
    /// now (a longer time to live it already has is kept). Returns the set's size.
    /// Sets are indexes (a user's sessions); a key holds either a set or a value.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn add_to_set(&self, key: &str, member: &str, ttl: Duration) -> Result<u64, StoreError>;

    /// Removes `members` from the set under `key`; absent ones are not an error.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn remove_from_set(&self, key: &str, members: &[String]) -> Result<(), StoreError>;

    /// The members of the set under `key`, in no particular order (none when the key
    /// is missing or expired).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError>;

    /// Adds one to the counter under `key`, which starts a window of length `window`
    /// when it does not exist yet (fixed window: later increments keep that deadline).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn increment(&self, key: &str, window: Duration) -> Result<Counter, StoreError>;

    /// Takes one back from the counter under `key`, keeping its window; nothing happens
    /// when the counter does not exist or is already zero.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn decrement(&self, key: &str) -> Result<(), StoreError>;

    /// How long the live value under `key` has left; `None` when there is none.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError>;

    /// Publishes `message` to every current subscriber of `channel`, on every
    /// instance sharing the store. Nobody listening is not an error.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the store cannot be reached.
    async fn publish(&self, channel: &str, message: &str) -> Result<(), StoreError>;

    /// Starts receiving the notices published on `channel` from now on.
    ///
    /// While the store is unreachable no notices arrive; when it is back the
    /// subscription receives [`Notice::Resync`], so the subscriber re-reads what it
    /// watches rather than miss a change.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when a subscription cannot be made at all.
    async fn subscribe(&self, channel: &str) -> Result<Box<dyn Subscription>, StoreError>;

    /// Checks that the store answers.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when it does not.
    async fn ping(&self) -> Result<(), StoreError>;
}
