//! `QrLoginService`: generate, check (with long-poll), scan, confirm, cancel.
//!
//! Every change goes through the domain's `transition` and is written with the store's
//! atomic `replace`; a replace that lost a race is retried against the fresh record,
//! where `transition` judges the late event (a second scanner gets a conflict). The
//! claim — the first check that sees `confirmed` — is such a replace too, so of many
//! racing checks exactly one receives the login.
//!
//! Time is the store's: a code is live while the store holds it, and the seconds left
//! come from the store's TTL, never from comparing this instance's clock with the
//! deadline another instance wrote.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use qblog_domain::auth::{AuthError, LoginMethod, LoginOrigin, Principal};
use qblog_domain::clock::Clock;
use qblog_domain::qrcode::{
    ClaimId, LiveQrCode, MatchChallenge, MatchCode, NetworkPrefixes, NumberMatching, PcInfo,
    PollToken, PollTokenKey, QrCode, QrCodeId, QrCodeStore, QrError, QrEvent, QrState, QrStatus,
    QrUpdate, Scanner, Step, transition,
};
use qblog_domain::store::Subscription;
use qblog_domain::throttle::{RateLimit, ThrottleDecision};
use qblog_domain::user::{UserError, UserRepository};
use shaku::{Component, Interface};

use crate::auth::{AuthService, Login};

/// How often a replace that lost a race is retried before giving up with a conflict.
const MAX_RACES: usize = 8;

/// A new code and the secret its browser polls with.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The stored code, unscanned, with its deadline and the PC it was made for.
    pub code: QrCode,
    /// The poll token, returned to the generating browser only.
    pub poll_token: PollToken,
    /// How long the code lives (`qrcode.ttl_secs`).
    pub lifetime: Duration,
}

/// A `check` call.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// Which code.
    pub id: QrCodeId,
    /// The browser's poll token.
    pub token: PollToken,
    /// The status the browser already knows: answer when it differs.
    pub since: Option<QrStatus>,
    /// How long to wait for a change (0: answer at once).
    pub wait: Duration,
    /// Whether this check may claim a confirmed code's login. `false` for a request
    /// that must not change anything (HTTP `HEAD`): it reports `confirmed` and leaves
    /// the login to the next check that may.
    pub claim: bool,
    /// The caller's rate limit, counted in the same store round trip as the code is
    /// read; `None` for a check already counted (a long-poll looking again).
    pub rate_limit: Option<RateLimit>,
}

/// What `check` reports.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// Where the code is in its life, as the API names it.
    pub status: QrStatus,
    /// Seconds until the deadline.
    pub expires_in: u64,
    /// Time until the deadline, to the millisecond.
    pub remaining: Duration,
    /// Who scanned, while `scanned` (and `confirmed`).
    pub scanned_by: Option<Scanner>,
    /// The code the PC shows for the phone's user to type, while `scanned` with
    /// number matching.
    pub match_code: Option<MatchCode>,
    /// The login, for the one check that claims a confirmed code.
    pub login: Option<Login>,
}

impl CheckResult {
    fn expired() -> Self {
        Self {
            status: QrStatus::Expired,
            expires_in: 0,
            remaining: Duration::ZERO,
            scanned_by: None,
            match_code: None,
            login: None,
        }
    }
}

/// What a scan tells the phone.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The code as it now is.
    pub live: LiveQrCode,
    /// Whether the PC's and the phone's addresses share a network.
    pub same_network: bool,
    /// Whether the phone must send the PC's match code with its confirm.
    pub match_required: bool,
}

/// How codes behave, from the `qrcode` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrPolicy {
    /// How long a code lives (`qrcode.ttl_secs`).
    pub ttl: Duration,
    /// How long the PC's session lasts (`qrcode.login_ttl_secs`).
    pub login_ttl: Duration,
    /// When a scan asks for the match code (`qrcode.number_matching`).
    pub number_matching: NumberMatching,
    /// What counts as the same network (`qrcode.same_network_prefix_v4`, `_v6`).
    pub networks: NetworkPrefixes,
    /// Whether a session started by a QR code may not approve QR logins itself
    /// (`qrcode.limited_sessions`).
    pub limited_sessions: bool,
}

impl Default for QrPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(120),
            login_ttl: Duration::from_secs(86_400),
            number_matching: NumberMatching::default(),
            networks: NetworkPrefixes::default(),
            limited_sessions: false,
        }
    }
}

/// Resolves when a code a browser is waiting on may have changed, or when its wait
/// is over: the moment to check again.
///
/// It holds only the code's change subscription and a timer, so a caller can keep
/// thousands of them while dropping everything else it held for the request.
pub struct Wake(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Wake {
    /// A wake that resolves with `future`.
    pub fn new(future: impl Future<Output = ()> + Send + 'static) -> Self {
        Self(Box::pin(future))
    }
}

impl std::fmt::Debug for Wake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wake")
    }
}

impl Future for Wake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

/// What one look at a code found.
// Returned and taken apart at once, never stored: boxing the answer would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum CheckOutcome {
    /// The answer for the browser.
    Ready(CheckResult),
    /// Nothing new yet: check again, with what is left of the wait, once this wakes.
    Unchanged(Wake),
}

/// QR-code login use cases.
#[async_trait]
pub trait QrLoginService: Interface {
    /// Makes a code for the PC at `pc`.
    ///
    /// # Errors
    /// [`QrError::Unavailable`] when the store is down.
    async fn generate(&self, ip: String, user_agent: String) -> Result<Generated, QrError>;

    /// The live code `id`, for rendering its image.
    ///
    /// # Errors
    /// [`QrError::Expired`] for an unknown or expired code.
    async fn find(&self, id: &QrCodeId) -> Result<LiveQrCode, QrError>;

    /// Looks at the code once for its browser, without waiting: the answer, or — when
    /// the status is still `since` and `wait` is not zero — a [`Wake`] to check again
    /// on. The first check that sees `confirmed` receives the login.
    ///
    /// # Errors
    /// [`QrError::WrongToken`] when the token is not this code's;
    /// [`QrError::Throttled`] when the request's rate limit is used up.
    async fn check_once(&self, request: CheckRequest) -> Result<CheckOutcome, QrError>;

    /// Reports the code's state to its browser, waiting up to `wait` for a change from
    /// `since`: [`QrLoginService::check_once`] until it is ready or the wait is over.
    ///
    /// # Errors
    /// [`QrError::WrongToken`] when the token is not this code's.
    async fn check(&self, mut request: CheckRequest) -> Result<CheckResult, QrError> {
        let deadline = tokio::time::Instant::now() + request.wait;
        loop {
            match self.check_once(request.clone()).await? {
                CheckOutcome::Ready(result) => return Ok(result),
                CheckOutcome::Unchanged(wake) => {
                    wake.await;
                    request.wait = deadline.saturating_duration_since(tokio::time::Instant::now());
                }
            }
        }
    }

    /// The phone's user, on a phone at `phone_ip`, scans the code: number matching
    /// applies by the policy and by whether the phone and the PC share a network.
    ///
    /// # Errors
    /// [`QrError::Conflict`] when another user scanned it or it is past `scanned`;
    /// [`QrError::Expired`] for an unknown or expired code;
    /// [`QrError::SessionNotAllowed`] for a limited QR-code session.
    async fn scan(
        &self,
        user: &Principal,
        id: &QrCodeId,
        phone_ip: &str,
    ) -> Result<Scanned, QrError>;

    /// The scanner confirms the login, with the PC's match code when the scan asked
    /// for one.
    ///
    /// # Errors
    /// [`QrError::MatchCodeMismatch`] for a missing or wrong match code (the third
    /// wrong one cancels the code); [`QrError::NotScanner`], [`QrError::Conflict`],
    /// [`QrError::Expired`] or [`QrError::SessionNotAllowed`].
    async fn confirm(
        &self,
        user: &Principal,
        id: &QrCodeId,
        match_code: Option<MatchCode>,
    ) -> Result<LiveQrCode, QrError>;

    /// The scanner cancels the login.
    ///
    /// # Errors
    /// [`QrError::NotScanner`], [`QrError::Conflict`] or [`QrError::Expired`].
    async fn cancel(&self, user: &Principal, id: &QrCodeId) -> Result<LiveQrCode, QrError>;
}

/// [`QrLoginService`] over the QR-code store, the clock, users and the auth service.
#[derive(Component)]
#[shaku(interface = QrLoginService)]
pub struct QrLoginServiceImpl {
    #[shaku(inject)]
    codes: Arc<dyn QrCodeStore>,
    #[shaku(inject)]
    users: Arc<dyn UserRepository>,
    #[shaku(inject)]
    auth: Arc<dyn AuthService>,
    #[shaku(inject)]
    clock: Arc<dyn Clock>,
    /// Makes and recognises poll tokens; no default, it comes from a secret.
    poll_tokens: PollTokenKey,
    /// How codes behave.
    #[shaku(default)]
    policy: QrPolicy,
}

impl QrLoginServiceImpl {
    /// Applies the event `event_for` makes of the current record, atomically,
    /// retrying lost races against the fresh record. A wrong match code is written
    /// (one try fewer) and then refused.
    async fn apply(
        &self,
        id: &QrCodeId,
        event_for: impl Fn(&QrCode) -> QrEvent + Send + Sync,
    ) -> Result<LiveQrCode, QrError> {
        for _ in 0..MAX_RACES {
            let Some(live) = self.codes.get(id).await? else {
                return Err(QrError::Expired);
            };
            let (next_state, refusal) = match transition(&live.code.state, &event_for(&live.code))?
            {
                Step::To(next) => (next, None),
                Step::WrongMatch { then, tries_left } => {
                    (then, Some(QrError::MatchCodeMismatch { tries_left }))
                }
            };
            if next_state == live.code.state {
                return refusal.map_or(Ok(live), Err);
            }
            let next = QrCode {
                state: next_state,
                ..live.code.clone()
            };
            match self.codes.replace(&live.code, &next).await? {
                QrUpdate::Applied => {
                    return refusal.map_or(
                        Ok(LiveQrCode {
                            code: next,
                            remaining: live.remaining,
                        }),
                        Err,
                    );
                }
                QrUpdate::Changed => continue,
                QrUpdate::Gone => return Err(QrError::Expired),
            }
        }
        Err(QrError::Conflict)
    }

    /// Refuses a session started by a QR code, when those are limited: a phished QR
    /// login cannot be used to approve more of them.
    fn may_approve(&self, user: &Principal) -> Result<(), QrError> {
        if self.policy.limited_sessions && user.method == LoginMethod::QrCode {
            return Err(QrError::SessionNotAllowed);
        }
        Ok(())
    }

    /// Whether `token` may read code `id`: it is the token issued for the id, or —
    /// for a code an instance of the previous release made — the record's hash says so.
    fn token_fits(&self, id: &QrCodeId, token: &PollToken, record: Option<&QrCode>) -> bool {
        self.poll_tokens.verify(id, token)
            || record.is_some_and(|code| code.poll_token_hash.matches(token))
    }

    /// The code, counting the attempt against `rate_limit` in the same round trip.
    async fn read(
        &self,
        id: &QrCodeId,
        rate_limit: Option<&RateLimit>,
    ) -> Result<Option<LiveQrCode>, QrError> {
        let Some(limit) = rate_limit else {
            return self.codes.get(id).await;
        };
        match self.codes.get_counted(id, limit).await? {
            (ThrottleDecision::Limited { retry_after }, _) => {
                Err(QrError::Throttled { retry_after })
            }
            (ThrottleDecision::Allowed, found) => Ok(found),
        }
    }

    /// One look at the code `found` for its browser: token check, claim when confirmed.
    async fn look(
        &self,
        id: &QrCodeId,
        token: &PollToken,
        claim: bool,
        found: Option<LiveQrCode>,
    ) -> Result<CheckResult, QrError> {
        // Refused alike whether or not the code exists: without its token a caller
        // learns nothing about a code.
        if !self.token_fits(id, token, found.as_ref().map(|live| &live.code)) {
            return Err(QrError::WrongToken);
        }
        let Some(live) = found else {
            return Ok(CheckResult::expired());
        };
        let code = &live.code;
        if code.state.status() == QrStatus::Expired {
            return Ok(CheckResult::expired());
        }
        let expires_in = live.expires_in();
        let remaining = live.remaining;
        let scanned_by = match &code.state {
            QrState::Scanned(scanner, _) | QrState::Confirmed(scanner) => Some(scanner.clone()),
            _ => None,
        };
        let match_code = match &code.state {
            QrState::Scanned(_, Some(challenge)) => Some(challenge.code),
            _ => None,
        };
        let login = match &code.state {
            // Boxed: the claim is rare and its future large; every other look stays small.
            QrState::Confirmed(_) if claim => match Box::pin(self.claim(code.clone())).await? {
                Some(login) => Some(login),
                None => return Ok(CheckResult::expired()),
            },
            _ => None,
        };
        Ok(CheckResult {
            status: code.state.status(),
            expires_in,
            remaining,
            scanned_by,
            match_code,
            login,
        })
    }

    /// Hands out the login of a confirmed code, once. `None` when another check won.
    ///
    /// The login is made first and the code marked claimed after: a failure while
    /// making it leaves the code confirmed for the next check. A login that is not
    /// handed out is taken back, so no session lives that nobody holds: when the claim
    /// lost its race, and when the store failed — unless the record, read again, shows
    /// this check's own claim (the write went through, only its answer was lost, or
    /// the store sent it again and found it done).
    async fn claim(&self, code: QrCode) -> Result<Option<Login>, QrError> {
        let QrState::Confirmed(scanner) = &code.state else {
            return Ok(None);
        };
        let Some(user) = self
            .users
            .find_by_id(scanner.user_id)
            .await
            .map_err(|err| match err {
                UserError::Unavailable(why) => QrError::Unavailable(why),
                other => {
                    QrError::Unexpected(anyhow::Error::new(other).context("loading the scanner"))
                }
            })?
        else {
            return Ok(None);
        };
        // The PC's device session: the computer that asked for the code.
        let origin = LoginOrigin {
            ip: code.pc.ip.clone(),
            user_agent: code.pc.user_agent.clone(),
            method: LoginMethod::QrCode,
        };
        let login = self
            .auth
            .start_login(&user, origin, self.policy.login_ttl)
            .await
            .map_err(|err| match err {
                AuthError::Unavailable(why) => QrError::Unavailable(why),
                other => QrError::Unexpected(
                    anyhow::Error::new(other).context("starting the PC's session"),
                ),
            })?;
        let Step::To(claimed) = transition(&code.state, &QrEvent::Claim(ClaimId::generate()))?
        else {
            return Ok(None);
        };
        let next = QrCode {
            state: claimed,
            ..code.clone()
        };
        let won = match self.codes.replace(&code, &next).await {
            Ok(QrUpdate::Applied) => Ok(true),
            Ok(QrUpdate::Gone) => Ok(false),
            // Changed, or failed: the store may have run the swap with its answer lost
            // (and, sent again, found its own record). The record says whose it is.
            outcome => match self.codes.get(&code.id).await {
                Ok(Some(now)) if now.code == next => Ok(true),
                Ok(_) if outcome.is_ok() => Ok(false),
                _ => Err(outcome.err().unwrap_or_else(|| {
                    QrError::Unavailable("the claim's outcome could not be read".into())
                })),
            },
        };
        match won {
            Ok(true) => {
                tracing::info!(qrcode = %code.id, user_id = %user.id, "QR-code login handed to the PC");
                Ok(Some(login))
            }
            Ok(false) => {
                self.take_back(&login).await;
                Ok(None)
            }
            Err(err) => {
                tracing::warn!(qrcode = %code.id, error = %err,
                    "claiming a confirmed code failed; its login was taken back");
                self.take_back(&login).await;
                Err(err)
            }
        }
    }

    /// Ends a login that was made but not handed out; a failure is only logged (its
    /// session and token then expire on their own).
    async fn take_back(&self, login: &Login) {
        if let Err(err) = self.auth.abandon(login).await {
            tracing::warn!(error = %err, "could not take back a login that was not handed out");
        }
    }
}

fn scanner_of(user: &Principal) -> Scanner {
    Scanner {
        user_id: user.user_id,
        username: user.username.clone(),
        realname: user.realname.clone(),
    }
}

#[async_trait]
impl QrLoginService for QrLoginServiceImpl {
    async fn generate(&self, ip: String, user_agent: String) -> Result<Generated, QrError> {
        let now = self.clock.now();
        let id = QrCodeId::generate();
        let poll_token = self.poll_tokens.issue(&id);
        let ttl = self.policy.ttl;
        let lifetime = chrono::Duration::from_std(ttl)
            .map_err(|err| QrError::Unexpected(anyhow::anyhow!("qrcode.ttl_secs: {err}")))?;
        let code = QrCode {
            id,
            state: QrState::Unscanned,
            pc: PcInfo {
                ip,
                user_agent,
                created_at: now,
            },
            expires_at: now + lifetime,
            poll_token_hash: poll_token.hash(),
        };
        self.codes.create(&code, ttl).await?;
        Ok(Generated {
            code,
            poll_token,
            lifetime: ttl,
        })
    }

    async fn find(&self, id: &QrCodeId) -> Result<LiveQrCode, QrError> {
        self.codes.get(id).await?.ok_or(QrError::Expired)
    }

    async fn check_once(&self, request: CheckRequest) -> Result<CheckOutcome, QrError> {
        // Subscribe before the look: a change between the look and the wait still
        // wakes the waiter.
        let watch: Option<Box<dyn Subscription>> = if request.wait.is_zero() {
            None
        } else {
            Some(self.codes.watch(&request.id).await?)
        };
        let result = self
            .look(
                &request.id,
                &request.token,
                request.claim,
                self.read(&request.id, request.rate_limit.as_ref()).await?,
            )
            .await?;
        let unchanged = request.since == Some(result.status);
        let terminal = result.status == QrStatus::Expired || result.login.is_some();
        match watch {
            Some(mut subscription) if unchanged && !terminal => {
                // Wake at the latest when the code expires, to report it.
                let until = request
                    .wait
                    .min(result.remaining + Duration::from_millis(50));
                let deadline = tokio::time::Instant::now() + until;
                Ok(CheckOutcome::Unchanged(Wake::new(async move {
                    // A notice or the deadline means: look again. A subscription that
                    // closed cannot tell of changes any more; waking at once would
                    // have the caller look again in a tight loop, so wait out the time.
                    if let Ok(None) = tokio::time::timeout_at(deadline, subscription.next()).await {
                        tokio::time::sleep_until(deadline).await;
                    }
                })))
            }
            _ => Ok(CheckOutcome::Ready(result)),
        }
    }

    async fn scan(
        &self,
        user: &Principal,
        id: &QrCodeId,
        phone_ip: &str,
    ) -> Result<Scanned, QrError> {
        self.may_approve(user)?;
        let policy = self.policy;
        let same_network = |code: &QrCode| policy.networks.same_network(&code.pc.ip, phone_ip);
        let live = self
            .apply(id, |code| {
                let challenge = policy
                    .number_matching
                    .applies(same_network(code))
                    .then(MatchChallenge::generate);
                QrEvent::Scan(scanner_of(user), challenge)
            })
            .await?;
        Ok(Scanned {
            same_network: same_network(&live.code),
            match_required: matches!(live.code.state, QrState::Scanned(_, Some(_))),
            live,
        })
    }

    async fn confirm(
        &self,
        user: &Principal,
        id: &QrCodeId,
        match_code: Option<MatchCode>,
    ) -> Result<LiveQrCode, QrError> {
        self.may_approve(user)?;
        self.apply(id, |_| QrEvent::Confirm(user.user_id, match_code))
            .await
    }

    async fn cancel(&self, user: &Principal, id: &QrCodeId) -> Result<LiveQrCode, QrError> {
        self.apply(id, |_| QrEvent::Cancel(user.user_id)).await
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
