//! Comment types.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::blog::BlogId;
use crate::ids::parse_id;
use crate::paging::{Page, Paged};
use crate::text;
use crate::user::{UserId, Username};
use crate::validation::FieldError;

/// A comment's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommentId(pub i64);

impl CommentId {
    /// Parses an id from a query string: a positive integer, named `field` in errors.
    ///
    /// # Errors
    /// A [`FieldError`] for `field` otherwise.
    pub fn parse(field: &'static str, value: &str) -> Result<Self, FieldError> {
        parse_id(field, value).map(Self)
    }
}

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The body: 1 to 1,000 characters of plain text, counted as typed (markup removed),
/// without control or direction-changing characters; held HTML-escaped, so it
/// is safe to put into a page as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    /// The most characters it may have.
    pub const MAX_CHARS: usize = 1_000;

    /// Checks the field as the client sent it and cleans it with `clean`, the
    /// interface's sanitiser ([`text::plain_text`]).
    ///
    /// # Errors
    /// A [`FieldError`] for `body` when it is empty, too long, nests markup too deep or holds invisible
    /// control characters.
    pub fn parse(input: &str, clean: impl FnOnce(&str) -> String) -> Result<Self, FieldError> {
        text::plain_text("body", input, Self::MAX_CHARS, clean).map(Self)
    }

    /// Rebuilds a value read from storage (checked when written).
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The value, as stored and served.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Assigned by the database; never reused.
    pub id: CommentId,
    /// The blog it belongs to.
    pub blog_id: BlogId,
    /// Plain text, HTML-escaped.
    pub body: CommentBody,
    /// Who wrote it.
    pub owner_id: UserId,
    /// Their username.
    pub owner: Username,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What creating a comment stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    /// The blog it belongs to.
    pub blog_id: BlogId,
    /// Plain text, HTML-escaped.
    pub body: CommentBody,
    /// Who writes it.
    pub owner_id: UserId,
    /// Their username.
    pub owner: Username,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// What an edit changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentChanges {
    /// The new text: plain, HTML-escaped.
    pub body: CommentBody,
    /// When the change happened.
    pub updated_at: DateTime<Utc>,
}

/// Which comments to list, newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommentQuery {
    /// Only those of this blog.
    pub blog_id: Option<BlogId>,
    /// Which page.
    pub page: Page,
}

/// A page of comments and how many match in all.
pub type CommentPage = Paged<Comment>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers_named_by_their_field() {
        assert_eq!(CommentId::parse("id", "7").ok(), Some(CommentId(7)));
        assert_eq!(CommentId::parse("id", "-7").map_err(|e| e.field), Err("id"));
    }

    #[test]
    fn the_body_is_checked_and_named_in_errors() {
        let keep = |input: &str| input.to_owned();
        assert_eq!(
            CommentBody::parse("fine", keep).map(|value| value.as_str().to_owned()),
            Ok("fine".to_owned())
        );
        assert_eq!(
            CommentBody::parse("", keep).map_err(|e| e.field),
            Err("body")
        );
        let too_long = "x".repeat(CommentBody::MAX_CHARS + 1);
        assert_eq!(
            CommentBody::parse(&too_long, keep).map_err(|e| e.field),
            Err("body")
        );
    }
}
