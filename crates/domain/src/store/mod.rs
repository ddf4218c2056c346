//! The key-value store port: what qblog keeps outside the relational database.
//!
//! Sessions, QR-code records, throttling counters and token revocations are short-lived
//! values with a time to live; long-polls need change notices. One port covers all of
//! them so that the same feature code runs on Redis (several instances) and on the
//! embedded in-process store (one instance, no services needed).

mod error;
mod ports;

pub use error::StoreError;
pub use ports::{CasOutcome, Counter, KeyValueStore, Notice, Subscription};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockKeyValueStore, MockSubscription};
