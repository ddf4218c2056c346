//! Authentication types.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::user::{Realname, User, UserId, Username};

/// The opaque id of a server-side session: 256 random bits as 64 hex digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// Accepts only the shape the store hands out, so a cookie cannot smuggle
    /// anything else into a store key.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(value.to_ascii_lowercase()))
    }

    /// Makes an id from 32 random bytes.
    pub fn from_random_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The id, for the cookie and the store key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Holding the id is holding the session: show only a prefix.
        write!(f, "SessionId({}…)", &self.0[..8.min(self.0.len())])
    }
}

/// What a session remembers about its user.
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
}

impl SessionData {
    /// A session for `user` starting at `now`.
    pub fn for_user(user: &User, now: DateTime<Utc>) -> Self {
        Self {
            user_id: user.id,
            username: user.username.clone(),
            realname: user.realname.clone(),
            created_at: now,
        }
    }
}

/// The unique id (`jti`) of one issued access token, used to revoke it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenId(pub String);

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
    /// Its id, for revocation.
    pub token_id: TokenId,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// The user it was issued to.
    pub user_id: UserId,
    /// Their username.
    pub username: Username,
    /// Their display name.
    pub realname: Realname,
    /// The token's own id.
    pub token_id: TokenId,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The `sid` cookie naming a live session.
    Session(SessionId),
    /// A bearer token.
    Bearer {
        /// Its id, for revocation at logout.
        token_id: TokenId,
        /// When it expires on its own.
        expires_at: DateTime<Utc>,
    },
}

/// The user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Their id.
    pub user_id: UserId,
    /// Their username.
    pub username: Username,
    /// Their display name.
    pub realname: Realname,
    /// How they proved it.
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
}
