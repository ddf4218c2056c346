//! `/api/user/*`: register, login, logout, who am I.

mod controller;
pub(crate) mod dto;
mod errors;

pub use controller::{CookiePolicy, UserController};
pub use dto::{LoginRequest, LoginView, RegisterRequest, UserView};
