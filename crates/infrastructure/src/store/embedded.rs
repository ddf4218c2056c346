//! The in-process key-value store: a map behind a mutex, for one instance.
//!
//! Every operation takes the lock once, so each is atomic exactly as the Redis
//! adapter's Lua scripts are. Expired entries are invisible at once and are swept out
//! every [`SWEEP_EVERY`] writes. Times come from `tokio::time`, so tests can pause the
//! clock. Nothing survives a restart, and a second process does not see this one's
//! values: use Redis to run several instances.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::store::{CasOutcome, Counter, KeyValueStore, StoreError, Subscription};
use shaku::Component;
use tokio::time::Instant;

use super::NoticeHub;

/// Writes between two sweeps of expired entries.
const SWEEP_EVERY: u64 = 1024;

struct Entry {
    value: String,
    /// The members, for a key used as a set (its `value` is then empty).
    members: BTreeSet<String>,
    expires_at: Instant,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    writes: u64,
}

impl Entries {
    fn live(&self, key: &str, now: Instant) -> Option<&Entry> {
        self.map.get(key).filter(|entry| entry.expires_at > now)
    }

    fn live_mut(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        self.map.get_mut(key).filter(|entry| entry.expires_at > now)
    }

    fn insert(&mut self, key: &str, value: &str, expires_at: Instant, now: Instant) {
        self.writes += 1;
        if self.writes.is_multiple_of(SWEEP_EVERY) {
            self.map.retain(|_, entry| entry.expires_at > now);
        }
        self.map.insert(
            key.to_owned(),
            Entry {
                value: value.to_owned(),
                members: BTreeSet::new(),
                expires_at,
            },
        );
    }
}

/// A `KeyValueStore` living in this process's memory.
#[derive(Component, Default)]
#[shaku(interface = KeyValueStore)]
pub struct EmbeddedKeyValueStore {
    #[shaku(force_default)]
    entries: Mutex<Entries>,
    #[shaku(force_default)]
    hub: Arc<NoticeHub>,
}

impl EmbeddedKeyValueStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Each operation finishes its change before it can panic; the map stays consistent.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl KeyValueStore for EmbeddedKeyValueStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let now = Instant::now();
        Ok(self.lock().live(key, now).map(|entry| entry.value.clone()))
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        let now = Instant::now();
        let entries = self.lock();
        Ok(keys
            .iter()
            .map(|key| entries.live(key, now).map(|entry| entry.value.clone()))
            .collect())
    }

    async fn get_with_ttl(&self, key: &str) -> Result<Option<(String, Duration)>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock()
            .live(key, now)
            .map(|entry| (entry.value.clone(), entry.expires_at - now)))
    }

    async fn count_and_get(
        &self,
        counter: &str,
        window: Duration,
        key: &str,
    ) -> Result<(Counter, Option<(String, Duration)>), StoreError> {
        let counted = self.increment(counter, window).await?;
        Ok((counted, self.get_with_ttl(key).await?))
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let now = Instant::now();
        self.lock().insert(key, value, now + ttl, now);
        Ok(())
    }

    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.live(key, now).is_some() {
            return Ok(false);
        }
        entries.insert(key, value, now + ttl, now);
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let now = Instant::now();
        let removed = self.lock().map.remove(key);
        Ok(removed.is_some_and(|entry| entry.expires_at > now))
    }

    async fn compare_and_set<'a>(
        &self,
        key: &str,
        expected: &str,
        new: &str,
        notify: Option<&'a str>,
    ) -> Result<CasOutcome, StoreError> {
        let now = Instant::now();
        {
            let mut entries = self.lock();
            let Some(entry) = entries.live_mut(key, now) else {
                return Ok(CasOutcome::Missing);
            };
            if entry.value != expected {
                return Ok(CasOutcome::Mismatch {
                    current: entry.value.clone(),
                });
            }
            new.clone_into(&mut entry.value);
            // Published while the lock is held: no reader can see the new value and
            // then miss its notice, nor see the notice before the value.
            if let Some(channel) = notify {
                self.hub.publish(channel, new);
            }
        }
        Ok(CasOutcome::Swapped)
    }

    async fn add_to_set(&self, key: &str, member: &str, ttl: Duration) -> Result<u64, StoreError> {
        let now = Instant::now();
        let mut entries = self.lock();
        let (mut members, expires_at) = match entries.live(key, now) {
            Some(entry) => (entry.members.clone(), entry.expires_at.max(now + ttl)),
            None => (BTreeSet::new(), now + ttl),
        };
        members.insert(member.to_owned());
        let size = members.len() as u64;
        entries.insert(key, "", expires_at, now);
        if let Some(entry) = entries.map.get_mut(key) {
            entry.members = members;
        }
        Ok(size)
    }

    async fn remove_from_set(&self, key: &str, members: &[String]) -> Result<(), StoreError> {
        let now = Instant::now();
        if let Some(entry) = self.lock().live_mut(key, now) {
            for member in members {
                entry.members.remove(member);
            }
        }
        Ok(())
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock()
            .live(key, now)
            .map(|entry| entry.members.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<Counter, StoreError> {
        let now = Instant::now();
        let mut entries = self.lock();
        let (count, expires_at) = match entries.live(key, now) {
            Some(entry) => (
                entry.value.parse::<u64>().unwrap_or(0) + 1,
                entry.expires_at,
            ),
            None => (1, now + window),
        };
        entries.insert(key, &count.to_string(), expires_at, now);
        Ok(Counter {
            count,
            resets_in: expires_at - now,
        })
    }

    async fn decrement(&self, key: &str) -> Result<(), StoreError> {
        let now = Instant::now();
        let mut entries = self.lock();
        if let Some(entry) = entries.live_mut(key, now) {
            let count = entry.value.parse::<u64>().unwrap_or(0);
            entry.value = count.saturating_sub(1).to_string();
        }
        Ok(())
    }

    async fn time_to_live(&self, key: &str) -> Result<Option<Duration>, StoreError> {
        let now = Instant::now();
        Ok(self
            .lock()
            .live(key, now)
            .map(|entry| entry.expires_at - now))
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), StoreError> {
        self.hub.publish(channel, message);
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<Box<dyn Subscription>, StoreError> {
        Ok(Box::new(self.hub.subscribe(channel)))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
