//! The HTTP/1.1 server: accepts connections, drives them with hyper and hands every
//! request to the poem application.
//!
//! poem's own `Server` would serve the same application, but it costs ≈ 28 KiB per
//! waiting request before any of qblog's code runs (`bench/longpoll-floor.sh`); a
//! plain hyper HTTP/1 connection costs ≈ 11 KiB. Together with parked long-polls
//! (`qblog_interface::pipeline::park`) that is what lets one process hold 10,000
//! waiting browsers in under 200 MB (docs/perf.md). HTTP/2 is not offered: qblog runs
//! behind nginx, which talks HTTP/1.1 to its upstreams.
//!
//! The socket is shared (`SharedStream`) between hyper and a watch that tells a
//! parked long-poll when its client went away: hyper notices a closed connection only
//! when it reads, and it does not read while a pipelined request waits in its buffer.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::http::HeaderValue;
use poem::http::header::CONNECTION;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Request};
use qblog_interface::App;
use qblog_interface::lifecycle::LifecycleControl;
use qblog_interface::pipeline::park::ClientGone;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The response body type poem hands to hyper.
type ResponseBody = http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error>;

/// The server's time limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// After the shutdown signal, how long to keep accepting and serving (with every
    /// response closing its connection) before the listener closes
    /// (`server.drain_delay_secs`).
    pub drain_delay: Duration,
    /// How long the whole shutdown may take from the signal
    /// (`server.shutdown_timeout_secs`).
    pub shutdown: Duration,
    /// How long a connection may take to send a request head — the idle time of a
    /// keep-alive connection included (`server.request_timeout_secs`). Proxies in front
    /// must drop idle upstream connections sooner (deploy/nginx/qblog.conf).
    pub header_read: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves; then drains:
///
/// 1. readiness fails and every response closes its connection (`lifecycle`
///    draining), while new connections are still accepted, for `limits.drain_delay`;
/// 2. the listener closes, idle connections are closed, bodies still arriving are cut
///    off (`lifecycle` closing), requests in flight finish;
/// 3. it returns — at the latest `limits.shutdown` after `shutdown` resolved.
///
/// # Errors
/// When the listener's address cannot be read.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send,
    limits: Limits,
    lifecycle: LifecycleControl,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let (closing, closing_rx) = watch::channel(false);
    let (alive, _) = watch::channel(());
    let connections = Connections {
        app: Arc::new(app),
        local: listener.local_addr()?,
        builder,
        draining: Arc::new(AtomicBool::new(false)),
        closing: closing_rx,
        alive,
    };
    accept_until(&listener, &connections, shutdown).await;
    let deadline = tokio::time::Instant::now() + limits.shutdown;
    tracing::info!(
        drain_delay_secs = limits.drain_delay.as_secs(),
        "draining: readiness fails and responses close their connections"
    );
    lifecycle.start_draining();
    connections.draining.store(true, Ordering::SeqCst);
    accept_until(
        &listener,
        &connections,
        tokio::time::sleep(limits.drain_delay),
    )
    .await;
    drop(listener);
    lifecycle.start_closing();
    closing.send_replace(true);
    tracing::info!("no longer accepting; finishing the requests in flight");
    if tokio::time::timeout_at(deadline, connections.alive.closed())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after server.shutdown_timeout_secs were cut off");
    }
    Ok(())
}

/// How long a connection that has not sent its first request yet is given to send
/// it once the server closes: a proxy that opened it a moment ago is sending one,
/// and closing it under that request would lose the request.
pub const FIRST_REQUEST_GRACE: Duration = Duration::from_secs(1);

/// What every accepted connection is served with.
struct Connections {
    app: Arc<App>,
    local: SocketAddr,
    builder: http1::Builder,
    /// Set once draining: every response then carries `Connection: close`.
    draining: Arc<AtomicBool>,
    /// Turns `true` when the listener has closed: connections close between
    /// requests from then on.
    closing: watch::Receiver<bool>,
    /// Every connection's task holds a receiver; shutdown waits until none is left.
    alive: watch::Sender<()>,
}

/// Accepts and serves connections until `until` resolves.
async fn accept_until(
    listener: &TcpListener,
    connections: &Connections,
    until: impl Future<Output = ()>,
) {
    let mut until = std::pin::pin!(until);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut until => return,
        };
        connections.serve(stream, peer);
    }
}

impl Connections {
    /// Drives one connection on its own task.
    fn serve(&self, stream: TcpStream, peer: SocketAddr) {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
        let stream = Arc::new(stream);
        let gone = client_gone(Arc::downgrade(&stream));
        let (app, local, draining) = (
            Arc::clone(&self.app),
            self.local,
            Arc::clone(&self.draining),
        );
        let first_request = Arc::new(tokio::sync::Notify::new());
        let started = Arc::clone(&first_request);
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            started.notify_one();
            // Converted here, not in the future: a waiting request's future then
            // holds only what the application's own future holds.
            let mut req = Request::from((
                req,
                LocalAddr(Addr::SocketAddr(local)),
                RemoteAddr(Addr::SocketAddr(peer)),
                Scheme::HTTP,
            ));
            req.extensions_mut().insert(gone.clone());
            let answer = qblog_interface::answer(Arc::clone(&app), req);
            let draining = Arc::clone(&draining);
            async move {
                let mut response = answer.await;
                if draining.load(Ordering::SeqCst) {
                    // Close between requests: the client opens its next connection
                    // elsewhere (or here, until the listener closes).
                    response
                        .headers_mut()
                        .insert(CONNECTION, HeaderValue::from_static("close"));
                }
                Ok::<_, Infallible>(hyper::Response::<ResponseBody>::from(response))
            }
        });
        let io = TokioIo::new(SharedStream(stream));
        let connection = self.builder.serve_connection(io, service);
        let mut closing = self.closing.clone();
        let alive = self.alive.subscribe();
        tokio::spawn(async move {
            let _alive = alive;
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => Some(ended),
                _ = closing.wait_for(|closing| *closing) => None,
            };
            let ended = match ended {
                Some(ended) => ended,
                None => {
                    // Closing. A connection that has not sent a request yet gets a
                    // moment to send it (hyper counts a half-read head as idle).
                    let first = tokio::select! {
                        ended = connection.as_mut() => Some(ended),
                        () = first_request.notified() => None,
                        () = tokio::time::sleep(FIRST_REQUEST_GRACE) => None,
                    };
                    match first {
                        Some(ended) => ended,
                        None => {
                            // Idle: closed now; busy: closed after its answer.
                            connection.as_mut().graceful_shutdown();
                            connection.await
                        }
                    }
                }
            };
            if let Err(err) = ended {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
        });
    }
}

/// The most one read takes from a socket (see `SharedStream`'s `poll_read`).
const READ_CHUNK: usize = 4096;

/// A connection's socket, shared by hyper (which reads and writes it) and the
/// [`ClientGone`] watch of its requests, which only peeks.
struct SharedStream(Arc<TcpStream>);

impl AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            // Safe code must zero what it reads into; hyper offers its whole buffer
            // (8 KiB and more) on every read, so only the first READ_CHUNK is zeroed:
            // a request head fits, a longer body takes a few more reads.
            let room = buf.remaining().min(READ_CHUNK);
            match self.0.try_read(buf.initialize_unfilled_to(room)) {
                Ok(read) => {
                    buf.advance(read);
                    return Poll::Ready(Ok(()));
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
    }
}

impl AsyncWrite for SharedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write_vectored(bufs) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                written => return Poll::Ready(written),
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A TCP shutdown does not block.
        Poll::Ready(socket2::SockRef::from(&*self.0).shutdown(std::net::Shutdown::Write))
    }
}

/// Resolves when the client of a connection has gone: the socket reads end-of-stream
/// or an error. Data waiting to be read (a pipelined request) says nothing either way,
/// so the socket is looked at again a second later.
fn client_gone(stream: Weak<TcpStream>) -> ClientGone {
    ClientGone::new(move || {
        let stream = stream.clone();
        Box::pin(async move {
            loop {
                let Some(socket) = stream.upgrade() else {
                    return;
                };
                let mut byte = [0_u8; 1];
                match socket.peek(&mut byte).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        drop(socket);
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        })
    })
}

/// The listener to serve on: the socket systemd handed over (socket activation,
/// `LISTEN_FDS`), or else a new one bound to `address`.
///
/// With an inherited socket, connections that arrive while no process accepts them —
/// between an old process closing its listener and the new one starting — wait in the
/// socket's queue instead of being refused, so a restart loses no connection.
///
/// # Errors
/// When the inherited descriptor is not a TCP listener, or `address` cannot be bound.
pub async fn listen(address: &str) -> std::io::Result<(TcpListener, SocketAddr)> {
    if let Some(inherited) = listenfd::ListenFd::from_env().take_tcp_listener(0)? {
        inherited.set_nonblocking(true)?;
        let listener = TcpListener::from_std(inherited)?;
        let bound = listener.local_addr()?;
        tracing::info!(%bound, "serving on the socket systemd handed over");
        return Ok((listener, bound));
    }
    bind(address).await
}

/// The address a listener bound to `address` is reached at; port 0 picks a free one.
///
/// # Errors
/// When the address cannot be bound.
pub async fn bind(address: &str) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(address).await?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, handler};
    use qblog_interface::pipeline::filters::LegacyErrorStatus;
    use qblog_interface::pipeline::interceptors::{AccessLog, Timing};
    use qblog_interface::pipeline::middleware::{
        ClientIpMiddleware, HeadLimits, RequestIdMiddleware,
    };
    use qblog_interface::pipeline::park::Unpark;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::oneshot;

    use super::*;

    #[handler]
    async fn slow(req: &Request) -> String {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let peer = req.remote_addr().as_socket_addr().map(|addr| addr.ip());
        format!(
            "finished for {}",
            peer.map_or("nobody".into(), |ip| ip.to_string())
        )
    }

    fn limits(shutdown: Duration) -> Limits {
        Limits {
            drain_delay: Duration::ZERO,
            shutdown,
            header_read: Duration::from_secs(30),
        }
    }

    async fn raw_get(address: SocketAddr) -> std::io::Result<String> {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await?;
        Ok(reply)
    }

    /// A server on a free port whose only route takes 700 ms; stops when told.
    async fn start(
        limits: Limits,
    ) -> (
        SocketAddr,
        oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    ) {
        let (listener, address) = bind("127.0.0.1:0").await.expect("bound");
        let app = slow
            .map_to_response()
            .boxed()
            .with(Unpark::for_paths(&[]))
            .with(Timing)
            .with(AccessLog::new(None))
            .with(ClientIpMiddleware::default())
            .with(HeadLimits)
            .with(RequestIdMiddleware)
            .with(LegacyErrorStatus::new(false));
        let (stop, stopped) = oneshot::channel::<()>();
        let (control, _lifecycle) = qblog_interface::lifecycle::Lifecycle::new();
        let server = tokio::spawn(serve(
            listener,
            app,
            async {
                let _ = stopped.await;
            },
            limits,
            control,
        ));
        (address, stop, server)
    }

    /// Sends one keep-alive GET on `stream` and reads the whole response head and body.
    async fn keep_alive_get(stream: &mut tokio::net::TcpStream) -> String {
        stream
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .expect("sent");
        let mut reply = Vec::new();
        let mut buffer = [0_u8; 1024];
        while !String::from_utf8_lossy(&reply).contains("finished for") {
            let read = stream.read(&mut buffer).await.expect("read");
            assert!(read > 0, "closed before the answer");
            reply.extend_from_slice(&buffer[..read]);
        }
        String::from_utf8_lossy(&reply).into_owned()
    }

    /// A server draining for `delay` once stopped, and a keep-alive connection to it
    /// that has had one answer.
    async fn draining_server(
        delay: Duration,
    ) -> (
        SocketAddr,
        oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
        tokio::net::TcpStream,
        String,
    ) {
        let (address, stop, server) = start(Limits {
            drain_delay: delay,
            shutdown: Duration::from_secs(5),
            header_read: Duration::from_secs(30),
        })
        .await;
        let mut idle = tokio::net::TcpStream::connect(address)
            .await
            .expect("connected");
        let first = keep_alive_get(&mut idle).await;
        (address, stop, server, idle, first)
    }

    fn closes(reply: &str) -> bool {
        reply.to_ascii_lowercase().contains("connection: close")
    }

    #[tokio::test]
    async fn while_draining_it_still_serves_and_closes_each_connection_after_its_answer() {
        let (address, stop, server, mut idle, before) =
            draining_server(Duration::from_millis(1500)).await;
        assert!(!closes(&before), "{before}");
        stop.send(()).expect("server still running");
        tokio::time::sleep(Duration::from_millis(100)).await;

        // A new connection during the delay is accepted; its answer closes it.
        let mut late = tokio::net::TcpStream::connect(address)
            .await
            .expect("still accepting");
        let reply = keep_alive_get(&mut late).await;
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(closes(&reply), "{reply}");
        // The idle keep-alive connection still works during the delay, and closes
        // after that answer.
        let reply = keep_alive_get(&mut idle).await;
        assert!(closes(&reply), "{reply}");
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(2), idle.read_to_end(&mut rest));
        assert!(closed.await.is_ok(), "closed after its answer");

        server.await.expect("joined").expect("exited cleanly");
        assert!(tokio::net::TcpStream::connect(address).await.is_err());
    }

    #[tokio::test]
    async fn a_connection_opened_just_before_the_listener_closes_still_gets_its_answer() {
        let (address, stop, server) = start(Limits {
            drain_delay: Duration::from_millis(300),
            shutdown: Duration::from_secs(5),
            header_read: Duration::from_secs(30),
        })
        .await;
        stop.send(()).expect("server still running");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut late = tokio::net::TcpStream::connect(address)
            .await
            .expect("accepted during the delay");
        // The request comes after the listener has closed (a proxy that opened the
        // connection a moment ago and is sending on it now).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let reply = keep_alive_get(&mut late).await;
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(closes(&reply), "{reply}");
        server.await.expect("joined").expect("exited cleanly");
    }

    #[tokio::test]
    async fn an_idle_connection_is_kept_until_the_drain_delay_is_over_then_closed() {
        let (_address, stop, server, mut idle, _) =
            draining_server(Duration::from_millis(800)).await;
        let stopped_at = std::time::Instant::now();
        stop.send(()).expect("server still running");
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(3), idle.read_to_end(&mut rest))
            .await
            .expect("closed once the delay is over")
            .expect("read");
        assert!(
            stopped_at.elapsed() >= Duration::from_millis(700),
            "closed after {:?}, before the delay was over",
            stopped_at.elapsed()
        );
        server.await.expect("joined").expect("exited cleanly");
    }

    #[tokio::test]
    async fn a_request_in_flight_at_shutdown_is_finished_and_new_ones_are_refused() {
        let (address, stop, server) = start(limits(Duration::from_secs(5))).await;
        let in_flight = tokio::spawn(raw_get(address));
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.send(()).expect("server still running");

        let reply = in_flight
            .await
            .expect("joined")
            .expect("the slow request got a reply");
        assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
        assert!(reply.ends_with("finished for 127.0.0.1"), "{reply}");
        server
            .await
            .expect("joined")
            .expect("the server exited cleanly");
        assert!(tokio::net::TcpStream::connect(address).await.is_err());
    }

    #[tokio::test]
    async fn a_request_still_running_after_the_drain_time_is_cut_off() {
        let (address, stop, server) = start(limits(Duration::from_millis(100))).await;
        let in_flight = tokio::spawn(raw_get(address));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).expect("server still running");
        let ended = tokio::time::timeout(Duration::from_millis(500), server).await;
        assert!(ended.is_ok(), "the server waited past its drain time");
        in_flight.abort();
    }

    #[tokio::test]
    async fn a_connection_that_sends_no_complete_request_head_in_time_is_closed() {
        let (address, _stop, _server) = start(Limits {
            drain_delay: Duration::ZERO,
            shutdown: Duration::from_secs(1),
            header_read: Duration::from_millis(300),
        })
        .await;
        // Half a request head, then nothing: a slow client, or a slowloris.
        let mut laggard = tokio::net::TcpStream::connect(address)
            .await
            .expect("connected");
        laggard
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
            .await
            .expect("sent");
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(3), laggard.read_to_end(&mut rest)).await;
        assert!(
            closed.is_ok(),
            "the half-sent request kept its connection open"
        );
        // An idle keep-alive connection goes the same way.
        let mut idle = tokio::net::TcpStream::connect(address)
            .await
            .expect("connected");
        let closed =
            tokio::time::timeout(Duration::from_secs(3), idle.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the idle connection was kept open");
    }
}
