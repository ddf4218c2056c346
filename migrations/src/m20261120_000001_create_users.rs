//! The `users` table: accounts that log in and author blogs.
//!
//! `username_key` is the lower-cased username and carries the unique index, so that
//! uniqueness means the same on every database (MySQL compares case-insensitively by
//! default, PostgreSQL and SQLite do not).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len(Users::Username, 32))
                    .col(string_len_uniq(Users::UsernameKey, 32))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len(Users::Realname, 64))
                    .col(big_integer(Users::CreatedAt))
                    .col(big_integer(Users::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    UsernameKey,
    PasswordHash,
    Realname,
    CreatedAt,
    UpdatedAt,
}
