//! What the QR-code routes answer for each QR-code error (the statuses behind the
//! codes are in `pipeline::filters::api_error`).

use qblog_domain::qrcode::QrError;

use crate::pipeline::filters::{ApiError, ErrorCode};

impl From<QrError> for ApiError {
    fn from(err: QrError) -> Self {
        match err {
            QrError::Conflict => Self::new(
                ErrorCode::Conflict,
                "the QR code is not in a state that allows this",
            )
            .with_specific_code("qrcode_state_conflict"),
            QrError::NotScanner => Self::new(
                ErrorCode::Forbidden,
                "only the user who scanned the code may do that",
            ),
            QrError::Expired => Self::new(ErrorCode::Gone, "the QR code has expired")
                .with_specific_code("qrcode_expired"),
            QrError::WrongToken => Self::new(ErrorCode::Forbidden, "forbidden"),
            QrError::SessionNotAllowed => Self::new(
                ErrorCode::Forbidden,
                "a session started by a QR code may not approve QR-code logins; sign in with a password",
            ),
            QrError::MatchCodeMismatch { tries_left } => Self::new(
                ErrorCode::ValidationFailed,
                match tries_left {
                    0 => "wrong match code; the login was cancelled".to_owned(),
                    1 => "enter the two digits the computer shows; 1 try left".to_owned(),
                    n => format!("enter the two digits the computer shows; {n} tries left"),
                },
            )
            .with_specific_code("match_code_mismatch"),
            QrError::Throttled { retry_after } => Self::new(
                ErrorCode::TooManyRequests,
                "too many requests, try again later",
            )
            .with_retry_after(retry_after.as_secs().max(1)),
            QrError::Unavailable(_) => Self::outage(err),
            QrError::Unexpected(_) => Self::internal(err),
        }
    }
}
