//! `/api/blog/*`: the Node course's blog routes.

mod controller;
mod dto;
mod errors;

pub use controller::BlogController;
pub use dto::{BlogRequest, BlogView, CreatedBlog};
