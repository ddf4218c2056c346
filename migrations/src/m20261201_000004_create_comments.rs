//! The `comments` table: comments on blogs, with their owner.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Comments::Table)
                    .col(big_pk_auto(Comments::Id))
                    .col(big_integer(Comments::BlogId))
                    .col(text(Comments::Body))
                    .col(big_integer(Comments::OwnerId))
                    .col(string_len(Comments::Owner, 32))
                    .col(big_integer(Comments::CreatedAt))
                    .col(big_integer(Comments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comments_blog_id")
                            .from(Comments::Table, Comments::BlogId)
                            .to(Blogs::Table, Blogs::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comments_owner_id")
                            .from(Comments::Table, Comments::OwnerId)
                            .to(Users::Table, Users::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_comments_created_at")
                    .table(Comments::Table)
                    .col(Comments::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_comments_blog_id_created_at")
                    .table(Comments::Table)
                    .col(Comments::BlogId)
                    .col(Comments::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_comments_owner_id")
                    .table(Comments::Table)
                    .col(Comments::OwnerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Comments::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Comments {
    Table,
    Id,
    BlogId,
    Body,
    OwnerId,
    Owner,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Blogs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
