//! Bodies of the comment routes and their pipes.

use poem_openapi::Object;
use qblog_application::comment::CommentDraft;
use qblog_domain::blog::BlogId;
use qblog_domain::comment::{Comment, CommentBody};
use qblog_domain::ids::check_id;
use qblog_domain::validation::FieldError;
use serde::Serialize;

use crate::pipeline::pipes::{PlainText, Validate};

/// The body of `update`: every field of a comment.
#[derive(Debug, Object)]
pub struct CommentRequest {
    /// The body: 1 to 1,000 characters of text as typed; any HTML is removed, the rest escaped.
    pub body: PlainText,
}

impl Validate for CommentRequest {
    type Output = CommentDraft;

    const SANITISES: bool = true;

    fn validate(self) -> Result<CommentDraft, FieldError> {
        Ok(CommentDraft {
            body: self
                .body
                .parse(|input, clean| CommentBody::parse(input, clean))?,
        })
    }
}

/// The body of `new`: the blog it belongs to, and every field.
#[derive(Debug, Object)]
pub struct NewCommentRequest {
    /// The id of the blog it belongs to.
    pub blog_id: i64,
    /// The body: 1 to 1,000 characters of text as typed; any HTML is removed, the rest escaped.
    pub body: PlainText,
}

impl Validate for NewCommentRequest {
    type Output = (BlogId, CommentDraft);

    const SANITISES: bool = true;

    fn validate(self) -> Result<(BlogId, CommentDraft), FieldError> {
        let blog_id = BlogId(check_id("blog_id", self.blog_id)?);
        Ok((
            blog_id,
            CommentDraft {
                body: self
                    .body
                    .parse(|input, clean| CommentBody::parse(input, clean))?,
            },
        ))
    }
}

/// A comment as clients see it.
#[derive(Debug, Object, Serialize)]
pub struct CommentView {
    /// The id `detail`, `update` and `del` take.
    pub id: i64,
    /// The id of the blog it belongs to.
    pub blog_id: i64,
    /// The body (plain text, HTML-escaped).
    pub body: String,
    /// The owner's username.
    pub owner: String,
    /// Creation time, milliseconds since the epoch.
    pub created_at: i64,
    /// Last edit, milliseconds since the epoch.
    pub updated_at: i64,
}

impl From<&Comment> for CommentView {
    fn from(comment: &Comment) -> Self {
        Self {
            id: comment.id.0,
            blog_id: comment.blog_id.0,
            body: comment.body.as_str().to_owned(),
            owner: comment.owner.as_str().to_owned(),
            created_at: comment.created_at.timestamp_millis(),
            updated_at: comment.updated_at.timestamp_millis(),
        }
    }
}

/// What `new` returns.
#[derive(Debug, Object, Serialize)]
pub struct CreatedComment {
    /// The new comment's id.
    pub id: i64,
}
