//! User types. Each newtype can only hold a valid value: build it with `parse`.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::validation::{FieldError, char_count_between, no_invisible_controls};

/// A user's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// 3 to 32 of `A-Z a-z 0-9 _`. Unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// The fewest characters a username has.
    pub const MIN_CHARS: usize = 3;
    /// The most characters a username has.
    pub const MAX_CHARS: usize = 32;

    /// Checks and wraps a username.
    ///
    /// # Errors
    /// A [`FieldError`] for `username` when the length or a character is wrong.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&value.len()) {
            return Err(FieldError::new(
                "username",
                "must be 3 to 32 characters long",
            ));
        }
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(FieldError::new(
                "username",
                "may only contain letters A-Z, digits and underscores",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The username as given at registration.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The username as given at registration, without a copy.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The form uniqueness and look-ups use: lower case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name shown to people: 1 to 64 characters, trimmed, without control or
/// direction-changing characters (the phone shows it to say who is asking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realname(String);

impl Realname {
    /// The most characters a real name has (after trimming).
    pub const MAX_CHARS: usize = 64;

    /// Checks, trims and wraps a real name.
    ///
    /// # Errors
    /// A [`FieldError`] for `realname` when empty, too long or holding invisible control characters.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        char_count_between("realname", trimmed, 1, Self::MAX_CHARS)?;
        no_invisible_controls("realname", trimmed)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password in clear, 8 to 128 characters. Never printed, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The fewest characters a password has.
    pub const MIN_CHARS: usize = 8;
    /// The most characters a password has.
    pub const MAX_CHARS: usize = 128;

    /// Checks and wraps a password.
    ///
    /// # Errors
    /// A [`FieldError`] for `password` when its length is out of bounds.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        char_count_between("password", value, Self::MIN_CHARS, Self::MAX_CHARS)?;
        Ok(Self(value.to_owned()))
    }

    /// The password itself, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// A password hash as a PHC string (`$argon2id$…`). Never printed, never returned.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read from storage or made by a hasher.
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storage and verification.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash([REDACTED])")
    }
}

/// A registered user, without anything derived from the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Database id.
    pub id: UserId,
    /// Login name.
    pub username: Username,
    /// Display name.
    pub realname: Realname,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

/// What registering stores.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: Username,
    /// Display name.
    pub realname: Realname,
    /// The Argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// The creation time.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_take_letters_digits_and_underscores_within_3_to_32() {
        assert!(Username::parse("al_1").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        for bad in ["al ice", "al-ice", "alïce", "a'; --", "<b>x</b>"] {
            let err = Username::parse(bad).expect_err(bad);
            assert_eq!(err.field, "username");
        }
    }

    #[test]
    fn the_username_key_ignores_case() {
        let a = Username::parse("Alice").expect("valid");
        let b = Username::parse("alice").expect("valid");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Alice");
    }

    #[test]
    fn realnames_are_trimmed_and_bounded_in_characters() {
        assert_eq!(Realname::parse("  Ann  ").expect("valid").as_str(), "Ann");
        assert!(Realname::parse("   ").is_err());
        assert!(Realname::parse(&"é".repeat(64)).is_ok());
        assert!(Realname::parse(&"é".repeat(65)).is_err());
        assert!(Realname::parse("a\u{0}b").is_err());
        assert!(Realname::parse("Bob \u{202e}nimdA").is_err());
    }

    #[test]
    fn passwords_are_8_to_128_characters_and_never_printed() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        let password = Password::parse("correct horse").expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
        let hash = PasswordHash::new("$argon2id$secret".into());
        assert!(!format!("{hash:?}").contains("secret"));
    }
}
