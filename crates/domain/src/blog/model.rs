//! Blog types.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::user::{UserId, Username};
use crate::validation::{FieldError, char_count_between};

/// A blog's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlogId(pub i64);

impl BlogId {
    /// Parses an id from a query string: a positive integer.
    ///
    /// # Errors
    /// A [`FieldError`] for `id` otherwise.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match value.trim().parse::<i64>() {
            Ok(id) if id > 0 => Ok(Self(id)),
            _ => Err(FieldError::new("id", "must be a positive integer")),
        }
    }
}

impl fmt::Display for BlogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A title: 1 to 200 characters after trimming, no markup (the interface's sanitising
/// pipe has already turned any HTML into plain, escaped text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlogTitle(String);

impl BlogTitle {
    /// Checks and wraps a (sanitised) title.
    ///
    /// # Errors
    /// A [`FieldError`] for `title` when empty or longer than 200 characters.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let trimmed = value.trim();
        char_count_between("title", trimmed, 1, 200)?;
        Ok(Self(trimmed.to_owned()))
    }

    /// Rebuilds a title read from storage (already checked when written).
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The title.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The body: HTML of at most 100,000 characters, sanitised before it gets here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlogContent(String);

impl BlogContent {
    /// The most characters a body may have.
    pub const MAX_CHARS: usize = 100_000;

    /// Checks and wraps a (sanitised) body; empty is allowed.
    ///
    /// # Errors
    /// A [`FieldError`] for `content` when longer than [`Self::MAX_CHARS`].
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        char_count_between("content", value, 0, Self::MAX_CHARS)?;
        Ok(Self(value.to_owned()))
    }

    /// Rebuilds a body read from storage.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// The body.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A live blog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blog {
    /// Id.
    pub id: BlogId,
    /// Title.
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
    /// Title.
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

/// A search word: matched as a literal substring (no wildcards), ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword(String);

impl Keyword {
    /// A keyword of 1 to 100 characters; blank means "no keyword" (`None`).
    ///
    /// # Errors
    /// A [`FieldError`] for `keyword` when longer than 100 characters.
    pub fn parse(value: &str) -> Result<Option<Self>, FieldError> {
        if value.is_empty() {
            return Ok(None);
        }
        char_count_between("keyword", value, 1, 100)?;
        Ok(Some(Self(value.to_owned())))
    }

    /// The word as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One page of a listing: 1-based number and size (1 to 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    number: u32,
    size: u32,
}

impl Page {
    /// The size used when none is asked for.
    pub const DEFAULT_SIZE: u32 = 20;
    /// The largest size.
    pub const MAX_SIZE: u32 = 100;

    /// Checks a page request.
    ///
    /// # Errors
    /// A [`FieldError`] for `page` (below 1) or `page_size` (outside 1 to 100).
    pub fn new(number: u32, size: u32) -> Result<Self, FieldError> {
        if number == 0 {
            return Err(FieldError::new("page", "must be at least 1"));
        }
        if size == 0 || size > Self::MAX_SIZE {
            return Err(FieldError::new("page_size", "must be between 1 and 100"));
        }
        Ok(Self { number, size })
    }

    /// The page number, from 1.
    pub fn number(self) -> u32 {
        self.number
    }

    /// Items per page.
    pub fn size(self) -> u32 {
        self.size
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        u64::from(self.number - 1) * u64::from(self.size)
    }
}

impl Default for Page {
    fn default() -> Self {
        Self {
            number: 1,
            size: Self::DEFAULT_SIZE,
        }
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlogPage {
    /// The blogs on this page, newest first.
    pub items: Vec<Blog>,
    /// All matches across pages.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_integers() {
        assert_eq!(BlogId::parse("42").ok(), Some(BlogId(42)));
        for bad in ["0", "-1", "abc", "1 OR 1=1", "", "99999999999999999999"] {
            assert_eq!(BlogId::parse(bad).expect_err(bad).field, "id");
        }
    }

    #[test]
    fn titles_are_trimmed_and_hold_1_to_200_characters() {
        assert_eq!(BlogTitle::parse("  Hi  ").expect("valid").as_str(), "Hi");
        assert!(BlogTitle::parse("   ").is_err());
        assert!(BlogTitle::parse(&"字".repeat(200)).is_ok());
        assert!(BlogTitle::parse(&"字".repeat(201)).is_err());
    }

    #[test]
    fn content_may_be_empty_but_not_over_100000_characters() {
        assert!(BlogContent::parse("").is_ok());
        assert!(BlogContent::parse(&"a".repeat(100_000)).is_ok());
        assert_eq!(
            BlogContent::parse(&"a".repeat(100_001))
                .expect_err("too long")
                .field,
            "content"
        );
    }

    #[test]
    fn a_blank_keyword_means_none() {
        assert_eq!(Keyword::parse("").ok(), Some(None));
        assert!(Keyword::parse(&"k".repeat(101)).is_err());
    }

    #[test]
    fn paging_arithmetic() {
        assert_eq!(Page::new(1, 20).expect("valid").offset(), 0);
        assert_eq!(Page::new(3, 20).expect("valid").offset(), 40);
        assert_eq!(
            Page::new(u32::MAX, 100).expect("valid").offset(),
            u64::from(u32::MAX - 1) * 100
        );
        assert_eq!(Page::new(0, 20).expect_err("page 0").field, "page");
        assert_eq!(Page::new(1, 0).expect_err("size 0").field, "page_size");
        assert_eq!(Page::new(1, 101).expect_err("size 101").field, "page_size");
        assert_eq!(Page::default(), Page::new(1, 20).expect("valid"));
    }
}
