//! What the comment routes answer for each comment error (the statuses behind the
//! codes are in `pipeline::filters::api_error`).

use qblog_domain::comment::CommentError;

use crate::pipeline::filters::{ApiError, ErrorCode};

impl From<CommentError> for ApiError {
    fn from(err: CommentError) -> Self {
        match err {
            CommentError::NotFound => Self::not_found("no such comment"),
            CommentError::NotOwner => Self::new(
                ErrorCode::Forbidden,
                "only the owner may change this comment",
            ),
            CommentError::NoBlog => Self::validation("blog_id", "no such blog"),
            CommentError::Unavailable(_) => Self::outage(err),
            CommentError::Unexpected(_) => Self::internal(err),
        }
    }
}
