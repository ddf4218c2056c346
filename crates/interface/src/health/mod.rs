//! Liveness and readiness probes for orchestrators and load balancers.

pub(crate) mod controller;

pub use controller::HealthController;
