//! Comments stored with SeaORM.

mod entity;
mod repository;

pub use repository::SeaOrmCommentRepository;
