//! The comment use cases.

mod service;

pub use service::{CommentDraft, CommentService, CommentServiceImpl};
