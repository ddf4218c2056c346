//! Bodies of the blog routes and their pipes.

use poem_openapi::Object;
use qblog_application::blog::{BlogDraft, BlogListRequest};
use qblog_domain::blog::{Blog, BlogContent, BlogTitle, Keyword};
use qblog_domain::paging::Page;
use qblog_domain::user::Username;
use qblog_domain::validation::FieldError;
use serde::Serialize;

use crate::pipeline::pipes::{PlainText, RichText, Validate};

/// What `list`'s query asks for.
#[derive(Debug)]
pub enum ListQuery {
    /// `isadmin=1`: the caller's own blogs (a login is required).
    Own {
        /// Only blogs containing this text.
        keyword: Option<Keyword>,
        /// Which page.
        page: Page,
    },
    /// Everyone's blogs, perhaps one author's.
    Public(BlogListRequest),
}

impl ListQuery {
    /// The query string's parameters as the handler received them: `author` is
    /// ignored for `isadmin=1` and when empty, as in the Node blog.
    ///
    /// # Errors
    /// A [`FieldError`] naming the parameter that is not usable.
    pub fn parse(
        author: Option<&str>,
        keyword: Option<&str>,
        isadmin: Option<&str>,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> Result<Self, FieldError> {
        let keyword = match keyword {
            Some(text) => Keyword::parse(text)?,
            None => None,
        };
        let page = Page::from_query(page, page_size)?;
        if isadmin == Some("1") {
            return Ok(Self::Own { keyword, page });
        }
        let author = match author {
            Some(name) if !name.is_empty() => Some(Username::parse(name)?),
            _ => None,
        };
        Ok(Self::Public(BlogListRequest {
            author,
            keyword,
            page,
        }))
    }
}

/// The body of `new` and `update`. Both fields are sanitised as they are parsed.
#[derive(Debug, Object)]
pub struct BlogRequest {
    /// 1 to 200 characters of text as typed; any HTML is removed, the rest escaped.
    pub title: PlainText,
    /// Up to 100,000 characters of HTML nesting at most 100 deep; only harmless
    /// formatting survives.
    pub content: RichText,
}

impl Validate for BlogRequest {
    type Output = BlogDraft;

    const SANITISES: bool = true;

    fn validate(self) -> Result<BlogDraft, FieldError> {
        Ok(BlogDraft {
            title: self
                .title
                .parse(|input, clean| BlogTitle::parse(input, clean))?,
            content: self
                .content
                .parse(|input, clean| BlogContent::parse(input, clean))?,
        })
    }
}

/// A blog as clients see it (field names as in the Node blog).
#[derive(Debug, Object, Serialize)]
pub struct BlogView {
    /// The id `detail`, `update` and `del` take.
    pub id: i64,
    /// Title (plain text, HTML-escaped).
    pub title: String,
    /// Body (sanitised HTML).
    pub content: String,
    /// The author's username.
    pub author: String,
    /// Creation time, milliseconds since the epoch.
    pub createtime: i64,
    /// Last edit, milliseconds since the epoch.
    pub updatetime: i64,
}

impl From<Blog> for BlogView {
    fn from(blog: Blog) -> Self {
        Self {
            id: blog.id.0,
            title: blog.title.into_string(),
            content: blog.content.into_string(),
            author: blog.author.into_string(),
            createtime: blog.created_at.timestamp_millis(),
            updatetime: blog.updated_at.timestamp_millis(),
        }
    }
}

/// What `new` returns.
#[derive(Debug, Object, Serialize)]
pub struct CreatedBlog {
    /// The new blog's id.
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isadmin_1_asks_for_the_callers_own_and_ignores_author() {
        let own = ListQuery::parse(Some("not valid!"), Some("rust"), Some("1"), Some(2), None)
            .expect("parsed");
        assert!(matches!(own, ListQuery::Own { ref keyword, page }
            if keyword.as_ref().map(Keyword::as_str) == Some("rust") && page.number() == 2));
    }

    #[test]
    fn an_empty_author_or_keyword_means_none_and_bad_ones_are_named() {
        let all = ListQuery::parse(Some(""), Some(""), Some("0"), None, None).expect("parsed");
        assert!(matches!(
            all,
            ListQuery::Public(BlogListRequest {
                author: None,
                keyword: None,
                ..
            })
        ));
        let err = ListQuery::parse(Some("no spaces"), None, None, None, None).expect_err("refused");
        assert_eq!(err.field, "username");
        let err = ListQuery::parse(None, None, None, Some(0), None).expect_err("refused");
        assert_eq!(err.field, "page");
    }
}
