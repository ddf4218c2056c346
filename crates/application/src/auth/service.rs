//! `AuthService`: login with throttling, sessions and tokens, logout, and the
//! credential checks the auth guard relies on.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::auth::{
    AuthError, Credential, IssuedToken, Principal, SessionData, SessionId, SessionStore,
    TokenIssuer, TokenRevocations,
};
use qblog_domain::clock::Clock;
use qblog_domain::throttle::{Throttle, ThrottleDecision};
use qblog_domain::user::{Password, PasswordHasher, User, UserRepository, Username};
use shaku::{Component, Interface};

/// A login request, parsed.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// Who claims to log in.
    pub username: Username,
    /// Their password in clear.
    pub password: Password,
    /// The client's address, for per-client throttling.
    pub client_ip: String,
}

/// A successful login: a new session and a new access token.
#[derive(Debug, Clone)]
pub struct Login {
    /// Who logged in.
    pub user: User,
    /// The new session's id, for the `sid` cookie.
    pub session_id: SessionId,
    /// How long the session lives.
    pub session_ttl: Duration,
    /// The access token for apps.
    pub token: IssuedToken,
    /// How long the token lives.
    pub token_ttl: Duration,
}

/// Authentication use cases.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait AuthService: Interface {
    /// Checks the password and, on success, starts a session and issues a token.
    ///
    /// # Errors
    /// [`AuthError::Throttled`] after too many failures for the username or the client;
    /// [`AuthError::InvalidCredentials`] for an unknown user or a wrong password (the
    /// same error, after the same work); [`AuthError::Unavailable`] when a dependency
    /// is down.
    async fn login(&self, attempt: LoginAttempt) -> Result<Login, AuthError>;

    /// Starts a session and issues a token for a user already proven by other means
    /// (a confirmed QR code).
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn start_login(&self, user: &User) -> Result<Login, AuthError>;

    /// The user behind a `sid` cookie value.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for a malformed, unknown or ended session.
    async fn authenticate_session(&self, sid: &str) -> Result<Principal, AuthError>;

    /// The user behind a bearer token.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for an invalid, expired or revoked token;
    /// [`AuthError::Unavailable`] when revocations cannot be checked.
    async fn authenticate_bearer(&self, token: &str) -> Result<Principal, AuthError>;

    /// Ends the credential `principal` authenticated with: deletes the session, or
    /// revokes the token until it would have expired.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn logout(&self, principal: &Principal) -> Result<(), AuthError>;

    /// Ends the session a `sid` cookie names, if it is one (logout with both a cookie
    /// and a bearer token ends both).
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn end_session(&self, sid: &str) -> Result<(), AuthError>;

    /// Takes back a login that was made but never handed out: ends its session and
    /// revokes its token.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn abandon(&self, login: &Login) -> Result<(), AuthError>;
}

/// [`AuthService`] over the user, session, token and throttle ports.
#[derive(Component)]
#[shaku(interface = AuthService)]
pub struct AuthServiceImpl {
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    hasher: Arc<dyn PasswordHasher>,
    #[shaku(inject)]
    sessions: Arc<dyn SessionStore>,
    #[shaku(inject)]
    tokens: Arc<dyn TokenIssuer>,
    #[shaku(inject)]
    revocations: Arc<dyn TokenRevocations>,
    #[shaku(inject)]
    throttle: Arc<dyn Throttle>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
    /// Lifetime of a session (`auth.session_ttl_secs`).
    #[shaku(default = Duration::from_secs(86_400))]
    session_ttl: Duration,
    /// Failed logins per username per window before 429 (`auth.max_failed_logins`).
    #[shaku(default = 5)]
    max_failures_per_user: u64,
    /// Failed logins per client address per window (`auth.max_failed_logins_per_ip`).
    #[shaku(default = 20)]
    max_failures_per_client: u64,
    /// The window failed logins are counted in (`auth.failed_login_window_secs`).
    #[shaku(default = Duration::from_secs(900))]
    failure_window: Duration,
}

fn user_key(username: &Username) -> String {
    format!("login-failures:user:{}", username.key())
}

fn client_key(ip: &str) -> String {
    format!("login-failures:ip:{ip}")
}

impl AuthServiceImpl {
    /// Counts one attempt under each key; refuses when any is over its limit.
    async fn count_attempt(&self, keys: [(&str, u64); 2]) -> Result<(), AuthError> {
        for (key, limit) in keys {
            if let ThrottleDecision::Limited { retry_after } =
                self.throttle.hit(key, limit, self.failure_window).await?
            {
                return Err(AuthError::Throttled { retry_after });
            }
        }
        Ok(())
    }

    fn principal(data: SessionData, id: SessionId) -> Principal {
        Principal {
            user_id: data.user_id,
            username: data.username,
            realname: data.realname,
            credential: Credential::Session(id),
        }
    }
}

#[async_trait]
impl AuthService for AuthServiceImpl {
    async fn login(&self, attempt: LoginAttempt) -> Result<Login, AuthError> {
        let user_key = user_key(&attempt.username);
        let client_key = client_key(&attempt.client_ip);
        // Count the attempt before the (slow) password check, atomically, so that
        // concurrent guesses cannot all slip under the limit; a success takes it back.
        self.count_attempt([
            (&user_key, self.max_failures_per_user),
            (&client_key, self.max_failures_per_client),
        ])
        .await?;

        let found = self.users.find_with_hash(&attempt.username).await?;
        let verified = self
            .hasher
            .verify(&attempt.password, found.as_ref().map(|(_, hash)| hash))
            .await?;
        let user = match found {
            Some((user, _)) if verified => user,
            _ => {
                tracing::info!("login failed");
                return Err(AuthError::InvalidCredentials);
            }
        };
        self.throttle.reset(&user_key).await?;
        self.throttle.forgive(&client_key).await?;
        let login = self.start_login(&user).await?;
        tracing::info!(user_id = %user.id, "login succeeded");
        Ok(login)
    }

    async fn start_login(&self, user: &User) -> Result<Login, AuthError> {
        let now = self.clock.now();
        let token = self.tokens.issue(user, now)?;
        let session_id = self
            .sessions
            .create(&SessionData::for_user(user, now), self.session_ttl)
            .await?;
        Ok(Login {
            user: user.clone(),
            session_id,
            session_ttl: self.session_ttl,
            token,
            token_ttl: self.tokens.lifetime(),
        })
    }

    async fn authenticate_session(&self, sid: &str) -> Result<Principal, AuthError> {
        let id = SessionId::parse(sid).ok_or(AuthError::Unauthenticated)?;
        let data = self
            .sessions
            .find(&id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        Ok(Self::principal(data, id))
    }

    async fn authenticate_bearer(&self, token: &str) -> Result<Principal, AuthError> {
        let claims = self.tokens.verify(token, self.clock.now())?;
        if self.revocations.is_revoked(&claims.token_id).await? {
            return Err(AuthError::Unauthenticated);
        }
        Ok(Principal {
            user_id: claims.user_id,
            username: claims.username,
            realname: claims.realname,
            credential: Credential::Bearer {
                token_id: claims.token_id,
                expires_at: claims.expires_at,
            },
        })
    }

    async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        match &principal.credential {
            Credential::Session(id) => self.sessions.delete(id).await?,
            Credential::Bearer {
                token_id,
                expires_at,
            } => self.revocations.revoke(token_id, *expires_at).await?,
        }
        tracing::info!(user_id = %principal.user_id, "logged out");
        Ok(())
    }

    async fn end_session(&self, sid: &str) -> Result<(), AuthError> {
        match SessionId::parse(sid) {
            Some(id) => self.sessions.delete(&id).await,
            None => Ok(()),
        }
    }

    async fn abandon(&self, login: &Login) -> Result<(), AuthError> {
        self.sessions.delete(&login.session_id).await?;
        self.revocations
            .revoke(&login.token.token_id, login.token.expires_at)
            .await
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
