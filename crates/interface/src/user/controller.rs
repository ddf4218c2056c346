//! `UserController`: thin handlers over `UserService` and `AuthService`.

use std::sync::Arc;
use std::time::Duration;

use poem::Request;
use poem::http::HeaderValue;
use poem::http::header::SET_COOKIE;
use poem::web::cookie::{Cookie, SameSite};
use poem_openapi::{OpenApi, Tags};
use qblog_application::auth::{AuthService, Client, Login, LoginAttempt};
use qblog_application::user::UserService;
use qblog_domain::auth::{AuthError, Credential};

use super::dto::{
    LoginRequest, LoginView, RegisterRequest, RevokeRequest, RevokedView, SessionView, UserView,
};
use crate::pipeline::filters::ApiError;
use crate::pipeline::guards::{Auth, SESSION_COOKIE, ThrottleGuard};
use crate::pipeline::interceptors::{Reply, SessionReply};
use crate::pipeline::middleware::ClientIp;
use crate::pipeline::pipes::Valid;

/// How the session cookie is written.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// Add `Secure` (served over HTTPS).
    pub secure: bool,
}

impl CookiePolicy {
    /// `Set-Cookie` for a new session.
    pub fn session(&self, login: &Login) -> HeaderValue {
        self.render(login.session_id.as_str(), login.session_ttl)
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn cleared(&self) -> HeaderValue {
        self.render("", Duration::ZERO)
    }

    fn render(&self, value: &str, max_age: Duration) -> HeaderValue {
        let mut cookie = Cookie::new_with_str(SESSION_COOKIE, value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        cookie.set_max_age(max_age);
        cookie.set_secure(self.secure);
        HeaderValue::from_str(&cookie.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("sid=; Max-Age=0; Path=/"))
    }
}

/// Accounts and login.
pub struct UserController {
    users: Arc<dyn UserService>,
    auth: Arc<dyn AuthService>,
    cookies: CookiePolicy,
    throttle: ThrottleGuard,
    /// `auth.register_per_minute`: registrations per client IP per minute.
    register_per_minute: u64,
}

impl UserController {
    /// A controller over the user and auth services; registrations count in
    /// `throttle`, at most `register_per_minute` per client IP.
    pub fn new(
        users: Arc<dyn UserService>,
        auth: Arc<dyn AuthService>,
        cookies: CookiePolicy,
        throttle: ThrottleGuard,
        register_per_minute: u64,
    ) -> Self {
        Self {
            users,
            auth,
            cookies,
            throttle,
            register_per_minute,
        }
    }
}

/// The group the routes are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum UserTags {
    /// Accounts, login and logout, signed-in devices.
    User,
}

#[OpenApi(prefix_path = "/api/user", tag = "UserTags::User")]
impl UserController {
    /// Register an account.
    #[oai(path = "/register", method = "post")]
    async fn register(
        &self,
        req: &Request,
        body: Valid<RegisterRequest>,
    ) -> Result<Reply<UserView, 201>, ApiError> {
        // Each registration hashes a password (CPU and memory by design): per client.
        self.throttle
            .per_minute(
                &format!("register:{}", ClientIp::of(req)),
                self.register_per_minute,
            )
            .await?;
        let user = self.users.register(body.0).await?;
        Ok(Reply::new(UserView::from(&user)))
    }

    /// Log in: sets the `sid` session cookie and returns a bearer token for apps.
    #[oai(path = "/login", method = "post")]
    async fn login(
        &self,
        req: &Request,
        body: Valid<LoginRequest>,
    ) -> Result<SessionReply<LoginView>, ApiError> {
        let credentials = body.0;
        let outcome = self
            .auth
            .login(LoginAttempt {
                username: credentials.username,
                password: credentials.password,
                client: Client {
                    ip: ClientIp::of(req).to_string(),
                    user_agent: ClientIp::user_agent(req),
                },
            })
            .await;
        let label = match &outcome {
            Ok(_) => "success",
            Err(AuthError::Throttled { .. }) => "throttled",
            Err(AuthError::InvalidCredentials) => "failure",
            Err(_) => "error",
        };
        metrics::counter!("qblog_logins_total", "outcome" => label).increment(1);
        let login = outcome?;
        Ok(SessionReply::new(
            Reply::new(LoginView::from(&login))
                .with_header(SET_COOKIE, self.cookies.session(&login)),
        ))
    }

    /// Log out: ends this session (its cookie and its bearer token alike).
    #[oai(path = "/logout", method = "post")]
    async fn logout(
        &self,
        req: &Request,
        auth: Auth,
    ) -> Result<SessionReply<Option<bool>>, ApiError> {
        let principal = auth.principal();
        self.auth.logout(principal).await?;
        // Called with a token and a cookie: end the cookie's session as well.
        if principal.credential == Credential::Bearer
            && let Some(sid) = req.cookie().get(SESSION_COOKIE)
        {
            self.auth.end_session(sid.value_str()).await?;
        }
        Ok(SessionReply::new(
            Reply::new(None).with_header(SET_COOKIE, self.cookies.cleared()),
        ))
    }

    /// The caller's signed-in devices (one session per login), newest first.
    #[oai(path = "/sessions", method = "get")]
    async fn sessions(&self, auth: Auth) -> Result<Reply<Vec<SessionView>>, ApiError> {
        let sessions = self.auth.sessions(auth.principal()).await?;
        Ok(Reply::new(sessions.iter().map(SessionView::from).collect()))
    }

    /// End one of the caller's sessions: its cookie and its token stop working on
    /// every instance at once. Ending the current one also clears its cookie.
    #[oai(path = "/sessions/revoke", method = "post")]
    async fn revoke_session(
        &self,
        auth: Auth,
        body: Valid<RevokeRequest>,
    ) -> Result<SessionReply<Option<bool>>, ApiError> {
        let principal = auth.principal();
        self.auth.revoke(principal, &body.0).await?;
        let reply = Reply::new(None);
        Ok(SessionReply::new(
            if body.0 == principal.session && principal.credential == Credential::Cookie {
                reply.with_header(SET_COOKIE, self.cookies.cleared())
            } else {
                reply
            },
        ))
    }

    /// End every session of the caller but this one.
    #[oai(path = "/sessions/revoke-others", method = "post")]
    async fn revoke_other_sessions(&self, auth: Auth) -> Result<Reply<RevokedView>, ApiError> {
        let revoked = self.auth.revoke_others(auth.principal()).await?;
        Ok(Reply::new(RevokedView { revoked }))
    }

    /// The logged-in user.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: Auth) -> Reply<UserView> {
        Reply::new(UserView::from(auth.principal()))
    }

    /// The logged-in user (the Node blog's name for `/me`).
    #[oai(path = "/login-test", method = "get")]
    async fn login_test(&self, auth: Auth) -> Reply<UserView> {
        Reply::new(UserView::from(auth.principal()))
    }
}
