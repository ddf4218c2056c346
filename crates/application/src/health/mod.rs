//! Readiness: whether this instance can serve requests that need its dependencies.

mod service;

pub use service::{DependencyStatus, Readiness, ReadinessChecker, ReadinessService};
