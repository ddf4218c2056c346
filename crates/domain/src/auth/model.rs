//! Authentication types.

use std::fmt;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::user::{Realname, User, UserId, Username};

/// The secret a `sid` cookie holds: 256 random bits as 64 hex digits. Holding it is
/// holding the session; it is never stored (the store knows the session by its
/// [`SessionHandle`]) and never printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Accepts only the shape the service hands out, so a cookie cannot smuggle
    /// anything else into a store key.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(value.to_ascii_lowercase()))
    }

    /// Makes an id from 32 random bytes.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(hex::encode(bytes))
    }

    /// The id, for the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The session's public handle: the first 128 bits of the id's SHA-256. Anyone may
    /// see a handle (the user's device list, the `sid` claim of a token); nobody can
    /// turn one back into the id.
    pub fn handle(&self) -> SessionHandle {
        SessionHandle(hex::encode(&Sha256::digest(self.0.as_bytes())[..16]))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([REDACTED])")
    }
}

/// The public name of a session (32 hex digits): its key in the store, the `id` of
/// the device list, the `sid` claim of the session's bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle(String);

impl SessionHandle {
    /// Accepts only the shape handles have.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(value.to_ascii_lowercase()))
    }

    /// The handle.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a session was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMethod {
    /// Username and password.
    Password,
    /// A QR code confirmed on a phone.
    QrCode,
}

impl LoginMethod {
    /// The contract's string: `password` or `qrcode`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::QrCode => "qrcode",
        }
    }

    /// Parses the contract's string.
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Password, Self::QrCode]
            .into_iter()
            .find(|method| method.as_str() == value)
    }
}

/// Where a login came from, remembered by its session for the user's device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginOrigin {
    /// The client's address.
    pub ip: String,
    /// The client's User-Agent.
    pub user_agent: String,
    /// Password or QR code.
    pub method: LoginMethod,
}

/// One device session: who, since when, from where, last seen when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionData {
    /// Whose session it is.
    pub user_id: UserId,
    /// Their username.
    pub username: Username,
    /// Their display name.
    pub realname: Realname,
    /// When the session started.
    pub created_at: DateTime<Utc>,
    /// When it was last used (updated at most once per [`SessionData::SEEN_EVERY`]).
    pub last_seen_at: DateTime<Utc>,
    /// Where it started.
    pub origin: LoginOrigin,
}

impl SessionData {
    /// How stale `last_seen_at` may get before a use of the session updates it.
    pub const SEEN_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

    /// A session for `user` starting at `now`.
    pub fn for_user(user: &User, origin: LoginOrigin, now: DateTime<Utc>) -> Self {
        Self {
            user_id: user.id,
            username: user.username.clone(),
            realname: user.realname.clone(),
            created_at: now,
            last_seen_at: now,
            origin,
        }
    }

    /// Whether a use at `now` should update `last_seen_at`.
    pub fn seen_long_ago(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= Self::SEEN_EVERY
    }
}

/// A signed access token. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps an encoded token.
    pub fn new(encoded: String) -> Self {
        Self(encoded)
    }

    /// The encoded token, for the client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// A freshly issued token and when it expires.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token for the client.
    pub token: AccessToken,
    /// When it stops being accepted (at the latest: it also ends with its session).
    pub expires_at: DateTime<Utc>,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// The user it was issued to.
    pub user_id: UserId,
    /// The session it belongs to.
    pub session: SessionHandle,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Which credential a request came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The `sid` cookie.
    Cookie,
    /// A bearer token.
    Bearer,
}

/// The user a request acts for, and the session it acts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Their id.
    pub user_id: UserId,
    /// Their username.
    pub username: Username,
    /// Their display name.
    pub realname: Realname,
    /// The session the credential belongs to.
    pub session: SessionHandle,
    /// How that session was started.
    pub method: LoginMethod,
    /// Which credential proved it.
    pub credential: Credential,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_have_one_shape_only() {
        let id = SessionId::from_random_bytes([0xab; 32]);
        assert_eq!(id.as_str().len(), 64);
        assert_eq!(SessionId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(SessionId::parse("abc"), None);
        assert_eq!(SessionId::parse(&"g".repeat(64)), None);
        assert!(!format!("{id:?}").contains(id.as_str()));
    }

    #[test]
    fn a_handle_names_its_session_without_revealing_it() {
        let id = SessionId::from_random_bytes([0xab; 32]);
        let handle = id.handle();
        assert_eq!(handle.as_str().len(), 32);
        assert_eq!(SessionHandle::parse(handle.as_str()), Some(handle.clone()));
        assert!(!id.as_str().contains(handle.as_str()));
        assert_ne!(SessionId::from_random_bytes([0xac; 32]).handle(), handle);
        assert_eq!(
            SessionHandle::parse(id.as_str()),
            None,
            "an id is not a handle"
        );
    }
}
