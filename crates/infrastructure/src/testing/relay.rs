//! `FaultRelay`: a TCP relay of qblog's own, put between the service and Redis or the
//! database in tests, that fails the way networks and servers do.
//!
//! - [`FaultRelay::freeze`]: nothing moves in either direction, sockets stay open —
//!   a server stopped with `SIGSTOP`, a stalled network. [`FaultRelay::thaw`] resumes
//!   and what was sent meanwhile arrives.
//! - [`FaultRelay::cut`]: every connection is closed and new ones are closed as soon
//!   as they are accepted — a server that died. [`FaultRelay::restore`] lets new
//!   connections through again (a restarted server: old connections stay gone).
//! - [`FaultRelay::stall_connections_up_to`]: the connections accepted so far (or the
//!   next ones, numbered up to a bound) stay frozen for good while later ones work —
//!   a half-open connection, or a proxy that swallowed one connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the relay does with bytes at the moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Frozen,
    /// Connections up to and including this number were cut.
    Cut(usize),
}

/// A relay listening on a free loopback port, forwarding to one upstream address.
/// Dropping it stops it and closes its connections.
pub struct FaultRelay {
    address: SocketAddr,
    mode: watch::Sender<Mode>,
    accepted: Arc<AtomicUsize>,
    stalled_up_to: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl FaultRelay {
    /// Starts relaying to `upstream` (`host:port`).
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(upstream: impl Into<String>) -> Self {
        let upstream = upstream.into();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let address = listener.local_addr().expect("a bound address");
        let (mode, _) = watch::channel(Mode::Forward);
        let accepted = Arc::new(AtomicUsize::new(0));
        let stalled_up_to = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn(accept_loop(
            listener,
            upstream,
            mode.clone(),
            Arc::clone(&accepted),
            Arc::clone(&stalled_up_to),
        ));
        Self {
            address,
            mode,
            accepted,
            stalled_up_to,
            task,
        }
    }

    /// Where clients connect instead of the upstream.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Stops every byte, keeping connections open.
    pub fn freeze(&self) {
        self.mode.send_replace(Mode::Frozen);
    }

    /// Lets bytes move again after [`Self::freeze`].
    pub fn thaw(&self) {
        self.mode.send_replace(Mode::Forward);
    }

    /// Closes every connection and refuses new ones until [`Self::restore`].
    pub fn cut(&self) {
        self.mode.send_replace(Mode::Cut(usize::MAX));
    }

    /// Accepts and forwards new connections again after [`Self::cut`] (or a freeze).
    pub fn restore(&self) {
        self.mode.send_replace(Mode::Cut(self.connections()));
    }

    /// Connections numbered up to `number` (from 1, in the order accepted) stay frozen
    /// for good, whatever else happens; `connections()` stalls the current ones,
    /// `connections() + 1` the next one.
    pub fn stall_connections_up_to(&self, number: usize) {
        self.stalled_up_to.store(number, Ordering::SeqCst);
        // Wake the pumps so they see it.
        self.mode.send_modify(|_| {});
    }
}

impl Drop for FaultRelay {
    fn drop(&mut self) {
        self.task.abort();
        self.mode.send_replace(Mode::Cut(usize::MAX));
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: String,
    mode: watch::Sender<Mode>,
    accepted: Arc<AtomicUsize>,
    stalled_up_to: Arc<AtomicUsize>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            return;
        };
        let number = accepted.fetch_add(1, Ordering::SeqCst) + 1;
        if matches!(*mode.borrow(), Mode::Cut(up_to) if up_to >= number) {
            drop(client);
            continue;
        }
        let Ok(server) = TcpStream::connect(&upstream).await else {
            drop(client);
            continue;
        };
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        for (from, to) in [
            (
                Box::new(client_read) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
                Box::new(server_write) as Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
            ),
            (Box::new(server_read), Box::new(client_write)),
        ] {
            tokio::spawn(pump(
                from,
                to,
                number,
                mode.subscribe(),
                Arc::clone(&stalled_up_to),
            ));
        }
    }
}

/// Copies one direction of connection `number` while the mode allows.
async fn pump(
    mut from: Box<dyn tokio::io::AsyncRead + Send + Unpin>,
    mut to: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
    number: usize,
    mut mode: watch::Receiver<Mode>,
    stalled_up_to: Arc<AtomicUsize>,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        // Wait until this connection may move bytes; end it once it is cut.
        loop {
            let current = *mode.borrow_and_update();
            match current {
                Mode::Cut(up_to) if up_to >= number => return,
                Mode::Frozen => {}
                _ if number <= stalled_up_to.load(Ordering::SeqCst) => {}
                _ => break,
            }
            if mode.changed().await.is_err() {
                return;
            }
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            // A change of mode (a freeze, a cut) takes effect even while idle.
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        };
        match read {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(count) => {
                if to.write_all(&buffer[..count]).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// An upstream that echoes what it receives.
    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bound");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buffer = [0_u8; 1024];
                    while let Ok(read) = socket.read(&mut buffer).await {
                        if read == 0 || socket.write_all(&buffer[..read]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        address
    }

    async fn round_trip(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
        stream.write_all(b"ping").await.ok()?;
        let mut reply = [0_u8; 4];
        match tokio::time::timeout(within, stream.read_exact(&mut reply)).await {
            Ok(Ok(_)) => Some(reply.to_vec()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn forwards_freezes_thaws_cuts_and_restores() {
        let relay = FaultRelay::start(echo_server().await.to_string()).await;
        let mut stream = TcpStream::connect(relay.address())
            .await
            .expect("connected");
        let short = Duration::from_millis(300);
        assert_eq!(round_trip(&mut stream, short).await, Some(b"ping".to_vec()));

        relay.freeze();
        assert_eq!(round_trip(&mut stream, short).await, None, "frozen");
        relay.thaw();
        let mut held = [0_u8; 4];
        let arrived = tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut held));
        assert!(
            arrived.await.is_ok(),
            "what was held arrives after the thaw"
        );
        assert_eq!(&held, b"ping");

        relay.cut();
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut rest));
        assert!(closed.await.is_ok(), "a cut closes the connection");
        let mut refused = TcpStream::connect(relay.address()).await.expect("accepted");
        assert_eq!(round_trip(&mut refused, short).await, None, "and new ones");

        relay.restore();
        let mut again = TcpStream::connect(relay.address())
            .await
            .expect("connected");
        assert_eq!(round_trip(&mut again, short).await, Some(b"ping".to_vec()));
    }

    #[tokio::test]
    async fn stalled_connections_stay_frozen_while_later_ones_work() {
        let relay = FaultRelay::start(echo_server().await.to_string()).await;
        relay.stall_connections_up_to(1);
        let mut first = TcpStream::connect(relay.address())
            .await
            .expect("connected");
        let short = Duration::from_millis(300);
        assert_eq!(round_trip(&mut first, short).await, None);
        let mut second = TcpStream::connect(relay.address())
            .await
            .expect("connected");
        assert_eq!(round_trip(&mut second, short).await, Some(b"ping".to_vec()));
    }
}
