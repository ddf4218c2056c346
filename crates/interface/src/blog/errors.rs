//! What the blog routes answer for each blog error (the statuses behind the codes are
//! in `pipeline::filters::api_error`).

use qblog_domain::blog::BlogError;

use crate::pipeline::filters::{ApiError, ErrorCode};

impl From<BlogError> for ApiError {
    fn from(err: BlogError) -> Self {
        match err {
            BlogError::NotFound => Self::not_found("no such blog"),
            BlogError::NotAuthor => {
                Self::new(ErrorCode::Forbidden, "only the author may change this blog")
            }
            BlogError::Unavailable(_) => Self::outage(err),
            BlogError::Unexpected(_) => Self::internal(err),
        }
    }
}
