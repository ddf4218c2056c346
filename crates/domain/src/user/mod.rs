//! Users: who can log in and author blogs.

mod error;
mod model;
mod ports;

pub use error::UserError;
pub use model::{NewUser, Password, PasswordHash, Realname, User, UserId, Username};
pub use ports::{PasswordHasher, UserRepository};

#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockPasswordHasher, MockUserRepository};
