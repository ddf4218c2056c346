//! `blogs.search_text`: the folded text keyword search compares, so that a search
//! means the same on every database.
//!
//! Searching `LOWER(title) LIKE …` depended on each engine: SQLite's `LOWER()` folds
//! ASCII only ("Éclair" was not found by "éclair"), and titles are stored HTML-escaped
//! ("Tom & Jerry" was not found at all). The column holds the title's and the content's
//! text as a reader sees it, lower-cased by qblog itself
//! (`qblog_domain::text::search_text`); keywords are folded the same way and
//! matched with a plain `LIKE`. On MySQL the column compares bytes (`utf8mb4_bin`):
//! its default collations would also ignore accents.
//!
//! Existing rows are filled in here, in batches by id.

use qblog_domain::text::search_text;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rows read and rewritten at a time while filling the column in.
const BATCH: u64 = 500;

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut column = ColumnDef::new(Blogs::SearchText);
        match manager.get_database_backend() {
            DatabaseBackend::MySql => column.custom(Alias::new(
                "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
            )),
            _ => column.text(),
        };
        manager
            .alter_table(
                Table::alter()
                    .table(Blogs::Table)
                    .add_column(column.null())
                    .to_owned(),
            )
            .await?;
        fill_in(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Blogs::Table)
                    .drop_column(Blogs::SearchText)
                    .to_owned(),
            )
            .await
    }
}

/// Computes the column for every row that has none yet.
async fn fill_in(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all(
                Query::select()
                    .columns([Blogs::Id, Blogs::Title, Blogs::Content])
                    .from(Blogs::Table)
                    .and_where(Expr::col(Blogs::Id).gt(after))
                    .and_where(Expr::col(Blogs::SearchText).is_null())
                    .order_by(Blogs::Id, Order::Asc)
                    .limit(BATCH),
            )
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let title: String = row.try_get("", "title")?;
            let content: String = row.try_get("", "content")?;
            db.execute(
                Query::update()
                    .table(Blogs::Table)
                    .value(Blogs::SearchText, search_text(&title, &content))
                    .and_where(Expr::col(Blogs::Id).eq(id)),
            )
            .await?;
            after = id;
        }
    }
}

#[derive(DeriveIden)]
enum Blogs {
    Table,
    Id,
    Title,
    Content,
    SearchText,
}
