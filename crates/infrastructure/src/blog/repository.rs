//! `SeaOrmBlogRepository`: blogs on SQLite, PostgreSQL or MySQL, bound parameters only.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use qblog_domain::blog::{
    Blog, BlogChanges, BlogContent, BlogError, BlogId, BlogPage, BlogQuery, BlogRepository,
    BlogTitle, NewBlog,
};
use qblog_domain::text::search_text;
use qblog_domain::user::{UserId, Username};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Order, Query, QueryStatementBuilder};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect, Select, Set,
};
use shaku::Component;

use super::entity::{self, Column, DELETED, Entity, LIVE};
use crate::database::{DatabasePool, db_error, stored_time};

/// The escape character of keyword patterns: not `\`, which MySQL and PostgreSQL
/// treat specially by default.
const ESCAPE: char = '!';

/// `%folded%` with `%`, `_` and the escape character escaped: a LIKE pattern that
/// matches an already folded keyword literally.
pub fn like_pattern(folded: &str) -> String {
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            pattern.push(ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Blogs stored with SeaORM.
#[derive(Component)]
#[shaku(interface = BlogRepository)]
pub struct SeaOrmBlogRepository {
    #[shaku(inject)]
    pool: Arc<dyn DatabasePool>,
}

impl SeaOrmBlogRepository {
    /// A repository over `pool` (outside the DI container: tools and tests).
    pub fn new(pool: Arc<dyn DatabasePool>) -> Self {
        Self { pool }
    }
}

/// The columns a reader needs: a blog without its state and search text (as long as
/// the content again).
struct BlogRow {
    id: i64,
    title: String,
    content: String,
    author_id: i64,
    author: String,
    created_at: i64,
    updated_at: i64,
}

/// [`BlogRow`]'s columns in the order [`readable`] selects them. Rows are read as such
/// tuples, by position: a model would look each field's column up by name, on every
/// row (docs/perf.md).
type Columns = (i64, String, String, i64, String, i64, i64);

/// Where a listed row carries the total the same statement counted: after [`Columns`].
const TOTAL_INDEX: usize = 7;

impl From<Columns> for BlogRow {
    fn from((id, title, content, author_id, author, created_at, updated_at): Columns) -> Self {
        Self {
            id,
            title,
            content,
            author_id,
            author,
            created_at,
            updated_at,
        }
    }
}

impl From<entity::Model> for BlogRow {
    fn from(row: entity::Model) -> Self {
        Self {
            id: row.id,
            title: row.title,
            content: row.content,
            author_id: row.author_id,
            author: row.author,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// [`BlogRow`]'s columns, in [`Columns`]' order.
const READABLE: [Column; 7] = [
    Column::Id,
    Column::Title,
    Column::Content,
    Column::AuthorId,
    Column::Author,
    Column::CreatedAt,
    Column::UpdatedAt,
];

/// `select` narrowed to [`BlogRow`]'s columns.
fn readable(select: Select<Entity>) -> Select<Entity> {
    select.select_only().columns(READABLE)
}

fn to_blog(row: BlogRow) -> Result<Blog, BlogError> {
    Ok(Blog {
        id: BlogId(row.id),
        title: BlogTitle::from_stored(row.title),
        content: BlogContent::from_stored(row.content),
        author_id: UserId(row.author_id),
        author: Username::parse(&row.author).context("stored author is invalid")?,
        created_at: stored_time(row.created_at)?,
        updated_at: stored_time(row.updated_at)?,
    })
}

/// The live blogs `query` asks for.
fn matching(query: &BlogQuery) -> Condition {
    let mut condition = Condition::all().add(Column::State.eq(LIVE));
    if let Some(author) = query.author_id {
        condition = condition.add(Column::AuthorId.eq(author.0));
    }
    if let Some(keyword) = &query.keyword {
        // Both sides are folded by qblog (search_text and Keyword::folded), so the
        // match does not depend on how the database folds case.
        let pattern = like_pattern(&keyword.folded());
        condition = condition
            .add(Expr::col(Column::SearchText).like(LikeExpr::new(pattern).escape(ESCAPE)));
    }
    condition
}

#[async_trait]
impl BlogRepository for SeaOrmBlogRepository {
    async fn create(&self, blog: NewBlog) -> Result<Blog, BlogError> {
        let millis = blog.created_at.timestamp_millis();
        let insert = entity::ActiveModel {
            id: NotSet,
            title: Set(blog.title.as_str().to_owned()),
            content: Set(blog.content.as_str().to_owned()),
            author_id: Set(blog.author_id.0),
            author: Set(blog.author.as_str().to_owned()),
            state: Set(LIVE),
            created_at: Set(millis),
            updated_at: Set(millis),
            deleted_at: Set(None),
            search_text: Set(Some(search_text(
                blog.title.as_str(),
                blog.content.as_str(),
            ))),
        }
        .insert(self.pool.connection());
        let row = self.pool.run(insert).await.map_err(db_error::<BlogError>)?;
        to_blog(row.into())
    }

    async fn find(&self, id: BlogId) -> Result<Option<Blog>, BlogError> {
        let query = readable(Entity::find_by_id(id.0).filter(Column::State.eq(LIVE)))
            .into_tuple::<Columns>()
            .one(self.pool.connection());
        self.pool
            .run(query)
            .await
            .map_err(db_error::<BlogError>)?
            .map(|columns| to_blog(columns.into()))
            .transpose()
    }

    async fn exists(&self, id: BlogId) -> Result<bool, BlogError> {
        let query = Entity::find_by_id(id.0)
            .filter(Column::State.eq(LIVE))
            .count(self.pool.connection());
        let count = self.pool.run(query).await.map_err(db_error::<BlogError>)?;
        Ok(count > 0)
    }

    async fn list(&self, query: &BlogQuery) -> Result<BlogPage, BlogError> {
        // One statement: the page, each row carrying the total of all pages (an
        // uncorrelated subquery, which every supported database evaluates once).
        // Built with sea-query directly: `Entity::find()` would first select every
        // column, then drop them for these (docs/perf.md).
        let condition = matching(query);
        // sea-query's builders take `&mut self`: built in place, not cloned out.
        let mut count = Query::select();
        count
            .expr(Column::Id.count())
            .from(Entity)
            .cond_where(condition.clone());
        let mut page = Query::select();
        page.columns(READABLE)
            .expr_as(
                Expr::SubQuery(None, Box::new(count.into_sub_query_statement())),
                "total",
            )
            .from(Entity)
            .cond_where(condition)
            .order_by(Column::CreatedAt, Order::Desc)
            .order_by(Column::Id, Order::Desc)
            .offset(query.page.offset())
            .limit(u64::from(query.page.size()));
        let rows = self
            .pool
            .run(self.pool.connection().query_all(&page))
            .await
            .map_err(db_error::<BlogError>)?;
        let total = match rows.first() {
            Some(row) => u64::try_from(
                row.try_get_by_index::<i64>(TOTAL_INDEX)
                    .map_err(db_error::<BlogError>)?,
            )
            .context("a negative count")?,
            // A page past the end has no row to carry the total: count alone.
            None => self
                .pool
                .run(
                    Entity::find()
                        .filter(matching(query))
                        .count(self.pool.connection()),
                )
                .await
                .map_err(db_error::<BlogError>)?,
        };
        Ok(BlogPage {
            items: rows
                .iter()
                .map(|row| {
                    let columns = row
                        .try_get_many_by_index::<Columns>()
                        .map_err(db_error::<BlogError>)?;
                    to_blog(columns.into())
                })
                .collect::<Result<_, _>>()?,
            total,
        })
    }

    async fn update(&self, id: BlogId, changes: BlogChanges) -> Result<Option<Blog>, BlogError> {
        let db = self.pool.connection();
        let result = Entity::update_many()
            .col_expr(Column::Title, Expr::val(changes.title.as_str()))
            .col_expr(Column::Content, Expr::val(changes.content.as_str()))
            .col_expr(
                Column::UpdatedAt,
                Expr::val(changes.updated_at.timestamp_millis()),
            )
            .col_expr(
                Column::SearchText,
                Expr::val(search_text(
                    changes.title.as_str(),
                    changes.content.as_str(),
                )),
            )
            .filter(Column::Id.eq(id.0))
            .filter(Column::State.eq(LIVE))
            .exec(db);
        let result = self.pool.run(result).await.map_err(db_error::<BlogError>)?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        self.find(id).await
    }

    async fn soft_delete(&self, id: BlogId, at: DateTime<Utc>) -> Result<bool, BlogError> {
        let result = Entity::update_many()
            .col_expr(Column::State, Expr::val(DELETED))
            .col_expr(Column::DeletedAt, Expr::val(at.timestamp_millis()))
            .filter(Column::Id.eq(id.0))
            .filter(Column::State.eq(LIVE))
            .exec(self.pool.connection());
        let result = self.pool.run(result).await.map_err(db_error::<BlogError>)?;
        Ok(result.rows_affected > 0)
    }

    async fn restore(&self, id: BlogId, at: DateTime<Utc>) -> Result<bool, BlogError> {
        let result = Entity::update_many()
            .col_expr(Column::State, Expr::val(LIVE))
            .col_expr(Column::DeletedAt, Expr::val(Option::<i64>::None))
            .col_expr(Column::UpdatedAt, Expr::val(at.timestamp_millis()))
            .filter(Column::Id.eq(id.0))
            .filter(Column::State.eq(DELETED))
            .exec(self.pool.connection());
        let result = self.pool.run(result).await.map_err(db_error::<BlogError>)?;
        Ok(result.rows_affected > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn wildcards_and_the_escape_character_are_escaped() {
        assert_eq!(like_pattern("50%_off!"), "%50!%!_off!!%");
        assert_eq!(like_pattern(r"a\b"), r"%a\b%");
        assert_eq!(like_pattern("mixed"), "%mixed%");
    }
}
