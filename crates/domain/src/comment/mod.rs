//! Comments: written by a logged-in user on a blog, listed newest first,
//! changed and deleted only by their owner.

mod error;
mod model;
mod ports;

pub use error::CommentError;
pub use model::{
    Comment, CommentBody, CommentChanges, CommentId, CommentPage, CommentQuery, NewComment,
};
pub use ports::CommentRepository;

#[cfg(any(test, feature = "mocks"))]
pub use ports::MockCommentRepository;
