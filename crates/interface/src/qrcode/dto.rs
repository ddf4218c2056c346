//! Bodies of the QR-code routes.

use poem_openapi::Object;
use qblog_application::qrcode::CheckResult;
use qblog_domain::qrcode::{MatchCode, PollToken, QrCodeId, QrError, QrStatus, Scanner};
use qblog_domain::validation::FieldError;
use serde::Serialize;

use super::controller::MAX_WAIT_SECS;
use crate::pipeline::filters::ApiError;
use crate::pipeline::pipes::Validate;

/// `check`'s query, parsed.
#[derive(Debug)]
pub struct CheckQuery {
    /// The code.
    pub id: QrCodeId,
    /// The poll token the client presented (header, or the deprecated query).
    pub token: PollToken,
    /// The status the browser already shows.
    pub since: Option<QrStatus>,
    /// Seconds to wait for a change.
    pub wait_secs: u32,
}

impl CheckQuery {
    /// The parameters as received; a missing token is the same 403 as a wrong one.
    ///
    /// # Errors
    /// 400 naming `id`, `since` or `wait`; 403 without a token.
    pub fn parse(
        id: &str,
        token: Option<String>,
        since: Option<&str>,
        wait: Option<u32>,
    ) -> Result<Self, ApiError> {
        let id = QrCodeId::parse("id", id)?;
        let Some(token) = token else {
            return Err(QrError::WrongToken.into());
        };
        let since = match since {
            None | Some("") => None,
            Some(text) => Some(QrStatus::parse(text).ok_or_else(|| {
                ApiError::validation(
                    "since",
                    "must be unscanned, scanned, confirmed, cancelled or expired",
                )
            })?),
        };
        let wait_secs = wait.unwrap_or(0);
        if wait_secs > MAX_WAIT_SECS {
            return Err(ApiError::validation("wait", "must be 0 to 30 seconds"));
        }
        Ok(Self {
            id,
            token: PollToken::from_client(&token),
            since,
            wait_secs,
        })
    }
}

/// What `generate` returns to the PC browser.
#[derive(Debug, Object, Serialize)]
pub struct GeneratedView {
    /// The code's public id.
    pub qrcode_id: String,
    /// The secret only this browser holds; `check` needs it.
    pub poll_token: String,
    /// The phone page the QR image encodes.
    pub confirm_url: String,
    /// The QR image of `confirm_url`.
    pub image_url: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
}

/// The user who scanned, as shown on the PC.
#[derive(Debug, Object, Serialize)]
pub struct ScannerView {
    /// Their username.
    pub username: String,
    /// Their display name.
    pub realname: String,
}

impl From<&Scanner> for ScannerView {
    fn from(scanner: &Scanner) -> Self {
        Self {
            username: scanner.username.as_str().to_owned(),
            realname: scanner.realname.as_str().to_owned(),
        }
    }
}

/// The login handed to the PC by the check that claims a confirmed code.
#[derive(Debug, Object, Serialize)]
pub struct QrLoginView {
    /// Bearer token.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
    /// Who is now logged in.
    pub username: String,
}

/// What `check` reports.
#[derive(Debug, Object, Serialize)]
pub struct CheckView {
    /// `unscanned`, `scanned`, `confirmed`, `cancelled` or `expired`.
    pub status: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Who scanned (while `scanned` or `confirmed`).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scanned_by: Option<ScannerView>,
    /// The two digits to display for the phone's user to type (while `scanned`, when
    /// the scan asked for number matching).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_code: Option<String>,
    /// The login (once, to the check that claims a confirmed code).
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<QrLoginView>,
}

impl From<&CheckResult> for CheckView {
    fn from(result: &CheckResult) -> Self {
        Self {
            status: result.status.as_str().to_owned(),
            expires_in: result.expires_in,
            scanned_by: result.scanned_by.as_ref().map(ScannerView::from),
            match_code: result.match_code.map(|code| code.to_string()),
            login: result.login.as_ref().map(|login| QrLoginView {
                token: login.token.token.expose().to_owned(),
                token_type: "Bearer".to_owned(),
                expires_in: login.token_ttl.as_secs(),
                username: login.user.username.as_str().to_owned(),
            }),
        }
    }
}

/// The body of `scan`, `confirm` and `cancel`.
#[derive(Debug, Object)]
pub struct QrTarget {
    /// The code's id, from the QR image.
    pub qrcode_id: String,
}

impl Validate for QrTarget {
    type Output = QrCodeId;

    fn validate(self) -> Result<QrCodeId, FieldError> {
        QrCodeId::parse("qrcode_id", &self.qrcode_id)
    }
}

/// The body of `confirm`.
#[derive(Debug, Object)]
pub struct ConfirmRequest {
    /// The code's id, from the QR image.
    pub qrcode_id: String,
    /// The two digits the computer shows, when `scan` answered `match_required`.
    pub match_code: Option<String>,
}

/// A confirm, parsed.
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// Which code.
    pub id: QrCodeId,
    /// The digits the user typed, if any.
    pub match_code: Option<MatchCode>,
}

impl Validate for ConfirmRequest {
    type Output = Confirmation;

    fn validate(self) -> Result<Confirmation, FieldError> {
        Ok(Confirmation {
            id: QrCodeId::parse("qrcode_id", &self.qrcode_id)?,
            match_code: self
                .match_code
                .as_deref()
                .map(MatchCode::parse)
                .transpose()?,
        })
    }
}

/// The computer asking to be logged in, shown on the phone.
#[derive(Debug, Object, Serialize)]
pub struct PcView {
    /// Its IP address.
    pub ip: String,
    /// Its browser's User-Agent.
    pub user_agent: String,
    /// When it asked, milliseconds since the epoch.
    pub created_at: i64,
    /// Whether it is on the phone's network (same IPv4 /24 or IPv6 /64 by default).
    /// `false` deserves a warning: someone far away may be trying to use this login.
    pub same_network: bool,
}

/// What `scan` returns.
#[derive(Debug, Object, Serialize)]
pub struct ScanView {
    /// Always `scanned`.
    pub status: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Whether `confirm` must carry the two digits the computer now shows.
    pub match_required: bool,
    /// The computer asking.
    pub pc: PcView,
}

/// What `confirm` and `cancel` return.
#[derive(Debug, Object, Serialize)]
pub struct StatusView {
    /// `confirmed` or `cancelled`.
    pub status: String,
}
