//! `/api/comment/*`: comments.

mod controller;
mod dto;
mod errors;

pub use controller::{CommentController, CommentTags};
pub use dto::{CommentRequest, CommentView, CreatedComment, NewCommentRequest};
