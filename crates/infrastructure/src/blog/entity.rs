//! The `blogs` table as a SeaORM entity (schema: `migrations/`).

use sea_orm::entity::prelude::*;

/// `state` of a live blog.
pub const LIVE: i16 = 1;
/// `state` of a soft-deleted blog.
pub const DELETED: i16 = 0;

/// One row of `blogs`. Times are milliseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "blogs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Sanitised title.
    pub title: String,
    /// Sanitised HTML body.
    pub content: String,
    /// The author's user id.
    pub author_id: i64,
    /// The author's username (usernames never change).
    pub author: String,
    /// [`LIVE`] or [`DELETED`].
    pub state: i16,
    /// Creation time.
    pub created_at: i64,
    /// Last edit.
    pub updated_at: i64,
    /// When it was deleted, while it is.
    pub deleted_at: Option<i64>,
    /// The folded text keyword search compares (`text::search_text`); written
    /// with every title or content change.
    pub search_text: Option<String>,
}

/// Relations the code walks: none (the author's name is kept on the row).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
