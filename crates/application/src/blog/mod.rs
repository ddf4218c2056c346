//! Blogs: list, read, write, edit and delete — edits by the author only.

mod service;

pub use service::{BlogDraft, BlogListRequest, BlogService, BlogServiceImpl};
