//! `StoreTokenRevocations`: revoked token ids on the key-value store, each kept until
//! the token would have expired anyway on any instance's clock.
//!
//! The entry's time to live is computed on the revoking instance's clock, while each
//! instance checks a token's expiry on its own: an instance whose clock runs behind
//! would see the token live after the entry vanished. Entries therefore outlive the
//! token by [`CLOCK_SKEW_ALLOWANCE`], the clock difference between instances this
//! tolerates (NTP keeps real fleets within milliseconds).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use qblog_domain::auth::{AuthError, TokenId, TokenRevocations};
use qblog_domain::clock::Clock;
use qblog_domain::store::KeyValueStore;
use shaku::Component;

/// How far instances' clocks may disagree without a revoked token coming back.
pub const CLOCK_SKEW_ALLOWANCE: std::time::Duration = std::time::Duration::from_secs(300);

fn key(id: &TokenId) -> String {
    format!("revoked-token:{}", id.0)
}

/// Revocations on the key-value store port.
#[derive(Component)]
#[shaku(interface = TokenRevocations)]
pub struct StoreTokenRevocations {
    #[shaku(inject)]
    store: Arc<dyn KeyValueStore>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl TokenRevocations for StoreTokenRevocations {
    async fn revoke(&self, token_id: &TokenId, until: DateTime<Utc>) -> Result<(), AuthError> {
        let allowance = chrono::Duration::from_std(CLOCK_SKEW_ALLOWANCE).unwrap_or_default();
        let Ok(left) = (until + allowance - self.clock.now()).to_std() else {
            return Ok(()); // expired on every clock within the allowance
        };
        if left.is_zero() {
            return Ok(());
        }
        self.store.set(&key(token_id), "1", left).await?;
        Ok(())
    }

    async fn is_revoked(&self, token_id: &TokenId) -> Result<bool, AuthError> {
        Ok(self.store.get(&key(token_id)).await?.is_some())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;
    use qblog_domain::clock::MockClock;
    use qblog_domain::store::MockKeyValueStore;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
    }

    fn revocations(store: MockKeyValueStore) -> StoreTokenRevocations {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        StoreTokenRevocations {
            store: Arc::new(store),
            clock: Arc::new(clock),
        }
    }

    #[tokio::test]
    async fn a_revocation_outlives_the_token_by_the_clock_skew_allowance() {
        let mut store = MockKeyValueStore::new();
        store
            .expect_set()
            .withf(|_, _, ttl| *ttl == Duration::from_secs(60) + CLOCK_SKEW_ALLOWANCE)
            .times(1)
            .returning(|_, _, _| Ok(()));
        revocations(store)
            .revoke(&TokenId("t".into()), now() + chrono::Duration::seconds(60))
            .await
            .expect("revoked");
    }

    #[tokio::test]
    async fn a_token_expired_by_this_clock_is_still_revoked_for_slower_ones() {
        let mut store = MockKeyValueStore::new();
        store
            .expect_set()
            .withf(|_, _, ttl| *ttl == CLOCK_SKEW_ALLOWANCE - Duration::from_secs(10))
            .times(1)
            .returning(|_, _, _| Ok(()));
        revocations(store)
            .revoke(&TokenId("t".into()), now() - chrono::Duration::seconds(10))
            .await
            .expect("revoked");
        let mut untouched = MockKeyValueStore::new();
        untouched.expect_set().never();
        revocations(untouched)
            .revoke(&TokenId("t".into()), now() - chrono::Duration::hours(1))
            .await
            .expect("nothing to do");
    }
}
