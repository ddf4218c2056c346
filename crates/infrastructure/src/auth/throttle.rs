//! `StoreThrottle`: fixed-window counters on the key-value store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::store::{KeyValueStore, StoreError};
use qblog_domain::throttle::{Throttle, ThrottleDecision};
use shaku::Component;

/// The store key attempts under `key` are counted in, by [`StoreThrottle`] and by any
/// adapter that counts as it reads.
pub fn counter_key(key: &str) -> String {
    format!("throttle:{key}")
}

/// Attempt counters shared by every instance using the same store.
#[derive(Component)]
#[shaku(interface = Throttle)]
pub struct StoreThrottle {
    #[shaku(inject)]
    store: Arc<dyn KeyValueStore>,
}

impl StoreThrottle {
    /// Counters kept in `store`.
    pub fn new(store: Arc<dyn KeyValueStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Throttle for StoreThrottle {
    async fn hit(
        &self,
        key_name: &str,
        limit: u64,
        window: Duration,
    ) -> Result<ThrottleDecision, StoreError> {
        let counter = self.store.increment(&counter_key(key_name), window).await?;
        Ok(if counter.count > limit {
            ThrottleDecision::Limited {
                retry_after: counter.resets_in,
            }
        } else {
            ThrottleDecision::Allowed
        })
    }

    async fn check(&self, key_name: &str, limit: u64) -> Result<ThrottleDecision, StoreError> {
        let key = counter_key(key_name);
        let count = match self.store.get(&key).await? {
            Some(value) => value.parse::<u64>().unwrap_or(0),
            None => 0,
        };
        if count < limit {
            return Ok(ThrottleDecision::Allowed);
        }
        let retry_after = self
            .store
            .time_to_live(&key)
            .await?
            .unwrap_or(Duration::from_secs(1));
        Ok(ThrottleDecision::Limited { retry_after })
    }

    async fn forgive(&self, key_name: &str) -> Result<(), StoreError> {
        self.store.decrement(&counter_key(key_name)).await
    }

    async fn reset(&self, key_name: &str) -> Result<(), StoreError> {
        self.store.delete(&counter_key(key_name)).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EmbeddedKeyValueStore;

    #[tokio::test]
    async fn hits_beyond_the_limit_are_limited_until_reset() {
        let throttle = StoreThrottle::new(Arc::new(EmbeddedKeyValueStore::default()));
        let window = Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(
                throttle.hit("k", 3, window).await.ok(),
                Some(ThrottleDecision::Allowed)
            );
        }
        assert!(throttle.check("k", 3).await.expect("checked").is_limited());
        assert!(
            throttle
                .hit("k", 3, window)
                .await
                .expect("hit")
                .is_limited()
        );
        throttle.reset("k").await.expect("reset");
        assert_eq!(
            throttle.check("k", 3).await.ok(),
            Some(ThrottleDecision::Allowed)
        );
    }
}
