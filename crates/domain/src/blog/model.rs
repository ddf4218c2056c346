//! Blog types.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::ids::parse_id;
use crate::paging::{Page, Paged};
use crate::text;
use crate::user::{UserId, Username};
use crate::validation::{FieldError, char_count_between, no_nul};

/// A blog's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlogId(pub i64);

impl BlogId {
    /// Parses an id from a query string: a positive integer, named `field` in errors.
    ///
    /// # Errors
    /// A [`FieldError`] for `field` otherwise.
    pub fn parse(field: &'static str, value: &str) -> Result<Self, FieldError> {
        parse_id(field, value).map(Self)
    }
}

impl fmt::Display for BlogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A title: 1 to 200 characters of plain text, counted as the author typed them
/// (markup removed, entities read as the characters they stand for), without control
/// or direction-changing characters. Held HTML-escaped, as stored and served, so it is
/// safe to put into a page as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlogTitle(String);

impl BlogTitle {
    /// The most characters a title may have.
    pub const MAX_CHARS: usize = 200;

    /// Checks a title as the client sent it and cleans it with `to_plain_html`, the
    /// sanitiser that removes all markup and escapes the rest ([`text::plain_text`]).
    ///
    /// # Errors
    /// A [`FieldError`] for `title` when the input is oversized or nests too deep, or
    /// when its text is empty, longer than [`Self::MAX_CHARS`] or holds invisible
    /// control characters.
    pub fn parse(
        input: &str,
        to_plain_html: impl FnOnce(&str) -> String,
    ) -> Result<Self, FieldError> {
        text::plain_text("title", input, Self::MAX_CHARS, to_plain_html).map(Self)
    }

    /// Rebuilds a title read from storage (already checked when written).
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The title, HTML-escaped.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The title, HTML-escaped, without a copy.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// The body: sanitised HTML, from at most 100,000 characters of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlogContent(String);

impl BlogContent {
    /// The most characters of input a body may have.
    pub const MAX_CHARS: usize = 100_000;

    /// Checks a body as the client sent it and cleans it with `sanitise`
    /// ([`text::rich_text`]).
    ///
    /// # Errors
    /// A [`FieldError`] for `content` when the input is longer than
    /// [`Self::MAX_CHARS`], nests deeper than [`text::MAX_NESTING`] or holds NUL.
    pub fn parse(input: &str, sanitise: impl FnOnce(&str) -> String) -> Result<Self, FieldError> {
        text::rich_text("content", input, Self::MAX_CHARS, sanitise).map(Self)
    }

    /// Rebuilds a body read from storage.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The body.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The body, without a copy.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A live blog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blog {
    /// Assigned by the database; never reused.
    pub id: BlogId,
    /// Plain text, HTML-escaped.
    pub title: BlogTitle,
    /// Body.
    pub content: BlogContent,
    /// The author's id.
    pub author_id: UserId,
    /// The author's username.
    pub author: Username,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What creating a blog stores.
#[derive(Debug, Clone)]
pub struct NewBlog {
    /// Plain text, HTML-escaped.
    pub title: BlogTitle,
    /// Body.
    pub content: BlogContent,
    /// The author's id.
    pub author_id: UserId,
    /// The author's username.
    pub author: Username,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// What an edit changes.
#[derive(Debug, Clone)]
pub struct BlogChanges {
    /// New title.
    pub title: BlogTitle,
    /// New body.
    pub content: BlogContent,
    /// When the change happened.
    pub updated_at: DateTime<Utc>,
}

/// A search word: matched as a literal substring (no wildcards) of a blog's text as a
/// reader sees it, ignoring case the same way on every database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword(String);

impl Keyword {
    /// The most characters a keyword has.
    pub const MAX_CHARS: usize = 100;

    /// A keyword of 1 to 100 characters; blank means "no keyword" (`None`).
    ///
    /// # Errors
    /// A [`FieldError`] for `keyword` when longer than 100 characters.
    pub fn parse(value: &str) -> Result<Option<Self>, FieldError> {
        if value.is_empty() {
            return Ok(None);
        }
        char_count_between("keyword", value, 1, Self::MAX_CHARS)?;
        no_nul("keyword", value)?;
        Ok(Some(Self(value.to_owned())))
    }

    /// The word as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The word folded as the stored search text is ([`text::fold_for_search`]).
    pub fn folded(&self) -> String {
        text::fold_for_search(&self.0)
    }
}

/// Which live blogs to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlogQuery {
    /// Only this author's blogs.
    pub author_id: Option<UserId>,
    /// Only blogs whose title or content contains this.
    pub keyword: Option<Keyword>,
    /// Which page.
    pub page: Page,
}

/// A page of blogs and how many match in all.
pub type BlogPage = Paged<Blog>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(BlogId::parse("id", "42").ok(), Some(BlogId(42)));
        for bad in ["0", "-1", "abc", "1 OR 1=1", "", "99999999999999999999"] {
            assert_eq!(
                BlogId::parse("blog_id", bad).expect_err(bad).field,
                "blog_id"
            );
        }
    }

    /// Stands in for the sanitiser: markup-free input needs only escaping.
    fn escape(input: &str) -> String {
        text::escape_html(input)
    }

    #[test]
    fn titles_are_trimmed_and_hold_1_to_200_characters() {
        assert_eq!(
            BlogTitle::parse("  Hi  ", escape).expect("valid").as_str(),
            "Hi"
        );
        assert!(BlogTitle::parse("   ", escape).is_err());
        assert!(BlogTitle::parse(&"字".repeat(200), escape).is_ok());
        assert!(BlogTitle::parse(&"字".repeat(201), escape).is_err());
    }

    #[test]
    fn a_title_is_counted_as_typed_not_as_escaped() {
        let title = BlogTitle::parse(&"&".repeat(200), escape).expect("200 characters");
        assert_eq!(title.as_str(), "&amp;".repeat(200));
        let err = BlogTitle::parse(&"&".repeat(201), escape).expect_err("201");
        assert!(err.problem.contains("got 201"), "{}", err.problem);
    }

    #[test]
    fn a_title_of_markup_only_or_with_a_direction_override_is_refused() {
        let strip_tags = |_: &str| String::new();
        assert_eq!(
            BlogTitle::parse("<b></b>", strip_tags)
                .expect_err("empty")
                .field,
            "title"
        );
        assert!(BlogTitle::parse("invoice\u{202e}txt.exe", escape).is_err());
    }

    #[test]
    fn oversized_or_deeply_nested_input_is_refused_before_sanitising() {
        let never = |_: &str| -> String { panic!("the sanitiser must not run") };
        let err = BlogContent::parse(&"<div>".repeat(20_000), never).expect_err("deep");
        assert_eq!(err.field, "content");
        assert!(err.problem.contains("nest"), "{}", err.problem);
        assert!(BlogContent::parse(&"a".repeat(100_001), never).is_err());
        assert!(BlogTitle::parse(&"<i>".repeat(150), never).is_err());
        assert!(BlogContent::parse("a\0b", never).is_err());
    }

    #[test]
    fn content_may_be_empty_but_not_over_100000_characters() {
        assert!(BlogContent::parse("", escape).is_ok());
        assert!(BlogContent::parse(&"a".repeat(100_000), escape).is_ok());
        assert_eq!(
            BlogContent::parse(&"a".repeat(100_001), escape)
                .expect_err("too long")
                .field,
            "content"
        );
        let cleaned = BlogContent::parse("<p>x</p>", |_| "cleaned".to_owned()).expect("valid");
        assert_eq!(cleaned.as_str(), "cleaned");
    }

    #[test]
    fn a_blank_keyword_means_none() {
        assert_eq!(Keyword::parse("").ok(), Some(None));
        assert!(Keyword::parse(&"k".repeat(101)).is_err());
        assert!(Keyword::parse("a\0b").is_err());
        let keyword = Keyword::parse("ÉCLAIR").expect("valid").expect("some");
        assert_eq!(keyword.folded(), "éclair");
    }
}
