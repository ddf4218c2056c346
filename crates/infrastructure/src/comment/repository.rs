//! `SeaOrmCommentRepository`: comments in the `comments` table, every value bound
//! as a parameter.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use qblog_domain::blog::BlogId;
use qblog_domain::comment::{
    Comment, CommentBody, CommentChanges, CommentError, CommentId, CommentPage, CommentQuery,
    CommentRepository, NewComment,
};
use qblog_domain::user::{UserId, Username};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
};
use shaku::Component;

use super::entity::{self, Column, Entity};
use crate::database::{DatabasePool, db_error, stored_time};

/// Comments stored with SeaORM.
#[derive(Component)]
#[shaku(interface = CommentRepository)]
pub struct SeaOrmCommentRepository {
    #[shaku(inject)]
    pool: Arc<dyn DatabasePool>,
}

impl SeaOrmCommentRepository {
    /// A repository over `pool` (outside the DI container: tools and tests).
    pub fn new(pool: Arc<dyn DatabasePool>) -> Self {
        Self { pool }
    }
}

fn to_comment(row: entity::Model) -> Result<Comment, CommentError> {
    Ok(Comment {
        id: CommentId(row.id),
        blog_id: BlogId(row.blog_id),
        body: CommentBody::from_stored(row.body),
        owner_id: UserId(row.owner_id),
        owner: Username::parse(&row.owner).context("stored owner is invalid")?,
        created_at: stored_time(row.created_at)?,
        updated_at: stored_time(row.updated_at)?,
    })
}

fn matching(query: CommentQuery) -> Select<Entity> {
    match query.blog_id {
        Some(id) => Entity::find().filter(Column::BlogId.eq(id.0)),
        None => Entity::find(),
    }
}

#[async_trait]
impl CommentRepository for SeaOrmCommentRepository {
    async fn create(&self, comment: NewComment) -> Result<Comment, CommentError> {
        let millis = comment.created_at.timestamp_millis();
        let insert = entity::ActiveModel {
            id: NotSet,
            blog_id: Set(comment.blog_id.0),
            body: Set(comment.body.as_str().to_owned()),
            owner_id: Set(comment.owner_id.0),
            owner: Set(comment.owner.as_str().to_owned()),
            created_at: Set(millis),
            updated_at: Set(millis),
        }
        .insert(self.pool.connection());
        let row = self
            .pool
            .run(insert)
            .await
            .map_err(db_error::<CommentError>)?;
        to_comment(row)
    }

    async fn find(&self, id: CommentId) -> Result<Option<Comment>, CommentError> {
        let query = Entity::find_by_id(id.0).one(self.pool.connection());
        self.pool
            .run(query)
            .await
            .map_err(db_error::<CommentError>)?
            .map(to_comment)
            .transpose()
    }

    async fn exists(&self, id: CommentId) -> Result<bool, CommentError> {
        let query = Entity::find_by_id(id.0).count(self.pool.connection());
        let count = self
            .pool
            .run(query)
            .await
            .map_err(db_error::<CommentError>)?;
        Ok(count > 0)
    }

    async fn list(&self, query: CommentQuery) -> Result<CommentPage, CommentError> {
        let db = self.pool.connection();
        let total = self
            .pool
            .run(matching(query).count(db))
            .await
            .map_err(db_error::<CommentError>)?;
        let rows = matching(query)
            .order_by_desc(Column::CreatedAt)
            .order_by_desc(Column::Id)
            .offset(query.page.offset())
            .limit(u64::from(query.page.size()))
            .all(db);
        let rows = self
            .pool
            .run(rows)
            .await
            .map_err(db_error::<CommentError>)?;
        Ok(CommentPage {
            items: rows.into_iter().map(to_comment).collect::<Result<_, _>>()?,
            total,
        })
    }

    async fn update(
        &self,
        id: CommentId,
        changes: CommentChanges,
    ) -> Result<Option<Comment>, CommentError> {
        let update = Entity::update_many()
            .col_expr(Column::Body, Expr::val(changes.body.as_str().to_owned()))
            .col_expr(
                Column::UpdatedAt,
                Expr::val(changes.updated_at.timestamp_millis()),
            )
            .filter(Column::Id.eq(id.0))
            .exec(self.pool.connection());
        let result = self
            .pool
            .run(update)
            .await
            .map_err(db_error::<CommentError>)?;
        if result.rows_affected == 0 {
            return Ok(None);
        }
        self.find(id).await
    }

    async fn delete(&self, id: CommentId) -> Result<bool, CommentError> {
        let delete = Entity::delete_by_id(id.0).exec(self.pool.connection());
        let result = self
            .pool
            .run(delete)
            .await
            .map_err(db_error::<CommentError>)?;
        Ok(result.rows_affected > 0)
    }
}
