//! The `users` table as a SeaORM entity (schema: `migrations/`).

use sea_orm::entity::prelude::*;

/// One row of `users`. Times are milliseconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The username as registered.
    pub username: String,
    /// The lower-cased username, unique.
    #[sea_orm(unique)]
    pub username_key: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Display name.
    pub realname: String,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// `users` has no relations the code walks.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
