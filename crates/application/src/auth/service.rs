//! `AuthService`: login with throttling, device sessions and their tokens, logout,
//! the device list, and the credential checks the auth guard relies on.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::auth::{
    AuthError, Credential, IssuedToken, LoginMethod, LoginOrigin, Principal, SessionData,
    SessionHandle, SessionId, SessionStore, TokenIssuer,
};
use qblog_domain::clock::Clock;
use qblog_domain::throttle::{Throttle, ThrottleDecision};
use qblog_domain::user::{Password, PasswordHasher, User, UserRepository, Username};
use shaku::{Component, Interface};

/// The client a request came from, as the session will remember it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Its address (behind trusted proxies, the one `X-Forwarded-For` gives).
    pub ip: String,
    /// Its User-Agent, shortened.
    pub user_agent: String,
}

/// A login request, parsed.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    /// Who claims to log in.
    pub username: Username,
    /// Their password in clear.
    pub password: Password,
    /// Who is asking, for throttling and the device list.
    pub client: Client,
}

/// A successful login: a new device session, its cookie value and its bearer token.
#[derive(Debug, Clone)]
pub struct Login {
    /// Who logged in.
    pub user: User,
    /// The new session's secret id, for the `sid` cookie.
    pub session_id: SessionId,
    /// How long the session lives.
    pub session_ttl: Duration,
    /// The session's access token for apps.
    pub token: IssuedToken,
    /// How long the token lives (never longer than the session).
    pub token_ttl: Duration,
}

/// One of a user's device sessions, for their device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSession {
    /// Its public handle.
    pub handle: SessionHandle,
    /// What it remembers.
    pub data: SessionData,
    /// Whether the listing request was made with it.
    pub current: bool,
}

/// Authentication use cases.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait AuthService: Interface {
    /// Checks the password and, on success, starts a device session with its token.
    ///
    /// # Errors
    /// [`AuthError::Throttled`] after too many failures for the username from this
    /// client, from this client, or for the username from anywhere;
    /// [`AuthError::InvalidCredentials`] for an unknown user or a wrong password (the
    /// same error, after the same work); [`AuthError::Unavailable`] when a dependency
    /// is down.
    async fn login(&self, attempt: LoginAttempt) -> Result<Login, AuthError>;

    /// Starts a device session of `lifetime`, and its token, for a user already proven
    /// by other means (a confirmed QR code).
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn start_login(
        &self,
        user: &User,
        origin: LoginOrigin,
        lifetime: Duration,
    ) -> Result<Login, AuthError>;

    /// The user behind a `sid` cookie value.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for a malformed, unknown or ended session.
    async fn authenticate_session(&self, sid: &str) -> Result<Principal, AuthError>;

    /// The user behind a bearer token.
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for an invalid or expired token, or one whose
    /// session ended; [`AuthError::Unavailable`] when the session cannot be read.
    async fn authenticate_bearer(&self, token: &str) -> Result<Principal, AuthError>;

    /// Ends the session `principal` authenticated with, cookie and token alike.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn logout(&self, principal: &Principal) -> Result<(), AuthError>;

    /// Ends the session a `sid` cookie names, if it is one (logout with both a cookie
    /// and a bearer token of different sessions ends both).
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn end_session(&self, sid: &str) -> Result<(), AuthError>;

    /// Takes back a login that was made but never handed out: ends its session.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn abandon(&self, login: &Login) -> Result<(), AuthError>;

    /// The caller's device sessions, newest first.
    ///
    /// # Errors
    /// [`AuthError::Unavailable`] when the store is down.
    async fn sessions(&self, principal: &Principal) -> Result<Vec<DeviceSession>, AuthError>;

    /// Ends one of the caller's sessions (the current one included).
    ///
    /// # Errors
    /// [`AuthError::UnknownSession`] when the caller has no such live session (another
    /// user's is unknown too); [`AuthError::NotAllowed`] when the caller's session was
    /// started by a QR code, those are limited, and the session is another one;
    /// [`AuthError::Unavailable`] when the store is down.
    async fn revoke(&self, principal: &Principal, handle: &SessionHandle) -> Result<(), AuthError>;

    /// Ends every session of the caller but the current one; returns how many.
    ///
    /// # Errors
    /// [`AuthError::NotAllowed`] for a limited QR-code session;
    /// [`AuthError::Unavailable`] when the store is down.
    async fn revoke_others(&self, principal: &Principal) -> Result<u64, AuthError>;
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
    throttle: Arc<dyn Throttle>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
    /// Lifetime of a password login's session (`auth.session_ttl_secs`).
    #[shaku(default = Duration::from_secs(86_400))]
    session_ttl: Duration,
    /// How many failed logins are allowed in each window, and per what.
    #[shaku(default)]
    limits: LoginLimits,
    /// Whether sessions started by a QR code may end only themselves
    /// (`qrcode.limited_sessions`).
    #[shaku(default)]
    limit_qr_sessions: bool,
}

/// Failed logins allowed per window before 429: per (username, client address), per
/// client address, and per username from anywhere. The first is what stops a guesser;
/// the last is high, so that someone else's guessing from many addresses cannot lock
/// the owner out, yet still bounds a distributed attack on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// `auth.max_failed_logins`.
    pub per_user_and_client: u64,
    /// `auth.max_failed_logins_per_ip`.
    pub per_client: u64,
    /// `auth.max_failed_logins_per_user`.
    pub per_user: u64,
    /// `auth.failed_login_window_secs`.
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_user_and_client: 5,
            per_client: 20,
            per_user: 100,
            window: Duration::from_secs(900),
        }
    }
}

/// The throttle keys one login attempt counts under, with their limits.
fn attempt_keys(attempt: &LoginAttempt, limits: LoginLimits) -> [(String, u64); 3] {
    let user = attempt.username.key();
    let ip = &attempt.client.ip;
    [
        (
            format!("login-failures:user-ip:{user}:{ip}"),
            limits.per_user_and_client,
        ),
        (format!("login-failures:ip:{ip}"), limits.per_client),
        (format!("login-failures:user:{user}"), limits.per_user),
    ]
}

impl AuthServiceImpl {
    /// Counts one attempt under each key; refuses when any is over its limit.
    async fn count_attempt(&self, keys: &[(String, u64)]) -> Result<(), AuthError> {
        for (key, limit) in keys {
            if let ThrottleDecision::Limited { retry_after } =
                self.throttle.hit(key, *limit, self.limits.window).await?
            {
                return Err(AuthError::Throttled { retry_after });
            }
        }
        Ok(())
    }

    /// Refuses a session started by a QR code, when those are limited: someone who
    /// phished a QR login must not be able to sign the owner out.
    fn may_end_others(&self, principal: &Principal) -> Result<(), AuthError> {
        if self.limit_qr_sessions && principal.method == LoginMethod::QrCode {
            return Err(AuthError::NotAllowed);
        }
        Ok(())
    }

    /// The session `handle` for a credential of `credential` kind, noting the use.
    async fn principal(
        &self,
        handle: SessionHandle,
        credential: Credential,
    ) -> Result<(Principal, SessionData), AuthError> {
        let data = self
            .sessions
            .find(&handle)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        let now = self.clock.now();
        if data.seen_long_ago(now)
            && let Err(err) = self.sessions.touch(&handle, &data, now).await
        {
            // Only the device list's "last seen" lags; the request goes on.
            tracing::warn!(error = %err, "could not record a session's use");
        }
        let principal = Principal {
            user_id: data.user_id,
            username: data.username.clone(),
            realname: data.realname.clone(),
            session: handle,
            method: data.origin.method,
            credential,
        };
        Ok((principal, data))
    }
}

#[async_trait]
impl AuthService for AuthServiceImpl {
    async fn login(&self, attempt: LoginAttempt) -> Result<Login, AuthError> {
        let keys = attempt_keys(&attempt, self.limits);
        // Count the attempt before the (slow) password check, atomically, so that
        // concurrent guesses cannot all slip under the limit; a success takes it back.
        self.count_attempt(&keys).await?;

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
        let [(user_and_client, _), (client, _), (user_anywhere, _)] = &keys;
        self.throttle.reset(user_and_client).await?;
        self.throttle.forgive(client).await?;
        self.throttle.forgive(user_anywhere).await?;
        let origin = LoginOrigin {
            ip: attempt.client.ip,
            user_agent: attempt.client.user_agent,
            method: LoginMethod::Password,
        };
        let login = self.start_login(&user, origin, self.session_ttl).await?;
        tracing::info!(user_id = %user.id, "login succeeded");
        Ok(login)
    }

    async fn start_login(
        &self,
        user: &User,
        origin: LoginOrigin,
        lifetime: Duration,
    ) -> Result<Login, AuthError> {
        let now = self.clock.now();
        let ends = now
            + chrono::Duration::from_std(lifetime)
                .map_err(|err| anyhow::anyhow!("session lifetime: {err}"))?;
        let session_id = self
            .sessions
            .create(&SessionData::for_user(user, origin, now), lifetime)
            .await?;
        let token = match self.tokens.issue(user, &session_id.handle(), now, ends) {
            Ok(token) => token,
            Err(err) => {
                // No session without its token.
                let _ = self.sessions.delete(&session_id.handle(), user.id).await;
                return Err(err);
            }
        };
        let token_ttl = (token.expires_at - now).to_std().unwrap_or_default();
        Ok(Login {
            user: user.clone(),
            session_id,
            session_ttl: lifetime,
            token,
            token_ttl,
        })
    }

    async fn authenticate_session(&self, sid: &str) -> Result<Principal, AuthError> {
        let id = SessionId::parse(sid).ok_or(AuthError::Unauthenticated)?;
        Ok(self.principal(id.handle(), Credential::Cookie).await?.0)
    }

    async fn authenticate_bearer(&self, token: &str) -> Result<Principal, AuthError> {
        let claims = self.tokens.verify(token, self.clock.now())?;
        let (principal, _) = self.principal(claims.session, Credential::Bearer).await?;
        if principal.user_id != claims.user_id {
            return Err(AuthError::Unauthenticated);
        }
        Ok(principal)
    }

    async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        self.sessions
            .delete(&principal.session, principal.user_id)
            .await?;
        tracing::info!(user_id = %principal.user_id, "logged out");
        Ok(())
    }

    async fn end_session(&self, sid: &str) -> Result<(), AuthError> {
        let Some(id) = SessionId::parse(sid) else {
            return Ok(());
        };
        let handle = id.handle();
        if let Some(data) = self.sessions.find(&handle).await? {
            self.sessions.delete(&handle, data.user_id).await?;
        }
        Ok(())
    }

    async fn abandon(&self, login: &Login) -> Result<(), AuthError> {
        self.sessions
            .delete(&login.session_id.handle(), login.user.id)
            .await
            .map(|_| ())
    }

    async fn sessions(&self, principal: &Principal) -> Result<Vec<DeviceSession>, AuthError> {
        let mut sessions: Vec<DeviceSession> = self
            .sessions
            .list(principal.user_id)
            .await?
            .into_iter()
            .map(|(handle, data)| DeviceSession {
                current: handle == principal.session,
                handle,
                data,
            })
            .collect();
        sessions.sort_by_key(|session| (Reverse(session.data.created_at), session.handle.clone()));
        Ok(sessions)
    }

    async fn revoke(&self, principal: &Principal, handle: &SessionHandle) -> Result<(), AuthError> {
        if *handle != principal.session {
            self.may_end_others(principal)?;
        }
        match self.sessions.find(handle).await? {
            Some(data) if data.user_id == principal.user_id => {
                self.sessions.delete(handle, principal.user_id).await?;
                tracing::info!(user_id = %principal.user_id, session = %handle, "session revoked");
                Ok(())
            }
            _ => Err(AuthError::UnknownSession),
        }
    }

    async fn revoke_others(&self, principal: &Principal) -> Result<u64, AuthError> {
        self.may_end_others(principal)?;
        let mut revoked = 0;
        for (handle, _) in self.sessions.list(principal.user_id).await? {
            if handle != principal.session
                && self.sessions.delete(&handle, principal.user_id).await?
            {
                revoked += 1;
            }
        }
        tracing::info!(user_id = %principal.user_id, revoked, "other sessions revoked");
        Ok(revoked)
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
