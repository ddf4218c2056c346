//! Errors of the key-value store port.

/// What can go wrong talking to the key-value store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached or did not answer in time; retrying later may work.
    #[error("the key-value store is unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug, a corrupt value, an unexpected reply.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
