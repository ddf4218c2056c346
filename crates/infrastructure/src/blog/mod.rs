//! The SeaORM adapter of the blog repository port, and the blog read cache on the
//! key-value store.

mod cache;
pub mod entity;
mod repository;

pub use cache::{BlogCacheOptions, StoreBlogCache, StoreBlogCacheParameters};
pub use repository::{SeaOrmBlogRepository, like_pattern};
