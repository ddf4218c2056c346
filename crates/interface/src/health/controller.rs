//! `GET /health/live` and `GET /health/ready`.

use std::sync::Arc;

use poem_openapi::{Object, OpenApi, Tags};
use qblog_application::health::{DependencyStatus, ReadinessService};
use serde::Serialize;

use crate::lifecycle::Lifecycle;
use crate::pipeline::filters::ApiError;
use crate::pipeline::interceptors::Reply;

/// What a health probe reports.
#[derive(Debug, Object, Serialize)]
pub struct HealthReport {
    /// `live` or `ready`.
    pub status: String,
    /// The database's state: `up`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The key-value store's state: `up`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// Health probes.
pub struct HealthController {
    readiness: Arc<dyn ReadinessService>,
    lifecycle: Lifecycle,
}

impl HealthController {
    /// A controller over the readiness service; readiness fails once `lifecycle`
    /// drains.
    pub fn new(readiness: Arc<dyn ReadinessService>, lifecycle: Lifecycle) -> Self {
        Self {
            readiness,
            lifecycle,
        }
    }
}

/// The group the routes are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum OperationsTags {
    /// Probes and metrics for operators.
    Operations,
}

#[OpenApi(tag = "OperationsTags::Operations")]
impl HealthController {
    /// Liveness: answers 200 while the process serves requests.
    #[oai(path = "/health/live", method = "get")]
    async fn live(&self) -> Reply<HealthReport> {
        Reply::new(HealthReport {
            status: "live".to_owned(),
            database: None,
            store: None,
        })
    }

    /// Readiness: 200 when the database and the store answer, else 503 naming which
    /// failed; 503 `draining` from the moment shutdown begins.
    #[oai(path = "/health/ready", method = "get")]
    async fn ready(&self) -> Result<Reply<HealthReport>, ApiError> {
        if self.lifecycle.is_draining() {
            return Err(
                ApiError::unavailable("draining: this instance is shutting down")
                    .with_specific_code("draining"),
            );
        }
        let readiness = self.readiness.check().await;
        if readiness.is_ready() {
            return Ok(Reply::new(HealthReport {
                status: "ready".to_owned(),
                database: Some("up".to_owned()),
                store: Some("up".to_owned()),
            }));
        }
        let failed: Vec<String> = [
            ("database", &readiness.database),
            ("store", &readiness.store),
        ]
        .into_iter()
        .filter_map(|(name, status)| match status {
            DependencyStatus::Up => None,
            DependencyStatus::Down(why) => Some(format!("{name} ({why})")),
        })
        .collect();
        Err(ApiError::unavailable(format!(
            "not ready: {}",
            failed.join(", ")
        )))
    }
}
