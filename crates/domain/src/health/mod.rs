//! Ports readiness checks use to ask a dependency whether it answers.

use async_trait::async_trait;
use shaku_interface::Interface;

/// Why a dependency did not answer a health probe.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProbeError(pub String);

/// Answers whether the relational database can run a trivial query.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DatabaseHealth: Interface {
    /// Runs the cheapest possible round trip (`SELECT 1`).
    ///
    /// # Errors
    /// Returns [`ProbeError`] with a short, secret-free description when the database
    /// cannot be reached or the query fails.
    async fn ping(&self) -> Result<(), ProbeError>;
}
