#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261120_000001_create_users;
mod m20261120_000002_create_blogs;
mod m20261201_000003_add_blog_search_text;
mod m20261201_000004_create_comments;

/// The ordered list of qblog's migrations.
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261120_000001_create_users::Migration),
            Box::new(m20261120_000002_create_blogs::Migration),
            Box::new(m20261201_000003_add_blog_search_text::Migration),
            Box::new(m20261201_000004_create_comments::Migration),
        ]
    }
}
