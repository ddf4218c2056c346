//! QR-code types.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::user::{Realname, UserId, Username};
use crate::validation::FieldError;

/// A code's public id: a random UUID (it is in the QR image and the phone's URL).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QrCodeId(String);

impl QrCodeId {
    /// Accepts a UUID in its usual hyphenated form.
    ///
    /// # Errors
    /// A [`FieldError`] for `qrcode_id` (or `id`, as named by `field`) otherwise.
    pub fn parse(field: &'static str, value: &str) -> Result<Self, FieldError> {
        let ok = value.len() == 36
            && value.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            });
        if ok {
            Ok(Self(value.to_ascii_lowercase()))
        } else {
            Err(FieldError::new(field, "must be a QR-code id (a UUID)"))
        }
    }

    /// A new random id (UUID v4).
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QrCodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret only the generating browser holds; it lets `check` read the code.
/// Never stored (only its hash is), never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PollToken(String);

impl PollToken {
    /// 244 random bits (two UUID v4s) as 64 hex digits.
    pub fn generate() -> Self {
        let a = uuid::Uuid::new_v4().simple().to_string();
        let b = uuid::Uuid::new_v4().simple().to_string();
        Self(format!("{a}{b}"))
    }

    /// Wraps a token a client presented.
    pub fn from_client(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// The token, for the generating client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its hash, which is what gets stored.
    pub fn hash(&self) -> PollTokenHash {
        PollTokenHash(hex(&Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for PollToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PollToken([REDACTED])")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a poll token, hex. The token has enough entropy that a fast hash is
/// enough: the hash only has to keep a store dump from revealing tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollTokenHash(String);

impl PollTokenHash {
    /// Rebuilds a stored hash.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The hex digest.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `token` hashes to this, compared in constant time.
    pub fn matches(&self, token: &PollToken) -> bool {
        self.0.as_bytes().ct_eq(token.hash().0.as_bytes()).into()
    }
}

/// The user who scanned a code, as the PC is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanner {
    /// Their id.
    pub user_id: UserId,
    /// Their username.
    pub username: Username,
    /// Their display name.
    pub realname: Realname,
}

/// Where a code lives in its life. Expiry is not stored: a code past its deadline is
/// gone from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrState {
    /// Shown on the PC, nobody has scanned it.
    Unscanned,
    /// Scanned by a logged-in phone, awaiting its confirm or cancel.
    Scanned(Scanner),
    /// Confirmed; the PC's next check logs it in.
    Confirmed(Scanner),
    /// Cancelled by the scanner.
    Cancelled(Scanner),
    /// Confirmed and the login handed to the PC: used up, reads as expired. The
    /// [`ClaimId`] names the check that claimed it.
    Claimed(Scanner, ClaimId),
}

/// The `status` clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrStatus {
    /// `unscanned`
    Unscanned,
    /// `scanned`
    Scanned,
    /// `confirmed`
    Confirmed,
    /// `cancelled`
    Cancelled,
    /// `expired`
    Expired,
}

impl QrStatus {
    /// The contract's string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unscanned => "unscanned",
            Self::Scanned => "scanned",
            Self::Confirmed => "confirmed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        }
    }

    /// Parses the contract's string.
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Unscanned,
            Self::Scanned,
            Self::Confirmed,
            Self::Cancelled,
            Self::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

impl QrState {
    /// What clients are told about this state.
    pub fn status(&self) -> QrStatus {
        match self {
            Self::Unscanned => QrStatus::Unscanned,
            Self::Scanned(_) => QrStatus::Scanned,
            Self::Confirmed(_) => QrStatus::Confirmed,
            Self::Cancelled(_) => QrStatus::Cancelled,
            Self::Claimed(..) => QrStatus::Expired,
        }
    }
}

/// The PC that asked for the code, shown to the phone (against QRLJacking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PcInfo {
    /// Its IP address as the server saw it.
    pub ip: String,
    /// Its browser's User-Agent.
    pub user_agent: String,
    /// When it asked.
    pub created_at: DateTime<Utc>,
}

/// One code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    /// Public id.
    pub id: QrCodeId,
    /// Where it is in its life.
    pub state: QrState,
    /// Who asked.
    pub pc: PcInfo,
    /// The deadline as the generating instance saw it, for information: expiry is
    /// decided by the store ([`LiveQrCode::remaining`]).
    pub expires_at: DateTime<Utc>,
    /// Hash of the generating browser's poll token.
    pub poll_token_hash: PollTokenHash,
}

/// A stored code and the time it has left, by the store's clock: the store drops the
/// record at its deadline, and every instance asks the store rather than its own
/// clock, so instances whose clocks disagree still agree on when a code expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveQrCode {
    /// The record.
    pub code: QrCode,
    /// Time until the store drops it.
    pub remaining: Duration,
}

impl LiveQrCode {
    /// Whole seconds left, as clients are told.
    pub fn expires_in(&self) -> u64 {
        self.remaining.as_secs()
    }
}

/// Which check claimed a code: made at random by the claiming check, so that a check
/// whose write went through but whose answer was lost can tell its own claim from
/// another check's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimId(String);

impl ClaimId {
    /// A new random id (UUID v4, 32 hex digits).
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// Rebuilds a stored id.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_code_ids_are_uuids() {
        let id = QrCodeId::generate();
        assert_eq!(QrCodeId::parse("id", id.as_str()).ok(), Some(id));
        for bad in [
            "",
            "123",
            "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
            "../../etc/passwd",
        ] {
            assert!(QrCodeId::parse("id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_poll_token_matches_only_its_own_hash_and_never_prints() {
        let token = PollToken::generate();
        let hash = token.hash();
        assert!(hash.matches(&token));
        assert!(!hash.matches(&PollToken::generate()));
        assert!(!hash.as_str().contains(token.expose()));
        assert!(!format!("{token:?}").contains(token.expose()));
        assert_eq!(token.expose().len(), 64);
    }

    #[test]
    fn statuses_round_trip_and_claimed_reads_expired() {
        for status in ["unscanned", "scanned", "confirmed", "cancelled", "expired"] {
            assert_eq!(QrStatus::parse(status).map(QrStatus::as_str), Some(status));
        }
        assert_eq!(QrStatus::parse("bogus"), None);
    }
}
