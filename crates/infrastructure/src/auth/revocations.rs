//! `StoreTokenRevocations`: revoked token ids on the key-value store, each kept only
//! until the token would have expired anyway.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use qblog_domain::auth::{AuthError, TokenId, TokenRevocations};
use qblog_domain::clock::Clock;
use qblog_domain::store::KeyValueStore;
use shaku::Component;

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
        let Ok(left) = (until - self.clock.now()).to_std() else {
            return Ok(()); // already expired: refused without an entry
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
