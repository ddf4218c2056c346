//! Liveness and readiness probes for orchestrators and load balancers.

mod controller;

pub use controller::HealthController;
