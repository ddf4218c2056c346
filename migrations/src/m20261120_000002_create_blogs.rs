//! The `blogs` table: posts, soft-deleted through `state` and `deleted_at`.
//!
//! `content` holds up to 100,000 characters: a MySQL `TEXT` stops at 64 KiB, so there
//! it is `LONGTEXT`; elsewhere `TEXT` has no such limit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let long_text = |column: Blogs| {
            let mut def = ColumnDef::new(column);
            match manager.get_database_backend() {
                DatabaseBackend::MySql => def.custom(Alias::new("LONGTEXT")),
                _ => def.text(),
            };
            def.not_null().take()
        };
        manager
            .create_table(
                Table::create()
                    .table(Blogs::Table)
                    .col(big_pk_auto(Blogs::Id))
                    .col(long_text(Blogs::Title))
                    .col(long_text(Blogs::Content))
                    .col(big_integer(Blogs::AuthorId))
                    .col(string_len(Blogs::Author, 32))
                    .col(small_integer(Blogs::State))
                    .col(big_integer(Blogs::CreatedAt))
                    .col(big_integer(Blogs::UpdatedAt))
                    .col(big_integer_null(Blogs::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_blogs_author_id")
                            .from(Blogs::Table, Blogs::AuthorId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_blogs_author_id")
                    .table(Blogs::Table)
                    .col(Blogs::AuthorId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_blogs_state_created_at")
                    .table(Blogs::Table)
                    .col(Blogs::State)
                    .col(Blogs::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Blogs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Blogs {
    Table,
    Id,
    Title,
    Content,
    AuthorId,
    Author,
    State,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
