//! Adapters of the user ports: the SeaORM repository and the Argon2id hasher.

mod argon2;
pub mod entity;
mod repository;

pub use argon2::{Argon2PasswordHasher, Argon2PasswordHasherParameters};
pub use repository::SeaOrmUserRepository;
