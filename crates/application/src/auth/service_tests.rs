//! `AuthServiceImpl` against mockall mocks of every port: no database, no store.

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{AccessToken, MockSessionStore, MockTokenIssuer, TokenClaims};
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
        client: Client {
            ip: "192.0.2.7".into(),
            user_agent: "TestBrowser/1".into(),
        },
    }
}

fn sid(byte: u8) -> SessionId {
    SessionId::from_random_bytes([byte; 32])
}

/// Alice's session as stored, last seen `seen_secs_ago`.
fn alice_session(seen_secs_ago: i64) -> SessionData {
    let mut data = SessionData::for_user(
        &alice(),
        LoginOrigin {
            ip: "192.0.2.7".into(),
            user_agent: "TestBrowser/1".into(),
            method: LoginMethod::Password,
        },
        now() - chrono::Duration::hours(1),
    );
    data.last_seen_at = now() - chrono::Duration::seconds(seen_secs_ago);
    data
}

fn principal(session: &SessionId, credential: Credential) -> Principal {
    Principal {
        user_id: UserId(1),
        username: Username::parse("alice").expect("valid"),
        realname: Realname::parse("Alice").expect("valid"),
        session: session.handle(),
        method: LoginMethod::Password,
        credential,
    }
}

/// Every port, each mock starting with no expectations.
#[derive(Default)]
struct Ports {
    users: MockUserRepository,
    hasher: MockPasswordHasher,
    sessions: MockSessionStore,
    tokens: MockTokenIssuer,
    throttle: MockThrottle,
    limit_qr_sessions: bool,
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
            throttle: Arc::new(self.throttle),
            clock: Arc::new(clock),
            session_ttl: Duration::from_secs(86_400),
            limits: LoginLimits::default(),
            limit_qr_sessions: self.limit_qr_sessions,
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
        self.tokens.expect_issue().returning(|_, _, now, ends| {
            Ok(IssuedToken {
                token: AccessToken::new("signed".into()),
                expires_at: (now + chrono::Duration::days(1)).min(ends),
            })
        });
        self
    }

    /// Every token verifies as one of `session`, issued to user `user`.
    fn verifying_a_token_of(mut self, session: &SessionId, user: i64) -> Self {
        let claims = claims_of(session, user);
        self.tokens
            .expect_verify()
            .returning(move |_, _| Ok(claims.clone()));
        self
    }

    /// The store holds alice's session `sid`, last seen `seen_secs_ago`.
    fn with_session(mut self, sid: &SessionId, seen_secs_ago: i64) -> Self {
        let handle = sid.handle();
        self.sessions
            .expect_find()
            .withf(move |h| *h == handle)
            .returning(move |_| Ok(Some(alice_session(seen_secs_ago))));
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
async fn a_throttled_username_and_client_is_refused_before_the_password_is_checked() {
    let mut ports = Ports::default();
    ports.throttle.expect_hit().returning(|key, _, _| {
        Ok(if key.contains(":user-ip:") {
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
async fn every_attempt_is_counted_per_username_and_client_per_client_and_per_username() {
    let mut ports = Ports::default().alice_with_password("right-password");
    for (key, limit) in [
        ("login-failures:user-ip:alice:192.0.2.7", 5),
        ("login-failures:ip:192.0.2.7", 20),
        ("login-failures:user:alice", 100),
    ] {
        ports
            .throttle
            .expect_hit()
            .withf(move |k, l, _| k == key && *l == limit)
            .times(1)
            .returning(|_, _, _| Ok(ThrottleDecision::Allowed));
    }
    let _ = ports.service().login(attempt("wrong-password")).await;
}

#[tokio::test]
async fn a_successful_login_takes_its_attempt_back_and_starts_a_device_session() {
    let mut ports = Ports::default()
        .not_throttled()
        .alice_with_password("right-password")
        .issuing_tokens();
    ports
        .throttle
        .expect_reset()
        .withf(|key| key == "login-failures:user-ip:alice:192.0.2.7")
        .times(1)
        .returning(|_| Ok(()));
    for key in ["login-failures:ip:192.0.2.7", "login-failures:user:alice"] {
        ports
            .throttle
            .expect_forgive()
            .withf(move |k| k == key)
            .times(1)
            .returning(|_| Ok(()));
    }
    ports
        .sessions
        .expect_create()
        .withf(|data, ttl| {
            data.user_id == UserId(1)
                && data.origin.ip == "192.0.2.7"
                && data.origin.user_agent == "TestBrowser/1"
                && data.origin.method == LoginMethod::Password
                && data.created_at == now()
                && *ttl == Duration::from_secs(86_400)
        })
        .times(1)
        .returning(|_, _| Ok(sid(7)));

    let login = ports
        .service()
        .login(attempt("right-password"))
        .await
        .expect("logged in");
    assert_eq!(login.user.id, UserId(1));
    assert_eq!(login.session_id, sid(7));
    assert_eq!(login.token.token.expose(), "signed");
    assert_eq!(login.token_ttl, Duration::from_secs(86_400));
}

#[tokio::test]
async fn a_token_is_issued_for_its_session_and_never_outlives_it() {
    let mut ports = Ports::default();
    ports.sessions.expect_create().returning(|_, _| Ok(sid(8)));
    let session = sid(8).handle();
    ports
        .tokens
        .expect_issue()
        .withf(move |_, handle, now, ends| {
            *handle == session && *ends == *now + chrono::Duration::minutes(10)
        })
        .times(1)
        .returning(|_, _, _, ends| {
            Ok(IssuedToken {
                token: AccessToken::new("signed".into()),
                expires_at: ends,
            })
        });
    let origin = LoginOrigin {
        ip: "198.51.100.4".into(),
        user_agent: "PC".into(),
        method: LoginMethod::QrCode,
    };
    let login = ports
        .service()
        .start_login(&alice(), origin, Duration::from_secs(600))
        .await
        .expect("started");
    assert_eq!(login.session_ttl, Duration::from_secs(600));
    assert_eq!(login.token_ttl, Duration::from_secs(600));
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
    let err = ports
        .service()
        .authenticate_session(sid(1).as_str())
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unauthenticated));
}

#[tokio::test]
async fn a_cookie_finds_its_session_by_handle_and_a_recent_use_writes_nothing() {
    let mut ports = Ports::default().with_session(&sid(1), 10);
    ports.sessions.expect_touch().never();
    let principal = ports
        .service()
        .authenticate_session(sid(1).as_str())
        .await
        .expect("recognised");
    assert_eq!(principal, self::principal(&sid(1), Credential::Cookie));
}

#[tokio::test]
async fn a_use_a_minute_after_the_last_one_is_recorded_and_a_failure_to_record_is_harmless() {
    let mut ports = Ports::default().with_session(&sid(1), 61);
    ports
        .sessions
        .expect_touch()
        .withf(|_, seen, at| {
            seen.last_seen_at == now() - chrono::Duration::seconds(61) && *at == now()
        })
        .times(1)
        .returning(|_, _, _| Err(AuthError::Unavailable("down".into())));
    let principal = ports
        .service()
        .authenticate_session(sid(1).as_str())
        .await
        .expect("recognised anyway");
    assert_eq!(principal.user_id, UserId(1));
}

fn claims_of(session: &SessionId, user: i64) -> TokenClaims {
    TokenClaims {
        user_id: UserId(user),
        session: session.handle(),
        expires_at: now() + chrono::Duration::hours(3),
    }
}

#[tokio::test]
async fn a_token_is_accepted_while_its_session_lives() {
    let ports = Ports::default()
        .with_session(&sid(2), 0)
        .verifying_a_token_of(&sid(2), 1);
    let principal = ports
        .service()
        .authenticate_bearer("token")
        .await
        .expect("recognised");
    assert_eq!(principal, self::principal(&sid(2), Credential::Bearer));
}

#[tokio::test]
async fn a_token_whose_session_ended_is_unauthenticated() {
    let mut ports = Ports::default().verifying_a_token_of(&sid(2), 1);
    ports.sessions.expect_find().returning(|_| Ok(None));
    let err = ports
        .service()
        .authenticate_bearer("token")
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unauthenticated));
}

#[tokio::test]
async fn a_token_naming_another_users_session_is_unauthenticated() {
    let ports = Ports::default()
        .with_session(&sid(2), 0)
        .verifying_a_token_of(&sid(2), 99);
    let err = ports
        .service()
        .authenticate_bearer("token")
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unauthenticated));
}

#[tokio::test]
async fn a_token_whose_session_cannot_be_read_is_not_accepted() {
    let mut ports = Ports::default().verifying_a_token_of(&sid(2), 1);
    ports
        .sessions
        .expect_find()
        .returning(|_| Err(AuthError::Unavailable("down".into())));
    let err = ports
        .service()
        .authenticate_bearer("token")
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::Unavailable(_)));
}

#[tokio::test]
async fn logout_ends_the_session_whichever_credential_it_came_with() {
    for credential in [Credential::Cookie, Credential::Bearer] {
        let mut ports = Ports::default();
        let handle = sid(3).handle();
        ports
            .sessions
            .expect_delete()
            .withf(move |h, user| *h == handle && *user == UserId(1))
            .times(1)
            .returning(|_, _| Ok(true));
        ports
            .service()
            .logout(&principal(&sid(3), credential))
            .await
            .expect("logged out");
    }
}

fn listed(byte: u8, created_minutes_ago: i64) -> (SessionHandle, SessionData) {
    let mut data = alice_session(0);
    data.created_at = now() - chrono::Duration::minutes(created_minutes_ago);
    (sid(byte).handle(), data)
}

#[tokio::test]
async fn the_device_list_is_newest_first_and_marks_the_current_session() {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_list()
        .returning(|_| Ok(vec![listed(1, 30), listed(2, 5), listed(3, 60)]));
    let sessions = ports
        .service()
        .sessions(&principal(&sid(1), Credential::Cookie))
        .await
        .expect("listed");
    let handles: Vec<_> = sessions.iter().map(|s| s.handle.clone()).collect();
    assert_eq!(handles, [sid(2).handle(), sid(1).handle(), sid(3).handle()]);
    let current: Vec<_> = sessions.iter().map(|s| s.current).collect();
    assert_eq!(current, [false, true, false]);
}

#[tokio::test]
async fn revoking_another_users_session_is_unknown_and_deletes_nothing() {
    let mut ports = Ports::default();
    ports.sessions.expect_find().returning(|_| {
        let mut data = alice_session(0);
        data.user_id = UserId(2);
        Ok(Some(data))
    });
    ports.sessions.expect_delete().never();
    let err = ports
        .service()
        .revoke(&principal(&sid(1), Credential::Cookie), &sid(9).handle())
        .await
        .expect_err("refused");
    assert!(matches!(err, AuthError::UnknownSession));
}

#[tokio::test]
async fn revoking_the_others_keeps_the_current_session() {
    let mut ports = Ports::default();
    ports
        .sessions
        .expect_list()
        .returning(|_| Ok(vec![listed(1, 30), listed(2, 5), listed(3, 60)]));
    let current = sid(1).handle();
    ports
        .sessions
        .expect_delete()
        .withf(move |h, _| *h != current)
        .times(2)
        .returning(|_, _| Ok(true));
    let revoked = ports
        .service()
        .revoke_others(&principal(&sid(1), Credential::Bearer))
        .await
        .expect("revoked");
    assert_eq!(revoked, 2);
}

#[tokio::test]
async fn a_limited_qr_session_may_end_itself_but_no_other() {
    let qr_principal = Principal {
        method: LoginMethod::QrCode,
        ..principal(&sid(1), Credential::Bearer)
    };
    let mut ports = Ports {
        limit_qr_sessions: true,
        ..Ports::default()
    };
    ports.sessions.expect_list().never();
    ports
        .sessions
        .expect_find()
        .returning(|_| Ok(Some(alice_session(0))));
    let own = sid(1).handle();
    ports
        .sessions
        .expect_delete()
        .withf(move |h, _| *h == own)
        .times(1)
        .returning(|_, _| Ok(true));
    let service = ports.service();
    assert!(matches!(
        service.revoke(&qr_principal, &sid(2).handle()).await,
        Err(AuthError::NotAllowed)
    ));
    assert!(matches!(
        service.revoke_others(&qr_principal).await,
        Err(AuthError::NotAllowed)
    ));
    service
        .revoke(&qr_principal, &sid(1).handle())
        .await
        .expect("a session may always end itself");
}

#[tokio::test]
async fn unlimited_qr_sessions_and_password_sessions_may_end_others() {
    for (limited, method) in [(false, LoginMethod::QrCode), (true, LoginMethod::Password)] {
        let mut ports = Ports {
            limit_qr_sessions: limited,
            ..Ports::default()
        };
        ports.sessions.expect_list().returning(|_| Ok(Vec::new()));
        let caller = Principal {
            method,
            ..principal(&sid(1), Credential::Cookie)
        };
        assert_eq!(
            ports
                .service()
                .revoke_others(&caller)
                .await
                .expect("allowed"),
            0
        );
    }
}
