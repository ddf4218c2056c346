//! `StoreSessionStore`: sessions as JSON values on the key-value store.
//!
//! On Redis every instance sees every session; the key is `session:<id>` and expires
//! with the session.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use chrono::DateTime;
use qblog_domain::auth::{AuthError, SessionData, SessionId, SessionStore};
use qblog_domain::store::KeyValueStore;
use qblog_domain::user::{Realname, UserId, Username};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use shaku::Component;

/// The stored form of [`SessionData`].
#[derive(Serialize, Deserialize)]
struct StoredSession {
    uid: i64,
    un: String,
    rn: String,
    ct: i64,
}

fn key(id: &SessionId) -> String {
    format!("session:{}", id.as_str())
}

/// Sessions on the key-value store port.
#[derive(Component)]
#[shaku(interface = SessionStore)]
pub struct StoreSessionStore {
    #[shaku(inject)]
    store: Arc<dyn KeyValueStore>,
}

impl StoreSessionStore {
    /// Sessions kept in `store`.
    pub fn new(store: Arc<dyn KeyValueStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SessionStore for StoreSessionStore {
    async fn create(&self, data: &SessionData, ttl: Duration) -> Result<SessionId, AuthError> {
        let value = serde_json::to_string(&StoredSession {
            uid: data.user_id.0,
            un: data.username.as_str().to_owned(),
            rn: data.realname.as_str().to_owned(),
            ct: data.created_at.timestamp_millis(),
        })
        .context("encoding a session")?;
        // 256 random bits collide practically never; still, never overwrite a session.
        for _ in 0..3 {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            let id = SessionId::from_random_bytes(bytes);
            if self.store.set_if_absent(&key(&id), &value, ttl).await? {
                return Ok(id);
            }
        }
        Err(AuthError::Unexpected(anyhow!(
            "could not find a free session id"
        )))
    }

    async fn find(&self, id: &SessionId) -> Result<Option<SessionData>, AuthError> {
        let Some(value) = self.store.get(&key(id)).await? else {
            return Ok(None);
        };
        let stored: StoredSession = serde_json::from_str(&value).context("a corrupt session")?;
        Ok(Some(SessionData {
            user_id: UserId(stored.uid),
            username: Username::parse(&stored.un).context("a corrupt session")?,
            realname: Realname::parse(&stored.rn).context("a corrupt session")?,
            created_at: DateTime::from_timestamp_millis(stored.ct).unwrap_or_default(),
        }))
    }

    async fn delete(&self, id: &SessionId) -> Result<(), AuthError> {
        self.store.delete(&key(id)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EmbeddedKeyValueStore;

    fn data() -> SessionData {
        SessionData {
            user_id: UserId(5),
            username: Username::parse("bob").expect("valid"),
            realname: Realname::parse("Bob").expect("valid"),
            created_at: DateTime::from_timestamp_millis(1_795_000_000_123).expect("a time"),
        }
    }

    #[tokio::test]
    async fn a_session_is_found_by_its_id_until_deleted() {
        let sessions = StoreSessionStore::new(Arc::new(EmbeddedKeyValueStore::default()));
        let id = sessions
            .create(&data(), Duration::from_secs(60))
            .await
            .expect("created");
        assert_eq!(sessions.find(&id).await.expect("found"), Some(data()));
        sessions.delete(&id).await.expect("deleted");
        assert_eq!(sessions.find(&id).await.expect("answered"), None);
    }

    #[tokio::test]
    async fn every_session_gets_a_new_id() {
        let sessions = StoreSessionStore::new(Arc::new(EmbeddedKeyValueStore::default()));
        let first = sessions
            .create(&data(), Duration::from_secs(60))
            .await
            .expect("created");
        let second = sessions
            .create(&data(), Duration::from_secs(60))
            .await
            .expect("created");
        assert_ne!(first, second);
    }
}
