//! The `comments` table as a SeaORM entity (schema: `migrations/`).

use sea_orm::entity::prelude::*;

/// One row of `comments`. Times are milliseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The blog it belongs to.
    pub blog_id: i64,
    /// The comment's text as stored: HTML-escaped plain text.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// The owner's user id.
    pub owner_id: i64,
    /// The owner's username (usernames never change).
    pub owner: String,
    /// Creation time.
    pub created_at: i64,
    /// Last edit.
    pub updated_at: i64,
}

/// Relations the code walks: none (the owner's name is kept on the row).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
