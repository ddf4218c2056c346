//! Blogs: posts with a title and HTML content, edited only by their author, deleted
//! softly (an operator can restore them).

mod cache;
mod error;
mod model;
mod ports;

pub use cache::{BlogCache, CacheGeneration, Cached, ListKey};
pub use error::BlogError;
pub use model::{
    Blog, BlogChanges, BlogContent, BlogId, BlogPage, BlogQuery, BlogTitle, Keyword, NewBlog,
};
pub use ports::BlogRepository;

#[cfg(any(test, feature = "mocks"))]
pub use cache::MockBlogCache;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockBlogRepository;
