//! `AuthServiceImpl` against mockall mocks of every port: no database, no store.

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{
    AccessToken, MockSessionStore, MockTokenIssuer, MockTokenRevocations, TokenClaims, TokenId,
};
use qblog_domain::clock::MockClock;
use qblog_domain::throttle::MockThrottle;
use qblog_domain::user::{MockPasswordHasher, MockUserRepository, PasswordHash, Realname, UserId};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn alice() -> User {
    User {
        id: UserId(1),
        username: Username::parse("alice").expect("valid"),
        realname: Realname::parse("Alice").expect("valid"),
        created_at: now(),
    }
}

fn attempt(password: &str) -> LoginAttempt {
    LoginAttempt {
        username: Username::parse("alice").expect("valid"),
        password: Password::parse(password).expect("valid"),
        client_ip: "192.0.2.7".into(),
    }
}

/// Every port, each mock starting with no expectations.
#[derive(Default)]
struct Ports {
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    sessions: MockSessionStore,
    tokens: MockTokenIssuer,
    revocations: MockTokenRevocations,
    throttle: MockThrottle,
}

impl Ports {
    fn service(self) -> AuthServiceImpl {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        AuthServiceImpl {
            users: Arc::new(self.users),
            hasher: Arc::new(self.hasher),
            sessions: Arc::new(self.sessions),
            tokens: Arc::new(self.tokens),
            revocations: Arc::new(self.revocations),
            throttle: Arc::new(self.throttle),
            clock: Arc::new(clock),
            session_ttl: Duration::from_secs(86_400),
            max_failures_per_user: 5,
            max_failures_per_client: 20,
            failure_window: Duration::from_secs(900),
        }
    }

    fn not_throttled(mut self) -> Self {
        self.throttle
            .expect_hit()
            .returning(|_, _, _| Ok(ThrottleDecision::Allowed));
        self
    }

    fn alice_with_password(mut self, correct: &'static str) -> Self {
        self.users
            .expect_find_with_hash()
            .returning(|_| Ok(Some((alice(), PasswordHash::new("$argon2id$alice".into())))));
        self.hasher
            .expect_verify()
            .returning(move |password, _| Ok(password.expose() == correct));
        self
    }

    fn issuing_tokens(mut self) -> Self {
        self.tokens.expect_issue().returning(|_, now| {
            Ok(IssuedToken {
                token: AccessToken::new("signed".into()),
                token_id: TokenId("jti-1".into()),
                expires_at: now + chrono::Duration::days(1),
            })
        });
        self.tokens
            .expect_lifetime()
            .returning(|| Duration::from_secs(86_400));
        self
    }
}

#[tokio::test]
async fn login_with_a_wrong_password_never_creates_a_session() {
    let mut ports = Ports::default()
        .not_throttled()
        .alice_with_password("right-password");
    ports.throttle.expect_reset().never();
    ports.throttle.expect_forgive().never();
    ports.sessions.expect_create().never();
    ports.tokens.expect_issue().never();

    let err = ports
        .service()
        .login(attempt("wrong-password"))
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::InvalidCredentials));
}

#[tokio::test]
async fn an_unknown_user_costs_a_verification_and_gets_the_same_error() {
    let mut ports = Ports::default().not_throttled();
    ports.users.expect_find_with_hash().returning(|_| Ok(None));
    ports
        .hasher
        .expect_verify()
        .withf(|_, hash| hash.is_none())
        .times(1)
        .returning(|_, _| Ok(false));
    ports.sessions.expect_create().never();

    let err = ports
        .service()
        .login(attempt("any-password"))
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::InvalidCredentials));
}

#[tokio::test]
async fn a_throttled_username_is_refused_before_the_password_is_checked() {
    let mut ports = Ports::default();
    ports.throttle.expect_hit().returning(|key, _, _| {
        Ok(if key.contains(":user:") {
            ThrottleDecision::Limited {
                retry_after: Duration::from_secs(42),
            }
        } else {
            ThrottleDecision::Allowed
        })
    });
    ports.users.expect_find_with_hash().never();
    ports.hasher.expect_verify().never();

    let err = ports
        .service()
        .login(attempt("right-password"))
        .await
        .expect_err("throttled");
    assert!(matches!(
        err,
        AuthError::Throttled { retry_after } if retry_after == Duration::from_secs(42)
    ));
}

#[tokio::test]
async fn every_attempt_is_counted_per_username_and_per_client_before_the_check() {
    let mut ports = Ports::default().alice_with_password("right-password");
    ports
        .throttle
        .expect_hit()
        .withf(|key, limit, _| key == "login-failures:user:alice" && *limit == 5)
        .times(1)
        .returning(|_, _, _| Ok(ThrottleDecision::Allowed));
    ports
        .throttle
        .expect_hit()
        .withf(|key, limit, _| key == "login-failures:ip:192.0.2.7" && *limit == 20)
        .times(1)
        .returning(|_, _, _| Ok(ThrottleDecision::Allowed));
    let _ = ports.service().login(attempt("wrong-password")).await;
}

#[tokio::test]
async fn a_successful_login_resets_the_username_counter_and_starts_a_session() {
    let mut ports = Ports::default()
        .not_throttled()
        .alice_with_password("right-password")
        .issuing_tokens();
    ports
        .throttle
        .expect_reset()
        .withf(|key| key == "login-failures:user:alice")
        .times(1)
        .returning(|_| Ok(()));
    ports
        .throttle
        .expect_forgive()
        .withf(|key| key == "login-failures:ip:192.0.2.7")
        .times(1)
        .returning(|_| Ok(()));
    ports
        .sessions
        .expect_create()
        .withf(|data, ttl| data.user_id == UserId(1) && *ttl == Duration::from_secs(86_400))
        .times(1)
        .returning(|_, _| Ok(SessionId::from_random_bytes([7; 32])));

    let login = ports
        .service()
        .login(attempt("right-password"))
        .await
        .expect("logged in");
    assert_eq!(login.user.id, UserId(1));
    assert_eq!(login.session_id, SessionId::from_random_bytes([7; 32]));
    assert_eq!(login.token.token.expose(), "signed");
}

#[tokio::test]
async fn a_malformed_session_id_is_refused_without_asking_the_store() {
    let mut ports = Ports::default();
    ports.sessions.expect_find().never();
    let err = ports
        .service()
        .authenticate_session("not-a-session-id")
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unauthenticated));
}

#[tokio::test]
async fn an_ended_session_is_unauthenticated() {
    let mut ports = Ports::default();
    ports.sessions.expect_find().returning(|_| Ok(None));
    let sid = SessionId::from_random_bytes([1; 32]);
    let err = ports
        .service()
        .authenticate_session(sid.as_str())
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unauthenticated));
}

fn valid_claims() -> TokenClaims {
    TokenClaims {
        user_id: UserId(1),
        username: Username::parse("alice").expect("valid"),
        realname: Realname::parse("Alice").expect("valid"),
        token_id: TokenId("jti-1".into()),
        expires_at: now() + chrono::Duration::hours(3),
    }
}

#[tokio::test]
async fn a_revoked_token_is_unauthenticated() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_, _| Ok(valid_claims()));
    ports
        .revocations
        .expect_is_revoked()
        .returning(|_| Ok(true));
    let err = ports
        .service()
        .authenticate_bearer("token")
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unauthenticated));
}

#[tokio::test]
async fn a_token_whose_revocation_cannot_be_checked_is_not_accepted() {
    let mut ports = Ports::default();
    ports
        .tokens
        .expect_verify()
        .returning(|_, _| Ok(valid_claims()));
    ports
        .revocations
        .expect_is_revoked()
        .returning(|_| Err(AuthError::Unavailable("down".into())));
    let err = ports
        .service()
        .authenticate_bearer("token")
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unavailable(_)));
}

#[tokio::test]
async fn logout_with_a_bearer_token_revokes_it_until_it_expires() {
    let mut ports = Ports::default();
    let expires_at = now() + chrono::Duration::hours(3);
    ports
        .revocations
        .expect_revoke()
        .withf(move |id, until| id.0 == "jti-1" && *until == expires_at)
        .times(1)
        .returning(|_, _| Ok(()));
    ports.sessions.expect_delete().never();
    let principal = Principal {
        user_id: UserId(1),
        username: Username::parse("alice").expect("valid"),
        realname: Realname::parse("Alice").expect("valid"),
        credential: Credential::Bearer {
            token_id: TokenId("jti-1".into()),
            expires_at,
        },
    };
    ports
        .service()
        .logout(&principal)
        .await
        .expect("logged out");
}

#[tokio::test]
async fn logout_with_a_session_deletes_it() {
    let mut ports = Ports::default();
    let sid = SessionId::from_random_bytes([3; 32]);
    let expected = sid.clone();
    ports
        .sessions
        .expect_delete()
        .withf(move |id| *id == expected)
        .times(1)
        .returning(|_| Ok(()));
    let principal = Principal {
        user_id: UserId(1),
        username: Username::parse("alice").expect("valid"),
        realname: Realname::parse("Alice").expect("valid"),
        credential: Credential::Session(sid),
    };
    ports
        .service()
        .logout(&principal)
        .await
        .expect("logged out");
}
