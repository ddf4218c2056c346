//! QR-code types.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
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
/// Never stored, never printed, never put in a URL by qblog's own pages.
///
/// It is a keyed MAC of the code's id ([`PollTokenKey::issue`]), so the server can
/// tell its own tokens from guesses without the record: a caller without the token
/// learns nothing about whether a code exists, and the holder of a real token whose
/// code is gone is told `expired`.
#[derive(Clone, PartialEq, Eq)]
pub struct PollToken(String);

impl PollToken {
    /// Wraps a token a client presented.
    pub fn from_client(value: &str) -> Self {
        Self(value.to_owned())
    }

    /// The token, for the generating client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its hash, which the record keeps for instances of the previous release (they
    /// check the token against it) during a rolling upgrade.
    pub fn hash(&self) -> PollTokenHash {
        PollTokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for PollToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PollToken([REDACTED])")
    }
}

/// The key poll tokens are made with: HMAC-SHA-256 over the code's id. Derived from a
/// deployment secret, so every instance issues and recognises the same tokens.
#[derive(Clone)]
pub struct PollTokenKey([u8; 32]);

impl PollTokenKey {
    /// A key derived from `secret` for this one purpose (the same secret used for
    /// anything else yields an unrelated key).
    pub fn derive(secret: &[u8]) -> Self {
        Self(mac(secret, b"qblog qrcode poll token key v1"))
    }

    /// The poll token of code `id`: 64 hex digits.
    pub fn issue(&self, id: &QrCodeId) -> PollToken {
        PollToken(hex::encode(mac(&self.0, id.as_str().as_bytes())))
    }

    /// Whether `token` is the one issued for `id`, compared in constant time.
    pub fn verify(&self, id: &QrCodeId, token: &PollToken) -> bool {
        // Upper-case digits are not the token issued: only lower case decodes here.
        let mut presented = [0u8; 32];
        if token.0.bytes().any(|b| b.is_ascii_uppercase())
            || hex::decode_to_slice(&token.0, &mut presented).is_err()
        {
            return false;
        }
        mac(&self.0, id.as_str().as_bytes())
            .ct_eq(&presented)
            .into()
    }
}

impl fmt::Debug for PollTokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PollTokenKey([REDACTED])")
    }
}

fn mac(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// SHA-256 of a poll token, hex: what the previous release checked tokens against.
/// The token has enough entropy that a fast hash keeps a store dump from revealing it.
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

/// A two-digit code (00–99) the PC shows once its code is scanned and the phone's
/// user types into the phone: it proves that person can see the PC's screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MatchCode(u8);

impl MatchCode {
    /// A random code.
    pub fn generate() -> Self {
        // The low bits of a v4 UUID are random; a bias of 56 in 256 towards lower
        // values cannot help someone who cannot see the PC.
        Self(uuid::Uuid::new_v4().as_bytes()[15] % 100)
    }

    /// Two digits (`"07"`).
    ///
    /// # Errors
    /// A [`FieldError`] for `match_code` otherwise.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match (value.len(), value.parse::<u8>()) {
            (2, Ok(code)) if code < 100 && value.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Self(code))
            }
            _ => Err(FieldError::new(
                "match_code",
                "must be the two digits the computer shows",
            )),
        }
    }

    /// Rebuilds a stored code (0–99).
    pub fn from_stored(value: u8) -> Option<Self> {
        (value < 100).then_some(Self(value))
    }

    /// The number, 0–99.
    pub fn value(self) -> u8 {
        self.0
    }
}

impl fmt::Display for MatchCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// What a scan with number matching asks the phone for: the code, and how many wrong
/// tries are left before the login is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchChallenge {
    /// The code the PC shows.
    pub code: MatchCode,
    /// Wrong tries left; the one that brings it to 0 cancels the code.
    pub tries_left: u8,
}

impl MatchChallenge {
    /// Wrong tries a phone gets: the third cancels the code.
    pub const TRIES: u8 = 3;

    /// A fresh challenge with a random code.
    pub fn generate() -> Self {
        Self {
            code: MatchCode::generate(),
            tries_left: Self::TRIES,
        }
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
    /// Scanned by a logged-in phone, awaiting its confirm or cancel — with the match
    /// code the phone must give back, when number matching applies.
    Scanned(Scanner, Option<MatchChallenge>),
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
            Self::Scanned(..) => QrStatus::Scanned,
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
    fn a_poll_token_is_recognised_for_its_own_code_only_and_never_prints() {
        let key = PollTokenKey::derive(b"a deployment secret of enough length");
        let (id, other) = (QrCodeId::generate(), QrCodeId::generate());
        let token = key.issue(&id);
        assert!(key.verify(&id, &token));
        assert!(!key.verify(&other, &token), "another code's token");
        let foreign = PollTokenKey::derive(b"another deployment's secret");
        assert!(!foreign.verify(&id, &token), "another key's token");
        assert!(!key.verify(&id, &PollToken::from_client("")));
        assert_eq!(token.expose().len(), 64);
        assert!(!format!("{token:?} {key:?}").contains(token.expose()));
        let hash = token.hash();
        assert!(hash.matches(&token));
        assert!(!hash.as_str().contains(token.expose()));
    }

    #[test]
    fn match_codes_are_two_digits() {
        assert_eq!(MatchCode::parse("07").map(MatchCode::value).ok(), Some(7));
        assert_eq!(
            MatchCode::parse("99").map(|code| code.to_string()).ok(),
            Some("99".into())
        );
        for bad in ["7", "007", "-1", "+7", "ab", "", "٠٧"] {
            assert!(MatchCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(MatchCode::from_stored(100), None);
        for _ in 0..200 {
            assert!(MatchCode::generate().value() < 100);
        }
    }

    #[test]
    fn statuses_round_trip_and_claimed_reads_expired() {
        for status in ["unscanned", "scanned", "confirmed", "cancelled", "expired"] {
            assert_eq!(QrStatus::parse(status).map(QrStatus::as_str), Some(status));
        }
        assert_eq!(QrStatus::parse("bogus"), None);
    }
}
