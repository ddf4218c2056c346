//! `SeaOrmUserRepository`: accounts in the relational database.

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use qblog_domain::user::{
    NewUser, PasswordHash, Realname, User, UserError, UserId, UserRepository, Username,
};
use sea_orm::{ActiveModelTrait, ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set};
use shaku::Component;

use super::entity::{self, Column, Entity};
use crate::database::{DatabasePool, db_error, is_unique_violation, stored_time};

/// Users stored with SeaORM on SQLite, PostgreSQL or MySQL.
#[derive(Component)]
#[shaku(interface = UserRepository)]
pub struct SeaOrmUserRepository {
    #[shaku(inject)]
    pool: Arc<dyn DatabasePool>,
}

impl SeaOrmUserRepository {
    /// A repository over `pool` (outside the DI container: tools and tests).
    pub fn new(pool: Arc<dyn DatabasePool>) -> Self {
        Self { pool }
    }
}

/// Rebuilds domain types from a row; a row that fails the domain's rules is corrupt.
fn to_user(row: &entity::Model) -> Result<User, UserError> {
    Ok(User {
        id: UserId(row.id),
        username: Username::parse(&row.username).context("stored username is invalid")?,
        realname: Realname::parse(&row.realname).context("stored realname is invalid")?,
        created_at: stored_time(row.created_at)?,
    })
}

#[async_trait]
impl UserRepository for SeaOrmUserRepository {
    async fn create(&self, user: NewUser) -> Result<User, UserError> {
        let millis = user.created_at.timestamp_millis();
        let insert = entity::ActiveModel {
            id: NotSet,
            username: Set(user.username.as_str().to_owned()),
            username_key: Set(user.username.key()),
            password_hash: Set(user.password_hash.as_str().to_owned()),
            realname: Set(user.realname.as_str().to_owned()),
            created_at: Set(millis),
            updated_at: Set(millis),
        }
        .insert(self.pool.connection());
        let row = self.pool.run(insert).await.map_err(|err| {
            if is_unique_violation(&err) {
                UserError::UsernameTaken
            } else {
                db_error(err)
            }
        })?;
        to_user(&row)
    }

    async fn find_with_hash(
        &self,
        username: &Username,
    ) -> Result<Option<(User, PasswordHash)>, UserError> {
        let query = Entity::find()
            .filter(Column::UsernameKey.eq(username.key()))
            .one(self.pool.connection());
        let row = self.pool.run(query).await.map_err(db_error::<UserError>)?;
        row.map(|row| Ok((to_user(&row)?, PasswordHash::new(row.password_hash))))
            .transpose()
    }

    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, UserError> {
        let query = Entity::find_by_id(id.0).one(self.pool.connection());
        let row = self.pool.run(query).await.map_err(db_error::<UserError>)?;
        row.as_ref().map(to_user).transpose()
    }
}
