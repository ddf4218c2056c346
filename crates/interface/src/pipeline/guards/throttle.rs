//! The throttle guard: per-key request limits kept in the store, so a limit holds
//! across every instance sharing it. Over the limit: 429 with `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use qblog_domain::throttle::{Throttle, ThrottleDecision};

use crate::pipeline::filters::{ApiError, ErrorCode};

/// Counts requests per key and refuses those over a limit.
#[derive(Clone)]
pub struct ThrottleGuard {
    throttle: Arc<dyn Throttle>,
}

impl ThrottleGuard {
    /// A guard counting in `throttle`.
    pub fn new(throttle: Arc<dyn Throttle>) -> Self {
        Self { throttle }
    }

    /// Counts one request under `key`; refuses it when it is over `per_minute`.
    ///
    /// # Errors
    /// 429 `too_many_requests` with `Retry-After`; 503 when the store is down.
    pub async fn per_minute(&self, key: &str, per_minute: u64) -> Result<(), ApiError> {
        match self
            .throttle
            .hit(key, per_minute, Duration::from_secs(60))
            .await?
        {
            ThrottleDecision::Allowed => Ok(()),
            ThrottleDecision::Limited { retry_after } => Err(ApiError::new(
                ErrorCode::TooManyRequests,
                "too many requests, slow down",
            )
            .with_retry_after(retry_after.as_secs().max(1))),
        }
    }
}
