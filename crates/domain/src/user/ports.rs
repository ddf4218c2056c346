//! Ports of the user area: where users are kept and how passwords are hashed.

use async_trait::async_trait;
use shaku_interface::Interface;

use super::{NewUser, Password, PasswordHash, User, UserError, UserId, Username};

/// Where accounts live.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Interface {
    /// Stores a new account and returns it with its id.
    ///
    /// # Errors
    /// [`UserError::UsernameTaken`] when the username's key is already used (on every
    /// database, decided by the unique index, not by a prior look-up);
    /// [`UserError::Unavailable`] when the database cannot be reached.
    async fn create(&self, user: NewUser) -> Result<User, UserError>;

    /// Finds an account and its password hash by username, ignoring case.
    ///
    /// # Errors
    /// [`UserError::Unavailable`] when the database cannot be reached; an unknown
    /// username is `Ok(None)`.
    async fn find_with_hash(
        &self,
        username: &Username,
    ) -> Result<Option<(User, PasswordHash)>, UserError>;

    /// Finds an account by id.
    ///
    /// # Errors
    /// [`UserError::Unavailable`] when the database cannot be reached; an unknown id is
    /// `Ok(None)`.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, UserError>;
}

/// Turns passwords into slow, salted hashes and checks them.
///
/// Implementations must keep the work off the async executor (a burst of logins must
/// not stall other requests) and bound how many hashes run at once.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Interface {
    /// Hashes with a fresh random salt into a PHC string.
    ///
    /// # Errors
    /// [`UserError::Unexpected`] when hashing fails (it should not).
    async fn hash(&self, password: &Password) -> Result<PasswordHash, UserError>;

    /// Checks `password` against `hash`. With `None` it does the same amount of work
    /// against a stand-in hash and returns `false`, so an unknown username takes as
    /// long as a wrong password.
    ///
    /// # Errors
    /// [`UserError::Unexpected`] when the stored hash is not a valid PHC string.
    async fn verify<'a>(
        &self,
        password: &Password,
        hash: Option<&'a PasswordHash>,
    ) -> Result<bool, UserError>;
}
