//! `UserService`: registration.

use std::sync::Arc;

use async_trait::async_trait;
use qblog_domain::clock::Clock;
use qblog_domain::user::{
    NewUser, Password, PasswordHasher, Realname, User, UserError, UserRepository, Username,
};
use shaku::{Component, Interface};

/// A registration request, already parsed into domain types.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The wanted username.
    pub username: Username,
    /// The password in clear; only its hash is stored.
    pub password: Password,
    /// The display name.
    pub realname: Realname,
}

/// Account use cases.
#[async_trait]
pub trait UserService: Interface {
    /// Creates an account.
    ///
    /// # Errors
    /// [`UserError::UsernameTaken`] when the username (ignoring case) exists;
    /// [`UserError::Unavailable`] when the database is down.
    async fn register(&self, registration: Registration) -> Result<User, UserError>;
}

/// [`UserService`] over the repository, the hasher and the clock.
#[derive(Component)]
#[shaku(interface = UserService)]
pub struct UserServiceImpl {
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    hasher: Arc<dyn PasswordHasher>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl UserService for UserServiceImpl {
    async fn register(&self, registration: Registration) -> Result<User, UserError> {
        // A taken name is refused before the (deliberately slow) hash; the unique index
        // still decides a race between two registrations of the same name.
        if self
            .users
            .find_with_hash(&registration.username)
            .await?
            .is_some()
        {
            return Err(UserError::UsernameTaken);
        }
        let password_hash = self.hasher.hash(&registration.password).await?;
        let user = self
            .users
            .create(NewUser {
                username: registration.username,
                realname: registration.realname,
                password_hash,
                created_at: self.clock.now(),
            })
            .await?;
        tracing::info!(user_id = %user.id, username = %user.username, "user registered");
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use qblog_domain::clock::MockClock;
    use qblog_domain::user::{MockPasswordHasher, MockUserRepository, PasswordHash, UserId};

    use super::*;

    fn registration() -> Registration {
        Registration {
            username: Username::parse("alice").expect("valid"),
            password: Password::parse("s3cret-pass").expect("valid"),
            realname: Realname::parse("Alice").expect("valid"),
        }
    }

    fn hasher() -> MockPasswordHasher {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash::new("$argon2id$stand-in".into())));
        hasher
    }

    fn clock() -> MockClock {
        let mut clock = MockClock::new();
        clock
            .expect_now()
            .returning(|| Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap());
        clock
    }

    /// A repository where nobody has registered yet.
    fn no_users() -> MockUserRepository {
        let mut users = MockUserRepository::new();
        users.expect_find_with_hash().returning(|_| Ok(None));
        users
    }

    #[tokio::test]
    async fn registering_stores_the_hash_never_the_password() {
        let mut users = no_users();
        users
            .expect_create()
            .withf(|new| {
                new.password_hash.as_str() == "$argon2id$stand-in"
                    && !new.password_hash.as_str().contains("s3cret-pass")
            })
            .returning(|new| {
                Ok(User {
                    id: UserId(7),
                    username: new.username,
                    realname: new.realname,
                    created_at: new.created_at,
                })
            });
        let service = UserServiceImpl {
            users: Arc::new(users),
            hasher: Arc::new(hasher()),
            clock: Arc::new(clock()),
        };
        let user = service.register(registration()).await.expect("registered");
        assert_eq!(user.id, UserId(7));
        assert_eq!(user.username.as_str(), "alice");
    }

    #[tokio::test]
    async fn a_name_taken_in_a_race_is_reported_as_such() {
        let mut users = no_users();
        users
            .expect_create()
            .returning(|_| Err(UserError::UsernameTaken));
        let service = UserServiceImpl {
            users: Arc::new(users),
            hasher: Arc::new(hasher()),
            clock: Arc::new(clock()),
        };
        let err = service.register(registration()).await.expect_err("refused");
        assert!(matches!(err, UserError::UsernameTaken));
    }

    #[tokio::test]
    async fn a_taken_username_is_refused_without_hashing() {
        let mut users = MockUserRepository::new();
        users.expect_find_with_hash().returning(|username| {
            Ok(Some((
                User {
                    id: UserId(1),
                    username: username.clone(),
                    realname: Realname::parse("Taken").expect("valid"),
                    created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                },
                PasswordHash::new("$argon2id$x".into()),
            )))
        });
        users.expect_create().never();
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_hash().never();
        let service = UserServiceImpl {
            users: Arc::new(users),
            hasher: Arc::new(hasher),
            clock: Arc::new(clock()),
        };
        let err = service.register(registration()).await.expect_err("refused");
        assert!(matches!(err, UserError::UsernameTaken));
    }
}
