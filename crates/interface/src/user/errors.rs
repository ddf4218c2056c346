//! What the user routes answer for each account error (the statuses behind the codes
//! are in `pipeline::filters::api_error`).

use qblog_domain::user::UserError;

use crate::pipeline::filters::{ApiError, ErrorCode};

impl From<UserError> for ApiError {
    fn from(err: UserError) -> Self {
        match err {
            UserError::UsernameTaken => Self::new(ErrorCode::Conflict, "the username is taken")
                .with_specific_code("username_taken"),
            UserError::Unavailable(_) => Self::outage(err),
            UserError::Unexpected(_) => Self::internal(err),
        }
    }
}
