//! `QrLoginServiceImpl` against mockall mocks of the store, users, auth and clock.

use std::sync::Mutex;

use chrono::{DateTime, TimeZone, Utc};
use qblog_domain::auth::{AccessToken, Credential, IssuedToken, SessionId};
use qblog_domain::clock::MockClock;
use qblog_domain::qrcode::MockQrCodeStore;
use qblog_domain::throttle::{RateLimit, ThrottleDecision};
use qblog_domain::user::{MockUserRepository, Realname, User, UserId, Username};

use super::*;
use crate::auth::service::MockAuthService;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn principal(id: i64) -> Principal {
    Principal {
        user_id: UserId(id),
        username: Username::parse(&format!("user{id}")).expect("valid"),
        realname: Realname::parse(&format!("User {id}")).expect("valid"),
        session: SessionId::from_random_bytes([1; 32]).handle(),
        method: LoginMethod::Password,
        credential: Credential::Bearer,
    }
}

fn poll_key() -> PollTokenKey {
    PollTokenKey::derive(b"the test deployment's secret")
}

/// The id every test code has.
fn code_id() -> QrCodeId {
    QrCodeId::parse("id", "3f2b8c1e-7d4a-4f6b-9c2d-1a2b3c4d5e6f").expect("valid")
}

/// The poll token the service issued for the test code.
fn issued() -> PollToken {
    poll_key().issue(&code_id())
}

fn code(state: QrState, token: &PollToken) -> QrCode {
    QrCode {
        id: code_id(),
        state,
        pc: PcInfo {
            ip: "192.0.2.1".into(),
            user_agent: "Firefox".into(),
            created_at: start(),
        },
        expires_at: start() + chrono::Duration::seconds(120),
        poll_token_hash: token.hash(),
    }
}

/// What the service's clock reads unless a test says otherwise: ten seconds after the
/// test code was made.
fn now() -> DateTime<Utc> {
    start() + chrono::Duration::seconds(10)
}

/// Every port, each mock starting with no expectations, and the service's settings.
#[derive(Default)]
struct Ports {
    codes: MockQrCodeStore,
    users: MockUserRepository,
    auth: MockAuthService,
    /// What this instance's clock reads; `None` is `now()`. Set with
    /// [`Ports::clock_reading`].
    clock_reads: Option<DateTime<Utc>>,
    /// The service's settings; tests change single fields (`ports.policy.login_ttl = …`).
    policy: QrPolicy,
}

impl Ports {
    /// The service over these ports, a clock fixed at `now()` (or what
    /// [`Ports::clock_reading`] set) and the test poll-token key.
    fn service(self) -> QrLoginServiceImpl {
        let mut clock = MockClock::new();
        let reads = self.clock_reads.unwrap_or_else(now);
        clock.expect_now().returning(move || reads);
        QrLoginServiceImpl {
            codes: Arc::new(self.codes),
            users: Arc::new(self.users),
            auth: Arc::new(self.auth),
            clock: Arc::new(clock),
            poll_tokens: poll_key(),
            policy: self.policy,
        }
    }

    /// This instance's clock reads `at` instead of `now()`.
    fn clock_reading(mut self, at: DateTime<Utc>) -> Self {
        self.clock_reads = Some(at);
        self
    }

    /// The store returns `record` on every read; each test sets what replaces do.
    fn reading(mut self, record: QrCode) -> Self {
        self.codes
            .expect_get()
            .returning(move |_| Ok(Some(live(record.clone()))));
        self
    }

    /// The store holds `record` and applies replaces to it, like the real stores;
    /// `lose_answers` makes every applied replace report a store failure, as when the
    /// write went through and its answer was lost.
    fn holding_with(mut self, record: QrCode, lose_answers: bool) -> Self {
        let stored = Arc::new(Mutex::new(Some(record)));
        let read = Arc::clone(&stored);
        self.codes
            .expect_get()
            .returning(move |_| Ok(read.lock().expect("lock").clone().map(live)));
        self.codes.expect_replace().returning(move |current, next| {
            let mut slot = stored.lock().expect("lock");
            Ok(match slot.as_ref() {
                None => QrUpdate::Gone,
                Some(held) if held == current => {
                    *slot = Some(next.clone());
                    if lose_answers {
                        return Err(QrError::Unavailable("the reply timed out".into()));
                    }
                    QrUpdate::Applied
                }
                Some(_) => QrUpdate::Changed,
            })
        });
        self
    }

    /// The store holds `record` and applies replaces to it, like the real stores.
    fn holding(self, record: QrCode) -> Self {
        self.holding_with(record, false)
    }

    /// `alice` scanned and confirmed: the users repository finds her and the auth
    /// service starts her login, as often as asked.
    fn confirmed_by_alice(mut self) -> Self {
        self.users
            .expect_find_by_id()
            .returning(|_| Ok(Some(alice())));
        self.auth
            .expect_start_login()
            .returning(|_, _, _| Ok(login()));
        self
    }
}

/// How a store hands `record` out: with 110 s left by its own clock.
fn live(record: QrCode) -> LiveQrCode {
    LiveQrCode {
        code: record,
        remaining: Duration::from_secs(110),
    }
}

fn alice() -> User {
    User {
        id: UserId(1),
        username: Username::parse("user1").expect("valid"),
        realname: Realname::parse("User 1").expect("valid"),
        created_at: start(),
    }
}

fn login() -> Login {
    Login {
        user: alice(),
        session_id: SessionId::from_random_bytes([9; 32]),
        session_ttl: Duration::from_secs(60),
        token: IssuedToken {
            token: AccessToken::new("signed".into()),
            expires_at: start(),
        },
        token_ttl: Duration::from_secs(60),
    }
}

fn scanner(id: i64) -> Scanner {
    let p = principal(id);
    Scanner {
        user_id: p.user_id,
        username: p.username,
        realname: p.realname,
    }
}

#[tokio::test]
async fn a_generated_code_gets_a_token_made_from_its_id_and_lives_its_ttl() {
    let mut ports = Ports::default();
    ports
        .codes
        .expect_create()
        .withf(|code, ttl| code.state == QrState::Unscanned && *ttl == Duration::from_secs(120))
        .times(1)
        .returning(|_, _| Ok(()));
    let generated = ports
        .service()
        .generate("192.0.2.1".into(), "Firefox".into())
        .await
        .expect("generated");
    assert!(poll_key().verify(&generated.code.id, &generated.poll_token));
    assert!(
        generated
            .code
            .poll_token_hash
            .matches(&generated.poll_token),
        "the previous release can check it too"
    );
    assert_eq!(
        generated.code.expires_at - generated.code.pc.created_at,
        chrono::Duration::seconds(120)
    );
}

#[tokio::test]
async fn the_time_left_is_the_stores_whatever_this_instances_clock_says() {
    let token = issued();
    let record = code(QrState::Unscanned, &token);
    let service = Ports::default()
        .holding(record.clone())
        // This instance's clock runs far past the deadline the creator wrote.
        .clock_reading(start() + chrono::Duration::hours(1))
        .service();
    let scanned = service
        .scan(&principal(1), &record.id, "192.0.2.1")
        .await
        .expect("still live in the store");
    assert_eq!(scanned.live.expires_in(), 110);
    let check = service
        .check(CheckRequest {
            id: record.id,
            token,
            since: None,
            wait: Duration::ZERO,
            claim: true,
            rate_limit: None,
        })
        .await
        .expect("checked");
    assert_eq!(check.status, QrStatus::Scanned);
    assert_eq!(check.expires_in, 110);
}

#[tokio::test]
async fn confirm_by_a_user_who_did_not_scan_is_forbidden() {
    let token = issued();
    let record = code(QrState::Scanned(scanner(1), None), &token);
    let service = Ports::default().holding(record.clone()).service();
    assert!(matches!(
        service.confirm(&principal(2), &record.id, None).await,
        Err(QrError::NotScanner)
    ));
    assert!(matches!(
        service.cancel(&principal(2), &record.id).await,
        Err(QrError::NotScanner)
    ));
}

#[tokio::test]
async fn a_wrong_poll_token_is_refused() {
    let token = issued();
    let record = code(QrState::Scanned(scanner(1), None), &token);
    let service = Ports::default().holding(record.clone()).service();
    let result = service
        .check(CheckRequest {
            id: record.id,
            token: PollToken::from_client(&"0".repeat(64)),
            since: None,
            wait: Duration::ZERO,
            claim: true,
            rate_limit: None,
        })
        .await;
    assert!(matches!(result, Err(QrError::WrongToken)));
}

#[tokio::test]
async fn the_login_is_handed_out_once() {
    let token = issued();
    let record = code(QrState::Confirmed(scanner(1)), &token);
    let mut ports = Ports::default().holding(record.clone());
    ports
        .users
        .expect_find_by_id()
        .times(1)
        .returning(|_| Ok(Some(alice())));
    ports
        .auth
        .expect_start_login()
        .times(1)
        .returning(|_, _, _| Ok(login()));
    let service = ports.service();
    let request = CheckRequest {
        id: record.id.clone(),
        token,
        since: None,
        wait: Duration::ZERO,
        claim: true,
        rate_limit: None,
    };
    let first = service.check(request.clone()).await.expect("checked");
    assert_eq!(first.status, QrStatus::Confirmed);
    assert!(first.login.is_some());
    let second = service.check(request).await.expect("checked");
    assert_eq!(second.status, QrStatus::Expired);
    assert!(second.login.is_none());
}

#[tokio::test]
async fn a_scan_that_loses_the_race_to_another_user_is_a_conflict() {
    let token = issued();
    let record = code(QrState::Unscanned, &token);
    let mut ports = Ports::default();
    let mut reads = 0;
    let first = record.clone();
    let after = code(QrState::Scanned(scanner(2), None), &token);
    ports.codes.expect_get().returning(move |_| {
        reads += 1;
        Ok(Some(live(if reads == 1 {
            first.clone()
        } else {
            after.clone()
        })))
    });
    ports
        .codes
        .expect_replace()
        .times(1)
        .returning(|_, _| Ok(QrUpdate::Changed));
    let result = ports
        .service()
        .scan(&principal(1), &record.id, "192.0.2.1")
        .await;
    assert!(matches!(result, Err(QrError::Conflict)));
}

#[tokio::test]
async fn repeating_a_scan_as_the_same_user_writes_nothing() {
    let token = issued();
    let record = code(QrState::Scanned(scanner(1), None), &token);
    let mut ports = Ports::default().reading(record.clone());
    ports.codes.expect_replace().never();
    let code = ports
        .service()
        .scan(&principal(1), &record.id, "192.0.2.1")
        .await
        .expect("no-op");
    assert_eq!(code.live.code.state, QrState::Scanned(scanner(1), None));
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_returns_the_unchanged_state_after_the_wait() {
    let token = issued();
    let record = code(QrState::Unscanned, &token);
    let mut ports = Ports::default().holding(record.clone());
    /// A subscription on which nothing ever happens.
    struct Silent;
    #[async_trait]
    impl Subscription for Silent {
        async fn next(&mut self) -> Option<qblog_domain::store::Notice> {
            std::future::pending().await
        }
    }
    ports
        .codes
        .expect_watch()
        .times(1)
        .returning(|_| Ok(Box::new(Silent)));
    let result = ports
        .service()
        .check(CheckRequest {
            id: record.id,
            token,
            since: Some(QrStatus::Unscanned),
            wait: Duration::from_secs(5),
            claim: true,
            rate_limit: None,
        })
        .await
        .expect("checked");
    assert_eq!(result.status, QrStatus::Unscanned);
}

#[tokio::test]
async fn a_login_made_by_a_check_that_loses_the_claim_is_taken_back() {
    let token = issued();
    let record = code(QrState::Confirmed(scanner(1)), &token);
    let mut ports = Ports::default().reading(record.clone());
    ports
        .codes
        .expect_replace()
        .returning(|_, _| Ok(QrUpdate::Changed));
    ports
        .users
        .expect_find_by_id()
        .returning(|_| Ok(Some(alice())));
    ports
        .auth
        .expect_start_login()
        .returning(|_, _, _| Ok(login()));
    ports.auth.expect_abandon().times(1).returning(|_| Ok(()));
    let result = ports
        .service()
        .check(CheckRequest {
            id: record.id,
            token,
            since: None,
            wait: Duration::ZERO,
            claim: true,
            rate_limit: None,
        })
        .await
        .expect("checked");
    assert_eq!(result.status, QrStatus::Expired);
    assert!(result.login.is_none());
}

#[tokio::test]
async fn a_failure_while_making_the_login_leaves_the_code_confirmed() {
    let token = issued();
    let record = code(QrState::Confirmed(scanner(1)), &token);
    let mut ports = Ports::default().reading(record.clone());
    ports.codes.expect_replace().never();
    ports
        .users
        .expect_find_by_id()
        .returning(|_| Ok(Some(alice())));
    ports
        .auth
        .expect_start_login()
        .returning(|_, _, _| Err(qblog_domain::auth::AuthError::Unavailable("down".into())));
    let result = ports
        .service()
        .check(CheckRequest {
            id: record.id,
            token,
            since: None,
            wait: Duration::ZERO,
            claim: true,
            rate_limit: None,
        })
        .await;
    assert!(matches!(result, Err(QrError::Unavailable(_))), "{result:?}");
}

/// A plain check by the PC holding `token`.
fn plain_check(record: &QrCode, token: PollToken) -> CheckRequest {
    CheckRequest {
        id: record.id.clone(),
        token,
        since: None,
        wait: Duration::ZERO,
        claim: true,
        rate_limit: None,
    }
}

#[tokio::test]
async fn a_claim_whose_answer_was_lost_still_hands_the_login_to_its_check() {
    let token = issued();
    let record = code(QrState::Confirmed(scanner(1)), &token);
    let mut ports = Ports::default()
        .holding_with(record.clone(), true)
        .confirmed_by_alice();
    ports.auth.expect_abandon().never();
    let result = ports
        .service()
        .check(plain_check(&record, token))
        .await
        .expect("the record shows this check's claim");
    assert!(result.login.is_some());
}

#[tokio::test]
async fn a_claim_the_store_refused_takes_its_login_back_and_leaves_the_code_confirmed() {
    let token = issued();
    let record = code(QrState::Confirmed(scanner(1)), &token);
    let mut ports = Ports::default()
        .reading(record.clone())
        .confirmed_by_alice();
    ports
        .codes
        .expect_replace()
        .returning(|_, _| Err(QrError::Unavailable("down".into())));
    ports.auth.expect_abandon().times(1).returning(|_| Ok(()));
    let result = ports.service().check(plain_check(&record, token)).await;
    assert!(matches!(result, Err(QrError::Unavailable(_))), "{result:?}");
}

#[tokio::test]
async fn a_claim_whose_outcome_cannot_be_read_takes_its_login_back() {
    let token = issued();
    let record = code(QrState::Confirmed(scanner(1)), &token);
    let mut ports = Ports::default().confirmed_by_alice();
    let mut reads = 0;
    let first = record.clone();
    ports.codes.expect_get().returning(move |_| {
        reads += 1;
        if reads == 1 {
            Ok(Some(live(first.clone())))
        } else {
            Err(QrError::Unavailable("still down".into()))
        }
    });
    ports
        .codes
        .expect_replace()
        .returning(|_, _| Err(QrError::Unavailable("the reply timed out".into())));
    ports.auth.expect_abandon().times(1).returning(|_| Ok(()));
    let result = ports.service().check(plain_check(&record, token)).await;
    assert!(matches!(result, Err(QrError::Unavailable(_))), "{result:?}");
}

/// A check by the PC that already shows `unscanned`, willing to wait `wait`.
fn still_unscanned(record: &QrCode, token: PollToken, wait: Duration) -> CheckRequest {
    CheckRequest {
        id: record.id.clone(),
        token,
        since: Some(QrStatus::Unscanned),
        wait,
        claim: true,
        rate_limit: None,
    }
}

#[tokio::test]
async fn a_check_with_nothing_new_hands_back_a_wake_that_a_change_notice_resolves() {
    let token = issued();
    let record = code(QrState::Unscanned, &token);
    let mut ports = Ports::default().holding(record.clone());
    /// Delivers one notice when told to.
    struct Notified(Option<tokio::sync::oneshot::Receiver<()>>);
    #[async_trait]
    impl Subscription for Notified {
        async fn next(&mut self) -> Option<qblog_domain::store::Notice> {
            let signal = self.0.take()?;
            signal.await.ok()?;
            Some(qblog_domain::store::Notice::Message("scanned".into()))
        }
    }
    let (notify, notified) = tokio::sync::oneshot::channel();
    let subscription = std::sync::Mutex::new(Some(Notified(Some(notified))));
    ports.codes.expect_watch().times(1).returning(move |_| {
        let subscription = subscription
            .lock()
            .expect("lock")
            .take()
            .expect("one watch");
        Ok(Box::new(subscription))
    });
    let outcome = ports
        .service()
        .check_once(still_unscanned(&record, token, Duration::from_secs(30)))
        .await
        .expect("checked");
    let CheckOutcome::Unchanged(wake) = outcome else {
        panic!("an unchanged code must not be answered before its wait: {outcome:?}");
    };
    let mut wake = Box::pin(wake);
    assert!(
        tokio::time::timeout(Duration::from_millis(50), wake.as_mut())
            .await
            .is_err(),
        "woke with nothing changed"
    );
    notify.send(()).expect("still waiting");
    tokio::time::timeout(Duration::from_secs(1), wake)
        .await
        .expect("the notice wakes it");
}

#[tokio::test]
async fn a_check_without_a_wait_answers_at_once_and_subscribes_to_nothing() {
    let token = issued();
    let record = code(QrState::Unscanned, &token);
    let mut ports = Ports::default().holding(record.clone());
    ports.codes.expect_watch().never();
    let outcome = ports
        .service()
        .check_once(still_unscanned(&record, token, Duration::ZERO))
        .await
        .expect("checked");
    assert!(
        matches!(&outcome, CheckOutcome::Ready(result) if result.status == QrStatus::Unscanned),
        "{outcome:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_closed_subscription_waits_out_the_time_instead_of_waking_at_once() {
    let token = issued();
    let record = code(QrState::Unscanned, &token);
    let mut ports = Ports::default().holding(record.clone());
    /// A store that shut down: no more notices, ever.
    struct Closed;
    #[async_trait]
    impl Subscription for Closed {
        async fn next(&mut self) -> Option<qblog_domain::store::Notice> {
            None
        }
    }
    ports
        .codes
        .expect_watch()
        .times(1)
        .returning(|_| Ok(Box::new(Closed)));
    let outcome = ports
        .service()
        .check_once(still_unscanned(&record, token, Duration::from_secs(5)))
        .await
        .expect("checked");
    let CheckOutcome::Unchanged(wake) = outcome else {
        panic!("an unchanged code must not be answered before its wait: {outcome:?}");
    };
    let started = tokio::time::Instant::now();
    wake.await;
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "woke after {:?}, before the wait was over",
        started.elapsed()
    );
}

#[tokio::test]
async fn without_its_token_a_live_code_and_an_unknown_one_look_the_same() {
    let record = code(QrState::Unscanned, &issued());
    let wrong = PollToken::from_client(&"0".repeat(64));
    let live = Ports::default().reading(record.clone()).service();
    let mut gone = Ports::default();
    gone.codes.expect_get().returning(|_| Ok(None));
    let gone = gone.service();
    for service in [&live, &gone] {
        let result = service.check(plain_check(&record, wrong.clone())).await;
        assert!(matches!(result, Err(QrError::WrongToken)), "{result:?}");
    }
    // The holder of the real token is told its code expired.
    let result = gone
        .check(plain_check(&record, issued()))
        .await
        .expect("answered");
    assert_eq!(result.status, QrStatus::Expired);
}

#[tokio::test]
async fn a_code_made_by_the_previous_release_is_read_with_the_token_its_record_names() {
    let legacy = PollToken::from_client(&"ab".repeat(32));
    let record = code(QrState::Unscanned, &legacy);
    let service = Ports::default().reading(record.clone()).service();
    let result = service
        .check(plain_check(&record, legacy))
        .await
        .expect("accepted");
    assert_eq!(result.status, QrStatus::Unscanned);
}

#[tokio::test]
async fn a_phone_on_another_network_must_match_the_number_the_pc_shows() {
    let record = code(QrState::Unscanned, &issued());
    let service = Ports::default().holding(record.clone()).service();
    let scanned = service
        .scan(&principal(1), &record.id, "203.0.113.50")
        .await
        .expect("scanned");
    assert!(!scanned.same_network);
    assert!(scanned.match_required);
    let QrState::Scanned(_, Some(challenge)) = scanned.live.code.state else {
        panic!("a challenge is stored: {:?}", scanned.live.code.state);
    };
    assert_eq!(challenge.tries_left, MatchChallenge::TRIES);
    let check = service
        .check(plain_check(&record, issued()))
        .await
        .expect("checked");
    assert_eq!(check.match_code, Some(challenge.code));

    let wrong = MatchCode::from_stored((challenge.code.value() + 1) % 100);
    let result = service.confirm(&principal(1), &record.id, wrong).await;
    assert!(
        matches!(result, Err(QrError::MatchCodeMismatch { tries_left: 2 })),
        "{result:?}"
    );
    let result = service.confirm(&principal(1), &record.id, None).await;
    assert!(
        matches!(result, Err(QrError::MatchCodeMismatch { tries_left: 2 })),
        "a missing code costs no try: {result:?}"
    );
    let confirmed = service
        .confirm(&principal(1), &record.id, Some(challenge.code))
        .await
        .expect("the right code confirms");
    assert_eq!(confirmed.code.state, QrState::Confirmed(scanner(1)));
}

#[tokio::test]
async fn three_wrong_match_codes_cancel_the_login() {
    let record = code(QrState::Unscanned, &issued());
    let mut ports = Ports::default().holding(record.clone());
    ports.policy.number_matching = NumberMatching::Always;
    let service = ports.service();
    let scanned = service
        .scan(&principal(1), &record.id, "192.0.2.1")
        .await
        .expect("scanned");
    assert!(scanned.same_network && scanned.match_required);
    let QrState::Scanned(_, Some(challenge)) = scanned.live.code.state else {
        panic!("a challenge is stored");
    };
    let wrong = MatchCode::from_stored((challenge.code.value() + 50) % 100);
    let mut left = Vec::new();
    for _ in 0..3 {
        match service.confirm(&principal(1), &record.id, wrong).await {
            Err(QrError::MatchCodeMismatch { tries_left }) => left.push(tries_left),
            other => panic!("refused, not {other:?}"),
        }
    }
    assert_eq!(left, [2, 1, 0]);
    let check = service
        .check(plain_check(&record, issued()))
        .await
        .expect("checked");
    assert_eq!(check.status, QrStatus::Cancelled);
    assert!(matches!(
        service
            .confirm(&principal(1), &record.id, Some(challenge.code))
            .await,
        Err(QrError::Conflict)
    ));
}

#[tokio::test]
async fn with_number_matching_off_nobody_is_asked_for_a_code() {
    let record = code(QrState::Unscanned, &issued());
    let mut ports = Ports::default().holding(record.clone());
    ports.policy.number_matching = NumberMatching::Off;
    let scanned = ports
        .service()
        .scan(&principal(1), &record.id, "203.0.113.50")
        .await
        .expect("scanned");
    assert!(!scanned.same_network && !scanned.match_required);
}

#[tokio::test]
async fn the_pcs_session_remembers_the_pc_and_lasts_the_qr_login_lifetime() {
    let record = code(QrState::Confirmed(scanner(1)), &issued());
    let mut ports = Ports::default().holding(record.clone());
    ports.policy.login_ttl = Duration::from_secs(3600);
    ports
        .users
        .expect_find_by_id()
        .returning(|_| Ok(Some(alice())));
    ports
        .auth
        .expect_start_login()
        .withf(|_, origin, lifetime| {
            origin.ip == "192.0.2.1"
                && origin.user_agent == "Firefox"
                && origin.method == LoginMethod::QrCode
                && *lifetime == Duration::from_secs(3600)
        })
        .times(1)
        .returning(|_, _, _| Ok(login()));
    let result = ports
        .service()
        .check(plain_check(&record, issued()))
        .await
        .expect("checked");
    assert!(result.login.is_some());
}

#[tokio::test]
async fn a_limited_qr_session_may_not_approve_qr_logins() {
    let record = code(QrState::Unscanned, &issued());
    let mut ports = Ports::default();
    ports.policy.limited_sessions = true;
    ports.codes.expect_get().never();
    let service = ports.service();
    let from_qr = Principal {
        method: LoginMethod::QrCode,
        ..principal(1)
    };
    assert!(matches!(
        service.scan(&from_qr, &record.id, "192.0.2.1").await,
        Err(QrError::SessionNotAllowed)
    ));
    assert!(matches!(
        service.confirm(&from_qr, &record.id, None).await,
        Err(QrError::SessionNotAllowed)
    ));
}

#[tokio::test]
async fn a_check_counts_its_rate_limit_with_the_read_and_is_refused_over_it() {
    let record = code(QrState::Unscanned, &issued());
    let mut ports = Ports::default();
    let limit = RateLimit {
        key: "qrcode-check:192.0.2.1".into(),
        limit: 600,
        window: Duration::from_secs(60),
    };
    let mut counted = 0;
    let stored = record.clone();
    ports
        .codes
        .expect_get_counted()
        .withf(|_, limit| limit.key == "qrcode-check:192.0.2.1")
        .times(2)
        .returning(move |_, _| {
            counted += 1;
            let decision = if counted == 1 {
                ThrottleDecision::Allowed
            } else {
                ThrottleDecision::Limited {
                    retry_after: Duration::from_secs(12),
                }
            };
            Ok((decision, Some(live(stored.clone()))))
        });
    ports.codes.expect_get().never();
    let service = ports.service();
    let request = CheckRequest {
        rate_limit: Some(limit),
        ..plain_check(&record, issued())
    };
    let first = service.check(request.clone()).await.expect("allowed");
    assert_eq!(first.status, QrStatus::Unscanned);
    assert!(matches!(
        service.check(request).await,
        Err(QrError::Throttled { retry_after }) if retry_after == Duration::from_secs(12)
    ));
}
