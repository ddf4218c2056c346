//! `StoreSessionStore`: device sessions as JSON values on the key-value store.
//!
//! A session lives under `session:<handle>` and expires with the session; the cookie
//! holds the secret id whose hash is the handle, and the session's bearer token names
//! the handle, so either credential finds the session in one read, and deleting the
//! key ends both on every instance at once. `user-sessions:<user id>` indexes a user's
//! handles for the device list; the session keys are the truth and the index may hold
//! handles of sessions that ended, which listing drops.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use qblog_domain::auth::{
    AuthError, LoginMethod, LoginOrigin, SessionData, SessionHandle, SessionId, SessionStore,
};
use qblog_domain::store::KeyValueStore;
use qblog_domain::user::{Realname, UserId, Username};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use shaku::Component;

/// Index entries beyond which adding a session first drops those of ended sessions.
const PRUNE_ABOVE: u64 = 32;

/// The stored form of [`SessionData`]. Canonical (fixed field order, integer
/// milliseconds), so the record read back encodes to the stored text exactly, which
/// is what [`SessionStore::touch`]'s compare-and-set compares.
#[derive(Serialize, Deserialize)]
struct StoredSession {
    uid: i64,
    un: String,
    rn: String,
    ct: i64,
    ls: i64,
    ip: String,
    ua: String,
    m: String,
}

fn key(handle: &SessionHandle) -> String {
    format!("session:{handle}")
}

fn index_key(user: UserId) -> String {
    format!("user-sessions:{}", user.0)
}

fn encode(data: &SessionData) -> Result<String, AuthError> {
    Ok(serde_json::to_string(&StoredSession {
        uid: data.user_id.0,
        un: data.username.as_str().to_owned(),
        rn: data.realname.as_str().to_owned(),
        ct: data.created_at.timestamp_millis(),
        ls: data.last_seen_at.timestamp_millis(),
        ip: data.origin.ip.clone(),
        ua: data.origin.user_agent.clone(),
        m: data.origin.method.as_str().to_owned(),
    })
    .context("encoding a session")?)
}

fn decode(text: &str) -> Result<SessionData, AuthError> {
    let corrupt = || anyhow!("a corrupt session");
    let stored: StoredSession = serde_json::from_str(text).context("a corrupt session")?;
    let time = |millis| DateTime::<Utc>::from_timestamp_millis(millis).ok_or_else(corrupt);
    Ok(SessionData {
        user_id: UserId(stored.uid),
        username: Username::parse(&stored.un).context("a corrupt session")?,
        realname: Realname::parse(&stored.rn).context("a corrupt session")?,
        created_at: time(stored.ct)?,
        last_seen_at: time(stored.ls)?,
        origin: LoginOrigin {
            ip: stored.ip,
            user_agent: stored.ua,
            method: LoginMethod::parse(&stored.m).ok_or_else(corrupt)?,
        },
    })
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

    /// The live sessions among `handles`, and the handles whose session ended.
    async fn load(
        &self,
        handles: Vec<SessionHandle>,
    ) -> Result<(Vec<(SessionHandle, SessionData)>, Vec<String>), AuthError> {
        let reads = handles.iter().map(|handle| self.find(handle));
        let found = futures_util::future::try_join_all(reads).await?;
        let mut live = Vec::new();
        let mut ended = Vec::new();
        for (handle, data) in handles.into_iter().zip(found) {
            match data {
                Some(data) => live.push((handle, data)),
                None => ended.push(handle.as_str().to_owned()),
            }
        }
        Ok((live, ended))
    }

    /// Drops the index entries of `user`'s ended sessions; returns the live ones.
    async fn prune(&self, user: UserId) -> Result<Vec<(SessionHandle, SessionData)>, AuthError> {
        let index = index_key(user);
        let members = self.store.set_members(&index).await?;
        // An entry that is not a handle cannot name a session: drop it too.
        let (handles, malformed): (Vec<_>, Vec<_>) = members
            .into_iter()
            .partition(|member| SessionHandle::parse(member).is_some());
        let handles = handles
            .iter()
            .filter_map(|member| SessionHandle::parse(member))
            .collect();
        let (live, mut ended) = self.load(handles).await?;
        ended.extend(malformed);
        self.store.remove_from_set(&index, &ended).await?;
        // Another user's session under this user's index would be a bug elsewhere;
        // never show it.
        Ok(live
            .into_iter()
            .filter(|(_, data)| data.user_id == user)
            .collect())
    }
}

#[async_trait]
impl SessionStore for StoreSessionStore {
    async fn create(&self, data: &SessionData, ttl: Duration) -> Result<SessionId, AuthError> {
        let value = encode(data)?;
        // 256 random bits collide practically never; still, never overwrite a session.
        for _ in 0..3 {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            let id = SessionId::from_random_bytes(bytes);
            let handle = id.handle();
            if self.store.set_if_absent(&key(&handle), &value, ttl).await? {
                // Indexed after it exists: a failure here leaves a working session
                // missing from the device list until it expires, never an entry
                // without a session.
                let size = self
                    .store
                    .add_to_set(&index_key(data.user_id), handle.as_str(), ttl)
                    .await?;
                if size > PRUNE_ABOVE {
                    self.prune(data.user_id).await?;
                }
                return Ok(id);
            }
        }
        Err(AuthError::Unexpected(anyhow!(
            "could not find a free session id"
        )))
    }

    async fn find(&self, handle: &SessionHandle) -> Result<Option<SessionData>, AuthError> {
        self.store
            .get(&key(handle))
            .await?
            .map(|text| decode(&text))
            .transpose()
    }

    async fn touch(
        &self,
        handle: &SessionHandle,
        seen: &SessionData,
        now: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        let next = SessionData {
            last_seen_at: now,
            ..seen.clone()
        };
        // Mismatch: another use recorded itself first; Missing: the session ended.
        // Neither needs anything more.
        self.store
            .compare_and_set(&key(handle), &encode(seen)?, &encode(&next)?, None)
            .await?;
        Ok(())
    }

    async fn list(&self, user: UserId) -> Result<Vec<(SessionHandle, SessionData)>, AuthError> {
        self.prune(user).await
    }

    async fn delete(&self, handle: &SessionHandle, user: UserId) -> Result<bool, AuthError> {
        let removed = self.store.delete(&key(handle)).await?;
        self.store
            .remove_from_set(&index_key(user), &[handle.as_str().to_owned()])
            .await?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EmbeddedKeyValueStore;

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).expect("a time")
    }

    fn data(user: i64) -> SessionData {
        SessionData {
            user_id: UserId(user),
            username: Username::parse(&format!("user{user}")).expect("valid"),
            realname: Realname::parse("Bob \"B\" ü").expect("valid"),
            created_at: at(1_795_000_000_123),
            last_seen_at: at(1_795_000_000_123),
            origin: LoginOrigin {
                ip: "2001:db8::7".into(),
                user_agent: "Mozilla/5.0 (X11) \"quoted\"".into(),
                method: LoginMethod::QrCode,
            },
        }
    }

    fn sessions() -> StoreSessionStore {
        StoreSessionStore::new(Arc::new(EmbeddedKeyValueStore::default()))
    }

    #[test]
    fn a_record_decodes_to_itself_and_encodes_to_the_same_text() {
        let text = encode(&data(5)).expect("encoded");
        let back = decode(&text).expect("decoded");
        assert_eq!(back, data(5));
        assert_eq!(encode(&back).expect("encoded"), text);
    }

    #[tokio::test]
    async fn a_session_is_found_by_the_handle_of_its_id_until_deleted() {
        let sessions = sessions();
        let id = sessions
            .create(&data(5), Duration::from_secs(60))
            .await
            .expect("created");
        let handle = id.handle();
        assert_eq!(sessions.find(&handle).await.expect("found"), Some(data(5)));
        assert!(sessions.delete(&handle, UserId(5)).await.expect("deleted"));
        assert_eq!(sessions.find(&handle).await.expect("answered"), None);
        assert!(!sessions.delete(&handle, UserId(5)).await.expect("no-op"));
    }

    #[tokio::test]
    async fn every_session_gets_a_new_id() {
        let sessions = sessions();
        let ttl = Duration::from_secs(60);
        let first = sessions.create(&data(5), ttl).await.expect("created");
        let second = sessions.create(&data(5), ttl).await.expect("created");
        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_user_lists_their_own_live_sessions_only() {
        let sessions = sessions();
        let ttl = Duration::from_secs(60);
        let mine = sessions.create(&data(5), ttl).await.expect("created");
        let ended = sessions.create(&data(5), ttl).await.expect("created");
        let theirs = sessions.create(&data(6), ttl).await.expect("created");
        sessions
            .delete(&ended.handle(), UserId(5))
            .await
            .expect("deleted");
        let listed = sessions.list(UserId(5)).await.expect("listed");
        assert_eq!(listed, [(mine.handle(), data(5))]);
        let listed = sessions.list(UserId(6)).await.expect("listed");
        assert_eq!(listed, [(theirs.handle(), data(6))]);
    }

    #[tokio::test]
    async fn the_index_forgets_sessions_that_expired() {
        tokio::time::pause();
        let sessions = sessions();
        for _ in 0..=PRUNE_ABOVE {
            sessions
                .create(&data(5), Duration::from_secs(1))
                .await
                .expect("created");
        }
        tokio::time::advance(Duration::from_secs(2)).await;
        let kept = sessions
            .create(&data(5), Duration::from_secs(60))
            .await
            .expect("created");
        let members = sessions
            .store
            .set_members(&index_key(UserId(5)))
            .await
            .expect("read");
        assert_eq!(members.len(), 1, "{members:?}");
        assert_eq!(members[0], kept.handle().as_str());
    }

    #[tokio::test]
    async fn a_use_records_when_it_was_seen_and_keeps_the_expiry() {
        tokio::time::pause();
        let sessions = sessions();
        let id = sessions
            .create(&data(5), Duration::from_secs(60))
            .await
            .expect("created");
        let handle = id.handle();
        tokio::time::advance(Duration::from_secs(30)).await;
        let seen = sessions.find(&handle).await.expect("read").expect("live");
        sessions
            .touch(&handle, &seen, at(1_795_000_090_000))
            .await
            .expect("touched");
        let now = sessions.find(&handle).await.expect("read").expect("live");
        assert_eq!(now.last_seen_at, at(1_795_000_090_000));
        // A touch from a stale read changes nothing.
        sessions
            .touch(&handle, &seen, at(1_795_000_099_000))
            .await
            .expect("answered");
        let now = sessions.find(&handle).await.expect("read").expect("live");
        assert_eq!(now.last_seen_at, at(1_795_000_090_000));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(sessions.find(&handle).await.expect("read"), None);
    }
}
