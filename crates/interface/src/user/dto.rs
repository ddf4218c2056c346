//! Request and response bodies of the user routes, and their validation pipes.

use poem_openapi::Object;
use qblog_application::auth::{DeviceSession, Login};
use qblog_application::user::Registration;
use qblog_domain::auth::{Principal, SessionHandle};
use qblog_domain::user::{Password, Realname, User, Username};
use qblog_domain::validation::FieldError;
use serde::Serialize;

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
    /// In clear (over TLS): checked against the stored hash, never stored, logged or echoed.
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
#[derive(Debug, Object, Serialize)]
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
#[derive(Debug, Object, Serialize)]
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

/// One signed-in device: a session started by one login.
#[derive(Debug, Object, Serialize)]
pub struct SessionView {
    /// The session's handle, for `revoke` (never its cookie or its token).
    pub id: String,
    /// When the login happened, milliseconds since the epoch.
    pub created_at: i64,
    /// When the session was last used (may lag by up to a minute).
    pub last_seen_at: i64,
    /// The address the login came from.
    pub ip: String,
    /// The browser or app that logged in.
    pub user_agent: String,
    /// `password` or `qrcode`.
    pub method: String,
    /// Whether this request was made with it.
    pub current: bool,
}

impl From<&DeviceSession> for SessionView {
    fn from(session: &DeviceSession) -> Self {
        let data = &session.data;
        Self {
            id: session.handle.as_str().to_owned(),
            created_at: data.created_at.timestamp_millis(),
            last_seen_at: data.last_seen_at.timestamp_millis(),
            ip: data.origin.ip.clone(),
            user_agent: data.origin.user_agent.clone(),
            method: data.origin.method.as_str().to_owned(),
            current: session.current,
        }
    }
}

/// `POST /api/user/sessions/revoke`
#[derive(Debug, Object)]
pub struct RevokeRequest {
    /// A session's `id` from the device list.
    pub id: String,
}

impl Validate for RevokeRequest {
    type Output = SessionHandle;

    fn validate(self) -> Result<SessionHandle, FieldError> {
        SessionHandle::parse(&self.id)
            .ok_or_else(|| FieldError::new("id", "must be a session id from the device list"))
    }
}

/// What `revoke-others` did.
#[derive(Debug, Object, Serialize)]
pub struct RevokedView {
    /// How many sessions were ended.
    pub revoked: u64,
}
