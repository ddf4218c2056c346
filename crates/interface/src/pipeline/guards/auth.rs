//! The auth guard: who is calling, from a bearer token or the `sid` session cookie.
//!
//! A handler declares it by taking [`Auth`] (login required) or [`OptionalAuth`]
//! (anonymous allowed); poem-openapi runs the guard before the handler and documents
//! both schemes in the OpenAPI document. A bearer token is tried first, then the
//! cookie. Cookie-authenticated unsafe requests also pass the CSRF check here.

use std::sync::Arc;

use poem::http::{Method, StatusCode};
use poem::{Request, RequestBody};
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, SecurityScheme};
use qblog_application::auth::AuthService;
use qblog_domain::auth::{AuthError, Principal};

use crate::pipeline::filters::{ApiError, ErrorCode, classify};
use crate::pipeline::middleware::RequestFacts;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "sid";

/// What the guard needs, shared through the request data.
#[derive(Clone)]
pub struct GuardContext {
    /// Checks credentials.
    pub auth: Arc<dyn AuthService>,
    /// Origins allowed to make cookie-authenticated unsafe requests
    /// (`scheme://host[:port]`): the public base URL and `auth.allowed_origins`.
    pub allowed_origins: Arc<Vec<String>>,
}

impl GuardContext {
    fn of(req: &Request) -> Result<&Self, ApiError> {
        req.data::<GuardContext>()
            .ok_or_else(|| ApiError::internal("the auth guard has no context"))
    }
}

/// A bearer access token (`Authorization: Bearer …`).
#[derive(SecurityScheme)]
#[oai(
    rename = "bearer",
    ty = "bearer",
    bearer_format = "JWT",
    checker = "check_bearer"
)]
pub struct BearerAuth(pub Principal);

/// The `sid` session cookie set by login.
#[derive(SecurityScheme)]
#[oai(
    rename = "session",
    ty = "api_key",
    key_name = "sid",
    key_in = "cookie",
    checker = "check_session"
)]
pub struct SessionAuth(pub Principal);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let context = GuardContext::of(req)?;
    let principal = context
        .auth
        .authenticate_bearer(&bearer.token)
        .await
        .map_err(ApiError::from)?;
    remember(req, &principal);
    Ok(principal)
}

/// Tells the access log who is calling.
fn remember(req: &Request, principal: &Principal) {
    if let Some(facts) = RequestFacts::of(req) {
        facts.set_user(principal.username.as_str());
    }
}

async fn check_session(req: &Request, cookie: ApiKey) -> poem::Result<Principal> {
    let context = GuardContext::of(req)?;
    let principal = context
        .auth
        .authenticate_session(&cookie.key)
        .await
        .map_err(ApiError::from)?;
    refuse_cross_site(req, &context.allowed_origins)?;
    remember(req, &principal);
    Ok(principal)
}

/// CSRF: a cookie travels with requests other sites trigger, so an unsafe method is
/// refused when the browser says another site made it (`Sec-Fetch-Site: cross-site`,
/// sent by current browsers even where `Origin` and `Referer` are suppressed), or when
/// its `Origin` (or `Referer`) is not an allowed origin. Requests without any of these
/// headers (non-browser clients) pass; `SameSite=Lax` already keeps the cookie off
/// most cross-site requests. The refusal names the origin and what to change:
/// opening the pages under another name (`localhost` for `127.0.0.1`) is the usual
/// cause.
fn refuse_cross_site(req: &Request, allowed: &[String]) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let cross_site =
        header("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site"));
    let origin = match (header("origin"), header("referer")) {
        (Some(origin), _) => Some(origin.to_owned()),
        (None, Some(referer)) => Some(origin_of(referer)),
        (None, None) => None,
    };
    let why = match (&origin, cross_site) {
        (None, false) => return Ok(()),
        (Some(origin), false) if allowed.iter().any(|ok| ok.eq_ignore_ascii_case(origin)) => {
            return Ok(());
        }
        (Some(origin), false) => format!(
            "origin {} is not allowed; list it in auth.allowed_origins \
             (APP__AUTH__ALLOWED_ORIGINS) or open the pages at server.public_base_url",
            printable(origin)
        ),
        (Some(origin), true) => format!(
            "the browser says origin {} is another site; the session cookie is SameSite=Lax, \
             so serve the pages from the API's site (server.public_base_url)",
            printable(origin)
        ),
        (None, true) => "the browser says another site sent it; serve the pages from the \
                         API's site (server.public_base_url)"
            .to_owned(),
    };
    Err(ApiError::new(
        ErrorCode::Forbidden,
        format!("cross-site request refused: {why}"),
    ))
}

/// `text` fit for an error message: at most 100 characters, printable ASCII only.
fn printable(text: &str) -> String {
    text.chars()
        .take(100)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

/// `scheme://host[:port]` of a URL.
pub fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    url[..end].to_owned()
}

/// Runs the bearer scheme, then the cookie scheme. A missing or bad credential (401)
/// lets the next scheme try; any other failure (a dependency down, a cross-site
/// request) is final, so an outage is reported as 503, not as "please log in".
async fn either_scheme<'a>(
    req: &'a Request,
    body: &mut RequestBody,
    param_opts: ExtractParamOptions<()>,
) -> Result<Option<Auth>, poem::Error> {
    match <BearerAuth as ApiExtractor<'a>>::from_request(req, body, param_opts.clone()).await {
        Ok(bearer) => return Ok(Some(Auth::Bearer(bearer))),
        Err(err) if err.status() != StatusCode::UNAUTHORIZED => return Err(err),
        Err(_) => {}
    }
    match <SessionAuth as ApiExtractor<'a>>::from_request(req, body, param_opts).await {
        Ok(session) => Ok(Some(Auth::Session(session))),
        Err(err) if err.status() != StatusCode::UNAUTHORIZED => Err(err),
        Err(_) => Ok(None),
    }
}

fn register_schemes(registry: &mut Registry) {
    <BearerAuth as ApiExtractor<'_>>::register(registry);
    <SessionAuth as ApiExtractor<'_>>::register(registry);
}

fn scheme_names() -> Vec<&'static str> {
    let mut names = <BearerAuth as ApiExtractor<'_>>::security_schemes();
    names.extend(<SessionAuth as ApiExtractor<'_>>::security_schemes());
    names
}

/// The guard for routes that need a logged-in user.
pub enum Auth {
    /// Authenticated by a bearer token.
    Bearer(BearerAuth),
    /// Authenticated by the session cookie.
    Session(SessionAuth),
}

impl Auth {
    /// The calling user.
    pub fn principal(&self) -> &Principal {
        match self {
            Self::Bearer(BearerAuth(principal)) | Self::Session(SessionAuth(principal)) => {
                principal
            }
        }
    }
}

impl<'a> ApiExtractor<'a> for Auth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        scheme_names()
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        either_scheme(req, body, param_opts)
            .await?
            .ok_or_else(|| ApiError::from(AuthError::Unauthenticated).into())
    }
}

/// The guard for routes open to everyone that act differently for a logged-in user.
///
/// A credential that cannot be checked because the session store is down does not
/// fail the request: an open route still answers, as for an anonymous caller, and only
/// what needs the user ([`OptionalAuth::require`]) reports the outage.
pub enum OptionalAuth {
    /// Authenticated.
    User(Auth),
    /// No valid credential.
    Anonymous,
    /// A credential came but could not be checked; the error says why (503).
    Unchecked(ApiError),
}

impl OptionalAuth {
    /// The calling user, if one was recognised.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::User(auth) => Some(auth.principal()),
            Self::Anonymous | Self::Unchecked(_) => None,
        }
    }

    /// The calling user, for the part of an open route that needs one.
    ///
    /// # Errors
    /// 401 for an anonymous caller; the outage (503) when the credential could not be
    /// checked.
    pub fn require(self) -> Result<Auth, ApiError> {
        match self {
            Self::User(auth) => Ok(auth),
            Self::Anonymous => Err(AuthError::Unauthenticated.into()),
            Self::Unchecked(outage) => Err(outage),
        }
    }
}

impl<'a> ApiExtractor<'a> for OptionalAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_schemes(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        scheme_names()
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match either_scheme(req, body, param_opts).await {
            Ok(found) => Ok(found.map_or(Self::Anonymous, Self::User)),
            Err(err) if err.status() == StatusCode::SERVICE_UNAVAILABLE => {
                let outage = classify(err);
                tracing::warn!(
                    cause = outage.cause_chain().unwrap_or_default(),
                    "a credential could not be checked; serving the caller as anonymous"
                );
                Ok(Self::Unchecked(outage))
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://blog.example.com/a/b?c"),
            "https://blog.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
        assert_eq!(origin_of("http://h:1#x"), "http://h:1");
    }

    fn request(method: Method, origin: Option<&str>, referer: Option<&str>) -> Request {
        let mut builder = Request::builder().method(method);
        if let Some(origin) = origin {
            builder = builder.header("origin", origin);
        }
        if let Some(referer) = referer {
            builder = builder.header("referer", referer);
        }
        builder.finish()
    }

    fn allowed() -> Vec<String> {
        vec!["http://127.0.0.1:8000".to_owned()]
    }

    #[test]
    fn a_foreign_origin_on_a_post_is_refused() {
        let req = request(Method::POST, Some("https://evil.example"), None);
        let err = refuse_cross_site(&req, &allowed()).expect_err("refused");
        assert_eq!(err.status().as_u16(), 403);
    }

    #[test]
    fn a_foreign_referer_counts_when_there_is_no_origin() {
        let req = request(Method::POST, None, Some("https://evil.example/page"));
        assert!(refuse_cross_site(&req, &allowed()).is_err());
    }

    #[test]
    fn a_post_the_browser_calls_cross_site_is_refused_without_origin_or_referer() {
        let post = |site: &str| {
            Request::builder()
                .method(Method::POST)
                .header("sec-fetch-site", site)
                .finish()
        };
        assert!(refuse_cross_site(&post("cross-site"), &allowed()).is_err());
        assert!(refuse_cross_site(&post("Cross-Site"), &allowed()).is_err());
        for fine in ["same-origin", "same-site", "none"] {
            assert!(refuse_cross_site(&post(fine), &allowed()).is_ok(), "{fine}");
        }
        let with_our_origin = Request::builder()
            .method(Method::POST)
            .header("sec-fetch-site", "cross-site")
            .header("origin", "http://127.0.0.1:8000")
            .finish();
        assert!(
            refuse_cross_site(&with_our_origin, &allowed()).is_err(),
            "the browser's word that another site made it wins"
        );
    }

    #[test]
    fn our_own_origin_no_origin_and_safe_methods_pass() {
        assert!(
            refuse_cross_site(
                &request(Method::POST, Some("http://127.0.0.1:8000"), None),
                &allowed()
            )
            .is_ok()
        );
        assert!(refuse_cross_site(&request(Method::POST, None, None), &allowed()).is_ok());
        assert!(
            refuse_cross_site(
                &request(Method::GET, Some("https://evil.example"), None),
                &allowed()
            )
            .is_ok()
        );
    }
}

/// The guard in isolation: a stand-in `AuthService` and a one-route API.
#[cfg(test)]
mod guard_tests {
    use async_trait::async_trait;
    use poem::{Endpoint, EndpointExt, IntoResponse};
    use poem_openapi::{OpenApi, OpenApiService};
    use qblog_application::auth::{DeviceSession, Login, LoginAttempt};
    use qblog_domain::auth::{Credential, LoginMethod, LoginOrigin, SessionHandle, SessionId};
    use qblog_domain::user::{Realname, User, UserId, Username};

    use super::*;
    use crate::pipeline::filters::ExceptionFilter;

    /// Accepts the bearer token "good" and the session cookie of 64 `a`s; the bearer
    /// token "outage" behaves as if the store were down.
    struct StandIn;

    fn alice(credential: Credential) -> Principal {
        Principal {
            user_id: UserId(1),
            username: Username::parse("alice").expect("valid"),
            realname: Realname::parse("Alice").expect("valid"),
            session: SessionId::from_random_bytes([0xaa; 32]).handle(),
            method: LoginMethod::Password,
            credential,
        }
    }

    #[async_trait]
    impl AuthService for StandIn {
        async fn login(&self, _: LoginAttempt) -> Result<Login, AuthError> {
            Err(AuthError::InvalidCredentials)
        }
        async fn start_login(
            &self,
            _: &User,
            _: LoginOrigin,
            _: std::time::Duration,
        ) -> Result<Login, AuthError> {
            Err(AuthError::Unavailable("not here".into()))
        }
        async fn authenticate_session(&self, sid: &str) -> Result<Principal, AuthError> {
            match SessionId::parse(sid) {
                Some(_) if sid == "a".repeat(64) => Ok(alice(Credential::Cookie)),
                _ => Err(AuthError::Unauthenticated),
            }
        }
        async fn authenticate_bearer(&self, token: &str) -> Result<Principal, AuthError> {
            match token {
                "good" => Ok(alice(Credential::Bearer)),
                "outage" => Err(AuthError::Unavailable("redis down".into())),
                _ => Err(AuthError::Unauthenticated),
            }
        }
        async fn logout(&self, _: &Principal) -> Result<(), AuthError> {
            Ok(())
        }
        async fn end_session(&self, _: &str) -> Result<(), AuthError> {
            Ok(())
        }
        async fn abandon(&self, _: &Login) -> Result<(), AuthError> {
            Ok(())
        }
        async fn sessions(&self, _: &Principal) -> Result<Vec<DeviceSession>, AuthError> {
            Ok(Vec::new())
        }
        async fn revoke(&self, _: &Principal, _: &SessionHandle) -> Result<(), AuthError> {
            Err(AuthError::UnknownSession)
        }
        async fn revoke_others(&self, _: &Principal) -> Result<u64, AuthError> {
            Ok(0)
        }
    }

    struct Probe;

    #[OpenApi]
    impl Probe {
        #[oai(path = "/who", method = "post")]
        async fn who(&self, auth: Auth) -> poem_openapi::payload::PlainText<String> {
            poem_openapi::payload::PlainText(auth.principal().username.to_string())
        }

        /// Says who `OptionalAuth` saw and what `require` would answer.
        #[oai(path = "/open", method = "get")]
        async fn open(&self, auth: OptionalAuth) -> poem_openapi::payload::PlainText<String> {
            let who = match &auth {
                OptionalAuth::User(user) => user.principal().username.to_string(),
                OptionalAuth::Anonymous => "anonymous".to_owned(),
                OptionalAuth::Unchecked(_) => "unchecked".to_owned(),
            };
            let required = auth
                .require()
                .map_or_else(|err| err.status().as_u16(), |_| 200);
            poem_openapi::payload::PlainText(format!("{who} {required}"))
        }
    }

    /// `POST /who` with what `request` carries.
    async fn call(request: poem::RequestBuilder) -> (u16, String) {
        call_route(request.method(Method::POST).uri_str("/who")).await
    }

    /// `GET /open` with what `request` carries.
    async fn call_open(request: poem::RequestBuilder) -> (u16, String) {
        call_route(request.uri_str("/open")).await
    }

    async fn call_route(request: poem::RequestBuilder) -> (u16, String) {
        let app = OpenApiService::new(Probe, "probe", "1")
            .data(GuardContext {
                auth: Arc::new(StandIn),
                allowed_origins: Arc::new(vec!["http://good.example".to_owned()]),
            })
            .with(ExceptionFilter::default());
        let response = app
            .call(request.finish())
            .await
            .map_or_else(poem::Error::into_response, IntoResponse::into_response);
        let status = response.status().as_u16();
        let body = response.into_body().into_string().await.unwrap_or_default();
        (status, body)
    }

    #[tokio::test]
    async fn a_valid_bearer_token_or_cookie_names_the_user() {
        let (status, body) = call(Request::builder().header("authorization", "Bearer good")).await;
        assert_eq!((status, body.as_str()), (200, "alice"));
        let cookie = format!("sid={}", "a".repeat(64));
        let (status, _) = call(Request::builder().header("cookie", cookie)).await;
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn no_or_bad_credentials_are_a_401_envelope() {
        for request in [
            Request::builder(),
            Request::builder().header("authorization", "Bearer forged"),
            Request::builder().header("cookie", "sid=nope"),
        ] {
            let (status, body) = call(request).await;
            assert_eq!(status, 401);
            assert!(body.contains("\"code\":\"unauthenticated\""), "{body}");
        }
    }

    #[tokio::test]
    async fn an_open_route_serves_a_caller_whose_credential_cannot_be_checked() {
        let outage = call_open(Request::builder().header("authorization", "Bearer outage")).await;
        assert_eq!(outage, (200, "unchecked 503".to_owned()));
        let anonymous = call_open(Request::builder()).await;
        assert_eq!(anonymous, (200, "anonymous 401".to_owned()));
        let user = call_open(Request::builder().header("authorization", "Bearer good")).await;
        assert_eq!(user, (200, "alice 200".to_owned()));
    }

    #[tokio::test]
    async fn a_store_outage_is_503_not_a_request_to_log_in() {
        let (status, body) =
            call(Request::builder().header("authorization", "Bearer outage")).await;
        assert_eq!(status, 503, "{body}");
    }

    #[tokio::test]
    async fn a_cookie_post_from_a_foreign_page_is_refused() {
        let cookie = format!("sid={}", "a".repeat(64));
        let (status, _) = call(
            Request::builder()
                .header("cookie", cookie.clone())
                .header("origin", "https://evil.example"),
        )
        .await;
        assert_eq!(status, 403);
        let (status, _) = call(
            Request::builder()
                .header("cookie", cookie)
                .header("origin", "http://good.example"),
        )
        .await;
        assert_eq!(status, 200);
    }
}
