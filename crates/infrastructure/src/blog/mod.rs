//! The SeaORM adapter of the blog repository port.

pub mod entity;
mod repository;

pub use repository::{SeaOrmBlogRepository, like_pattern};
