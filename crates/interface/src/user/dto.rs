//! Request and response bodies of the user routes, and their validation pipes.

use poem_openapi::Object;
use qblog_application::auth::Login;
use qblog_application::user::Registration;
use qblog_domain::auth::Principal;
use qblog_domain::user::{Password, Realname, User, Username};
use qblog_domain::validation::FieldError;

use crate::pipeline::pipes::Validate;

/// `POST /api/user/register`
#[derive(Debug, Object)]
pub struct RegisterRequest {
    /// 3 to 32 of `A-Z a-z 0-9 _`.
    pub username: String,
    /// 8 to 128 characters.
    pub password: String,
    /// 1 to 64 characters.
    pub realname: String,
}

impl Validate for RegisterRequest {
    type Output = Registration;

    fn validate(self) -> Result<Registration, FieldError> {
        Ok(Registration {
            username: Username::parse(&self.username)?,
            password: Password::parse(&self.password)?,
            realname: Realname::parse(&self.realname)?,
        })
    }
}

/// `POST /api/user/login`
#[derive(Debug, Object)]
pub struct LoginRequest {
    /// The username given at registration (any case).
    pub username: String,
    /// The password.
    pub password: String,
}

/// A login request's fields, parsed.
pub struct Credentials {
    /// Who.
    pub username: Username,
    /// Their password.
    pub password: Password,
}

impl Validate for LoginRequest {
    type Output = Credentials;

    fn validate(self) -> Result<Credentials, FieldError> {
        Ok(Credentials {
            username: Username::parse(&self.username)?,
            password: Password::parse(&self.password)?,
        })
    }
}

/// A user as clients see it.
#[derive(Debug, Object)]
pub struct UserView {
    /// Account id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub realname: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0,
            username: user.username.as_str().to_owned(),
            realname: user.realname.as_str().to_owned(),
        }
    }
}

impl From<&Principal> for UserView {
    fn from(principal: &Principal) -> Self {
        Self {
            id: principal.user_id.0,
            username: principal.username.as_str().to_owned(),
            realname: principal.realname.as_str().to_owned(),
        }
    }
}

/// A successful login: the user and a bearer token (the session cookie is set too).
#[derive(Debug, Object)]
pub struct LoginView {
    /// Account id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub realname: String,
    /// The access token for `Authorization: Bearer …`.
    pub token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

impl From<&Login> for LoginView {
    fn from(login: &Login) -> Self {
        Self {
            id: login.user.id.0,
            username: login.user.username.as_str().to_owned(),
            realname: login.user.realname.as_str().to_owned(),
            token: login.token.token.expose().to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: login.token_ttl.as_secs(),
        }
    }
}
