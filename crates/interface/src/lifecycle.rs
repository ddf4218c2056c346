//! Where the instance is in its life, for the parts of the HTTP layer that act on it.
//!
//! ```text
//!  serving ──SIGTERM──► draining ──server.drain_delay_secs──► closing ──in flight done──► exit
//!                        readiness 503 `draining`               no longer accepting
//!                        every response `Connection: close`     unfinished bodies: 408
//!                        long-polls answer at once
//! ```
//!
//! While draining, the instance still accepts and serves: load balancers and proxies
//! see readiness fail and stop sending, and every connection that carries a request
//! is closed after its response, between requests. The server ([`LifecycleControl`])
//! moves the states; the rest of the interface only reads them ([`Lifecycle`]).

use tokio::sync::watch;

/// Read side: what the pipeline, the health probe and the long-poll look at.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    draining: watch::Receiver<bool>,
    closing: watch::Receiver<bool>,
}

/// Write side, held by the server.
#[derive(Debug)]
pub struct LifecycleControl {
    draining: watch::Sender<bool>,
    closing: watch::Sender<bool>,
}

impl Lifecycle {
    /// A lifecycle in the serving state, and its control.
    pub fn new() -> (LifecycleControl, Self) {
        let (draining, draining_rx) = watch::channel(false);
        let (closing, closing_rx) = watch::channel(false);
        (
            LifecycleControl { draining, closing },
            Self {
                draining: draining_rx,
                closing: closing_rx,
            },
        )
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Resolves when shutdown begins; never, once its control is gone without
    /// starting it (a test without a server).
    pub async fn draining(&self) {
        wait_for(self.draining.clone()).await;
    }

    /// Resolves when the server stops accepting: whatever is still being read then
    /// will not be waited for.
    pub async fn closing(&self) {
        wait_for(self.closing.clone()).await;
    }
}

async fn wait_for(mut flag: watch::Receiver<bool>) {
    if flag.wait_for(|set| *set).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl LifecycleControl {
    /// Shutdown begins: readiness fails, responses close their connections.
    pub fn start_draining(&self) {
        self.draining.send_replace(true);
    }

    /// The server stops accepting; implies draining.
    pub fn start_closing(&self) {
        self.draining.send_replace(true);
        self.closing.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_states_move_forward_and_waiters_wake() {
        let (control, lifecycle) = Lifecycle::new();
        assert!(!lifecycle.is_draining());
        let waiter = tokio::spawn({
            let lifecycle = lifecycle.clone();
            async move { lifecycle.draining().await }
        });
        control.start_draining();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woke")
            .expect("joined");
        assert!(lifecycle.is_draining());
        let closing = tokio::time::timeout(Duration::from_millis(50), lifecycle.closing()).await;
        assert!(closing.is_err(), "closing comes later");
        control.start_closing();
        tokio::time::timeout(Duration::from_secs(1), lifecycle.closing())
            .await
            .expect("closing");
    }

    #[tokio::test]
    async fn without_a_server_nothing_ever_drains() {
        let (control, lifecycle) = Lifecycle::new();
        drop(control);
        let waited = tokio::time::timeout(Duration::from_millis(50), lifecycle.draining()).await;
        assert!(waited.is_err());
    }
}
