//! Bodies of the blog routes and their pipes.

use poem_openapi::Object;
use qblog_application::blog::BlogDraft;
use qblog_domain::blog::{Blog, BlogContent, BlogTitle};
use qblog_domain::validation::FieldError;

use crate::pipeline::pipes::{PlainText, RichText, Validate};

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
#[derive(Debug, Object)]
pub struct BlogView {
    /// Id.
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
#[derive(Debug, Object)]
pub struct CreatedBlog {
    /// The new blog's id.
    pub id: i64,
}
