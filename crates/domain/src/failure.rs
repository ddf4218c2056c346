//! What every feature's error can stand for besides its own cases: a dependency that
//! is down (503, retry later) and anything unexpected (500). Adapters build these
//! through [`Failure`], so one mapping of database and store errors serves every
//! feature.

/// An error type with an outage case and an unexpected case.
pub trait Failure: Sized {
    /// A dependency (database, store) could not be reached; retrying later may work.
    fn unavailable(why: String) -> Self;

    /// Anything else: a bug or corrupt data.
    fn unexpected(err: anyhow::Error) -> Self;
}
