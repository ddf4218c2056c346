//! Failing fast while a dependency is down, and noticing at once when it is back.
//!
//! A [`Breaker`] stands in front of one dependency (the database, Redis). Every call
//! runs under a time limit; after [`FAILURES_TO_OPEN`] consecutive outages (refused or
//! dropped connections, timeouts) the breaker opens, and calls fail at once with the
//! dependency's "unavailable" error — a 503 with `Retry-After` at the edge — instead of
//! each waiting out its own timeout. While open, a background probe asks the dependency
//! every [`PROBE_EVERY`]; the first answer closes the breaker. Readiness goes through
//! the same breaker, so it turns 503 and back with it.
//!
//! ```text
//!   closed ──3 outages in a row──► open ──probe answers──► closed
//!     ▲  any answer resets the count  │  calls fail at once
//!     └───────────────────────────────┘  probe every 500 ms
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// Consecutive outages that open a breaker.
pub const FAILURES_TO_OPEN: u32 = 3;
/// How often an open breaker's probe asks the dependency.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// An error type a breaker can read and make: which of its values mean "the
/// dependency is not answering", and the value for a call refused or timed out.
pub trait Outage: Sized {
    /// Whether this error means the dependency did not answer (as opposed to an
    /// answer that is an error, such as a constraint violation).
    fn is_outage(&self) -> bool;
    /// The error for a call the open breaker refused without trying.
    fn circuit_open(dependency: &'static str) -> Self;
    /// The error for a call that did not finish within the breaker's time limit.
    fn timed_out(dependency: &'static str, limit: Duration) -> Self;
}

/// Asks the dependency whether it answers; `true` when it does.
pub type Probe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// A circuit breaker in front of one dependency. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Breaker {
    inner: Arc<Inner>,
}

struct Inner {
    dependency: &'static str,
    limit: Duration,
    failures: AtomicU32,
    open: AtomicBool,
    probe: Probe,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("dependency", &self.inner.dependency)
            .field("open", &self.is_open())
            .finish_non_exhaustive()
    }
}

impl Breaker {
    /// A closed breaker for `dependency` (`database`, `redis`): every call may take at
    /// most `limit`; `probe` asks the dependency while the breaker is open.
    pub fn new(dependency: &'static str, limit: Duration, probe: Probe) -> Self {
        Self {
            inner: Arc::new(Inner {
                dependency,
                limit,
                failures: AtomicU32::new(0),
                open: AtomicBool::new(false),
                probe,
            }),
        }
    }

    /// Whether calls are refused at the moment.
    pub fn is_open(&self) -> bool {
        self.inner.open.load(Ordering::SeqCst)
    }

    /// Runs `work` unless the breaker is open, within the time limit, and counts the
    /// outcome.
    ///
    /// # Errors
    /// `work`'s error; [`Outage::circuit_open`] without running it while open;
    /// [`Outage::timed_out`] when it takes longer than the limit.
    pub async fn run<T, E: Outage>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        if self.is_open() {
            return Err(E::circuit_open(self.inner.dependency));
        }
        match tokio::time::timeout(self.inner.limit, work).await {
            Ok(Ok(value)) => {
                self.answered();
                Ok(value)
            }
            Ok(Err(err)) => {
                if err.is_outage() {
                    self.failed();
                } else {
                    // An error is an answer too: the dependency is there.
                    self.answered();
                }
                Err(err)
            }
            Err(_) => {
                self.failed();
                Err(E::timed_out(self.inner.dependency, self.inner.limit))
            }
        }
    }

    fn answered(&self) {
        self.inner.failures.store(0, Ordering::SeqCst);
    }

    fn failed(&self) {
        let failures = self.inner.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if failures >= FAILURES_TO_OPEN && !self.inner.open.swap(true, Ordering::SeqCst) {
            tracing::warn!(
                dependency = self.inner.dependency,
                failures,
                "circuit open: calls fail at once until the dependency answers again"
            );
            metrics::gauge!("qblog_dependency_circuit_open", "dependency" => self.inner.dependency)
                .set(1.0);
            tokio::spawn(probe_until_it_answers(Arc::clone(&self.inner)));
        }
    }
}

async fn probe_until_it_answers(inner: Arc<Inner>) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        let probe = (inner.probe)();
        if let Ok(true) = tokio::time::timeout(inner.limit, probe).await {
            inner.failures.store(0, Ordering::SeqCst);
            inner.open.store(false, Ordering::SeqCst);
            metrics::gauge!("qblog_dependency_circuit_open", "dependency" => inner.dependency)
                .set(0.0);
            tracing::info!(
                dependency = inner.dependency,
                "circuit closed: the dependency answers again"
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    #[derive(Debug, PartialEq)]
    enum Failure {
        Down,
        Refused,
        Late,
        Answer,
    }

    impl Outage for Failure {
        fn is_outage(&self) -> bool {
            matches!(self, Self::Down)
        }
        fn circuit_open(_: &'static str) -> Self {
            Self::Refused
        }
        fn timed_out(_: &'static str, _: Duration) -> Self {
            Self::Late
        }
    }

    fn breaker(up: Arc<AtomicBool>) -> Breaker {
        Breaker::new(
            "thing",
            Duration::from_millis(200),
            Arc::new(move || {
                let up = Arc::clone(&up);
                Box::pin(async move { up.load(Ordering::SeqCst) })
            }),
        )
    }

    #[tokio::test]
    async fn three_outages_in_a_row_open_it_and_calls_then_fail_without_running() {
        let breaker = breaker(Arc::new(AtomicBool::new(false)));
        for _ in 0..FAILURES_TO_OPEN {
            assert_eq!(
                breaker.run(async { Err::<(), _>(Failure::Down) }).await,
                Err(Failure::Down)
            );
        }
        assert!(breaker.is_open());
        let ran = AtomicBool::new(false);
        let refused = breaker
            .run(async {
                ran.store(true, Ordering::SeqCst);
                Ok::<(), Failure>(())
            })
            .await;
        assert_eq!(refused, Err(Failure::Refused));
        assert!(!ran.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn an_answer_resets_the_count_and_an_error_answer_is_an_answer() {
        let breaker = breaker(Arc::new(AtomicBool::new(false)));
        for _ in 0..10 {
            let _ = breaker.run(async { Err::<(), _>(Failure::Down) }).await;
            let _ = breaker.run(async { Err::<(), _>(Failure::Answer) }).await;
        }
        assert!(!breaker.is_open());
    }

    #[tokio::test]
    async fn a_call_over_the_limit_times_out_and_counts_as_an_outage() {
        let breaker = breaker(Arc::new(AtomicBool::new(false)));
        for _ in 0..FAILURES_TO_OPEN {
            let late = breaker
                .run(async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok::<(), Failure>(())
                })
                .await;
            assert_eq!(late, Err(Failure::Late));
        }
        assert!(breaker.is_open());
    }

    #[tokio::test]
    async fn the_probe_closes_it_once_the_dependency_answers() {
        let up = Arc::new(AtomicBool::new(false));
        let breaker = breaker(Arc::clone(&up));
        for _ in 0..FAILURES_TO_OPEN {
            let _ = breaker.run(async { Err::<(), _>(Failure::Down) }).await;
        }
        tokio::time::sleep(PROBE_EVERY * 3).await;
        assert!(breaker.is_open(), "still down");
        up.store(true, Ordering::SeqCst);
        tokio::time::sleep(PROBE_EVERY * 2 + Duration::from_millis(200)).await;
        assert!(!breaker.is_open(), "closed within two probes");
        assert_eq!(breaker.run(async { Ok::<_, Failure>(7) }).await, Ok(7));
    }
}
