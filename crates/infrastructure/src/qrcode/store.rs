//! `StoreQrCodeStore`: one JSON record per code under `qrcode:<id>`, expiring at the
//! code's deadline; changes are compare-and-set on the whole record (a Lua script on
//! Redis, one critical section in the embedded store) and published on the channel
//! `qrcode:<id>` in the same atomic step.
//!
//! The record's JSON is canonical — fixed field order, times as integer milliseconds —
//! so encoding the record read back yields exactly the stored text, which is what the
//! compare-and-set compares.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use qblog_domain::qrcode::{
    ClaimId, LiveQrCode, MatchChallenge, MatchCode, PcInfo, PollTokenHash, QrCode, QrCodeId,
    QrCodeStore, QrError, QrState, QrUpdate, Scanner,
};
use qblog_domain::store::{CasOutcome, KeyValueStore, Subscription};
use qblog_domain::throttle::{RateLimit, ThrottleDecision};
use qblog_domain::user::{Realname, UserId, Username};
use serde::{Deserialize, Serialize};
use shaku::Component;

use crate::auth::counter_key;
use crate::database::stored_time;

fn key(id: &QrCodeId) -> String {
    format!("qrcode:{}", id.as_str())
}

fn channel(id: &QrCodeId) -> String {
    format!("qrcode:{}", id.as_str())
}

#[derive(Serialize, Deserialize)]
struct StoredScanner {
    id: i64,
    un: String,
    rn: String,
}

#[derive(Serialize, Deserialize)]
struct StoredCode {
    id: String,
    state: String,
    by: Option<StoredScanner>,
    /// The claim id, in the `claimed` state only (absent otherwise, so the other
    /// states' text is what it always was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cl: Option<String>,
    /// The match code and the wrong tries left, in the `scanned` state with number
    /// matching only (absent otherwise, likewise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mc: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mt: Option<u8>,
    ip: String,
    ua: String,
    ct: i64,
    exp: i64,
    th: String,
}

fn encode(code: &QrCode) -> Result<String, QrError> {
    let (state, by, claim, challenge) = match &code.state {
        QrState::Unscanned => ("unscanned", None, None, None),
        QrState::Scanned(s, challenge) => ("scanned", Some(s), None, *challenge),
        QrState::Confirmed(s) => ("confirmed", Some(s), None, None),
        QrState::Cancelled(s) => ("cancelled", Some(s), None, None),
        QrState::Claimed(s, claim) => ("claimed", Some(s), Some(claim), None),
    };
    let stored = StoredCode {
        id: code.id.as_str().to_owned(),
        state: state.to_owned(),
        by: by.map(|s| StoredScanner {
            id: s.user_id.0,
            un: s.username.as_str().to_owned(),
            rn: s.realname.as_str().to_owned(),
        }),
        cl: claim.map(|claim| claim.as_str().to_owned()),
        mc: challenge.map(|c| c.code.value()),
        mt: challenge.map(|c| c.tries_left),
        ip: code.pc.ip.clone(),
        ua: code.pc.user_agent.clone(),
        ct: code.pc.created_at.timestamp_millis(),
        exp: code.expires_at.timestamp_millis(),
        th: code.poll_token_hash.as_str().to_owned(),
    };
    Ok(serde_json::to_string(&stored).context("encoding a QR code")?)
}

fn decode(text: &str) -> Result<QrCode, QrError> {
    let stored: StoredCode = serde_json::from_str(text).context("a corrupt QR code")?;
    let scanner = stored
        .by
        .map(|s| -> Result<Scanner, QrError> {
            Ok(Scanner {
                user_id: UserId(s.id),
                username: Username::parse(&s.un).context("a corrupt QR code")?,
                realname: Realname::parse(&s.rn).context("a corrupt QR code")?,
            })
        })
        .transpose()?;
    let challenge = match (stored.mc, stored.mt) {
        (None, None) => None,
        (Some(code), Some(tries_left)) => Some(MatchChallenge {
            code: MatchCode::from_stored(code).context("a corrupt QR code")?,
            tries_left,
        }),
        _ => {
            return Err(QrError::Unexpected(anyhow::anyhow!(
                "a corrupt QR code: half a match challenge"
            )));
        }
    };
    let state = match (stored.state.as_str(), scanner, stored.cl) {
        ("unscanned", None, None) if challenge.is_none() => QrState::Unscanned,
        ("scanned", Some(s), None) => QrState::Scanned(s, challenge),
        ("confirmed", Some(s), None) if challenge.is_none() => QrState::Confirmed(s),
        ("cancelled", Some(s), None) if challenge.is_none() => QrState::Cancelled(s),
        ("claimed", Some(s), Some(claim)) if challenge.is_none() => {
            QrState::Claimed(s, ClaimId::from_stored(claim))
        }
        (other, _, _) => {
            return Err(QrError::Unexpected(anyhow::anyhow!(
                "a corrupt QR code in state {other}"
            )));
        }
    };
    Ok(QrCode {
        id: QrCodeId::parse("id", &stored.id).context("a corrupt QR code")?,
        state,
        pc: PcInfo {
            ip: stored.ip,
            user_agent: stored.ua,
            created_at: stored_time(stored.ct).context("a corrupt QR code: ct (created at)")?,
        },
        expires_at: stored_time(stored.exp).context("a corrupt QR code: exp (expires at)")?,
        poll_token_hash: PollTokenHash::from_stored(stored.th),
    })
}

/// QR codes on the key-value store port.
#[derive(Component)]
#[shaku(interface = QrCodeStore)]
pub struct StoreQrCodeStore {
    #[shaku(inject)]
    store: Arc<dyn KeyValueStore>,
}

impl StoreQrCodeStore {
    /// Codes kept in `store`.
    pub fn new(store: Arc<dyn KeyValueStore>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl QrCodeStore for StoreQrCodeStore {
    async fn create(&self, code: &QrCode, ttl: Duration) -> Result<(), QrError> {
        let record = encode(code)?;
        if self
            .store
            .set_if_absent(&key(&code.id), &record, ttl)
            .await?
        {
            return Ok(());
        }
        // Not written: either this very record is there (a store that lost the answer
        // to the first attempt ran it twice), or the random id was taken.
        match self.store.get(&key(&code.id)).await? {
            Some(stored) if stored == record => Ok(()),
            _ => Err(QrError::Unexpected(anyhow::anyhow!(
                "a QR code id was reused"
            ))),
        }
    }

    async fn get(&self, id: &QrCodeId) -> Result<Option<LiveQrCode>, QrError> {
        self.store
            .get_with_ttl(&key(id))
            .await?
            .map(|(text, remaining)| {
                Ok(LiveQrCode {
                    code: decode(&text)?,
                    remaining,
                })
            })
            .transpose()
    }

    async fn get_counted(
        &self,
        id: &QrCodeId,
        attempts: &RateLimit,
    ) -> Result<(ThrottleDecision, Option<LiveQrCode>), QrError> {
        let (counted, found) = self
            .store
            .count_and_get(&counter_key(&attempts.key), attempts.window, &key(id))
            .await?;
        let live = found
            .map(|(text, remaining)| {
                Ok::<_, QrError>(LiveQrCode {
                    code: decode(&text)?,
                    remaining,
                })
            })
            .transpose()?;
        Ok((attempts.decide(counted), live))
    }

    async fn replace(&self, current: &QrCode, next: &QrCode) -> Result<QrUpdate, QrError> {
        let outcome = self
            .store
            .compare_and_set(
                &key(&current.id),
                &encode(current)?,
                &encode(next)?,
                Some(&channel(&current.id)),
            )
            .await?;
        Ok(match outcome {
            CasOutcome::Swapped => QrUpdate::Applied,
            CasOutcome::Mismatch { .. } => QrUpdate::Changed,
            CasOutcome::Missing => QrUpdate::Gone,
        })
    }

    async fn watch(&self, id: &QrCodeId) -> Result<Box<dyn Subscription>, QrError> {
        Ok(self.store.subscribe(&channel(id)).await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use qblog_domain::qrcode::{PollToken, PollTokenKey};

    use super::*;

    fn sample(state: QrState) -> QrCode {
        QrCode {
            id: QrCodeId::generate(),
            state,
            pc: PcInfo {
                ip: "2001:db8::1".into(),
                user_agent: "Mozilla/5.0 \"quoted\" ü".into(),
                created_at: Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(),
            },
            expires_at: Utc.with_ymd_and_hms(2026, 11, 20, 12, 2, 0).unwrap(),
            poll_token_hash: PollToken::from_client("legacy").hash(),
        }
    }

    #[test]
    fn a_record_decodes_to_itself_and_encodes_to_the_same_text() {
        let scanner = Scanner {
            user_id: UserId(3),
            username: Username::parse("carol").expect("valid"),
            realname: Realname::parse("Carol C").expect("valid"),
        };
        for state in [
            QrState::Unscanned,
            QrState::Scanned(scanner.clone(), None),
            QrState::Scanned(
                scanner.clone(),
                Some(MatchChallenge {
                    code: MatchCode::from_stored(7).expect("two digits"),
                    tries_left: 2,
                }),
            ),
            QrState::Confirmed(scanner.clone()),
            QrState::Cancelled(scanner.clone()),
            QrState::Claimed(scanner, ClaimId::generate()),
        ] {
            let code = sample(state);
            let text = encode(&code).expect("encoded");
            let back = decode(&text).expect("decoded");
            assert_eq!(back, code);
            assert_eq!(encode(&back).expect("encoded"), text);
        }
    }

    #[test]
    fn a_record_whose_times_cannot_be_read_is_an_error_naming_them() {
        let text = encode(&sample(QrState::Unscanned)).expect("encoded");
        let mut record: serde_json::Value = serde_json::from_str(&text).expect("json");
        record["exp"] = serde_json::json!(i64::MAX);
        let err = decode(&record.to_string()).expect_err("refused");
        assert!(matches!(err, QrError::Unexpected(_)), "{err:?}");
        assert!(format!("{err:#}").contains("exp"), "{err:#}");
    }

    #[test]
    fn the_record_holds_the_token_hash_only() {
        let mut code = sample(QrState::Unscanned);
        let token = PollTokenKey::derive(b"secret").issue(&code.id);
        code.poll_token_hash = token.hash();
        assert!(!encode(&code).expect("encoded").contains(token.expose()));
    }
}
