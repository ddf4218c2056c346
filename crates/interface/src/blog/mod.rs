//! `/api/blog/*`: the Node course's blog routes.

mod controller;
mod dto;

pub use controller::BlogController;
pub use dto::{BlogRequest, BlogView, CreatedBlog};
