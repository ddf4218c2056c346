//! Parking: how a long-poll waits without holding the request pipeline.
//!
//! A handler with nothing new to say answers [`Parkable::Parked`] with a wake future
//! instead of waiting itself. The response travels back out through the pipeline to
//! [`Unpark`], which drops it — and with it every future the pipeline inside it held
//! for the request — then waits on the wake and runs a copy of the request through
//! that pipeline again, marked [`Resumed`]. The second run answers or parks again.
//!
//! A waiting request so costs its connection, the copy of its head and the wake
//! (a subscription and a timer), not the dozen nested futures of routing, middleware
//! and handler: that is what lets one process hold ten thousand long-polls. Only the
//! small layers that must see the whole request — its id and span, the client address,
//! the access log and metrics, which record it once from arrival to answer — sit
//! outside [`Unpark`] and wait with it.
//!
//! While it waits, a parked request also watches its connection ([`ClientGone`],
//! given by the server): a client that goes away ends the wait, and the request is
//! answered `499` — nginx's "client closed request" — for the log and metrics only.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use poem::http::header::HeaderValue;
use poem::http::uri::Scheme;
use poem::http::{Extensions, HeaderMap, Method, StatusCode, Uri, Version};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, IntoResponse, Middleware, Request, RequestParts, Response, Result};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaResponses, Registry};

use crate::pipeline::filters::{ApiError, log};
use crate::pipeline::middleware::RequestId;

type WakeFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A parked request: run it again once `wake` resolves.
#[derive(Clone)]
pub struct Parked {
    wake: Arc<Mutex<Option<WakeFuture>>>,
    deadline: tokio::time::Instant,
}

impl Parked {
    /// Parks until `wake` resolves; `deadline` is when the whole wait ends, handed to
    /// the next run in [`Resumed`].
    pub fn new(
        deadline: tokio::time::Instant,
        wake: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        Self {
            wake: Arc::new(Mutex::new(Some(Box::pin(wake)))),
            deadline,
        }
    }

    fn take_wake(&self) -> Option<WakeFuture> {
        self.wake
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Marks a request run again after it was parked.
#[derive(Debug, Clone, Copy)]
pub struct Resumed {
    /// When the client's wait ends.
    pub deadline: tokio::time::Instant,
}

impl Resumed {
    /// The mark on `req`, if it is a resumed request.
    pub fn of(req: &Request) -> Option<Self> {
        req.extensions().get::<Self>().copied()
    }
}

type GoneFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Tells when a request's client has gone away: the server puts one into each
/// request's extensions. A parked request stops waiting when it resolves.
#[derive(Clone)]
pub struct ClientGone(Arc<dyn Fn() -> GoneFuture + Send + Sync>);

impl ClientGone {
    /// `watch` makes a future that resolves once the client is gone.
    pub fn new(watch: impl Fn() -> GoneFuture + Send + Sync + 'static) -> Self {
        Self(Arc::new(watch))
    }

    fn of(req: &Request) -> Option<Self> {
        req.extensions().get::<Self>().cloned()
    }

    fn wait(&self) -> GoneFuture {
        (self.0)()
    }
}

impl std::fmt::Debug for ClientGone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientGone")
    }
}

/// nginx's "client closed request": what a request whose client left is logged as.
pub const CLIENT_CLOSED_REQUEST: u16 = 499;

fn client_closed() -> Response {
    let status = StatusCode::from_u16(CLIENT_CLOSED_REQUEST).unwrap_or(StatusCode::BAD_REQUEST);
    Response::builder().status(status).finish()
}

/// A handler's answer, or its request parked until something may have changed.
pub enum Parkable<R> {
    /// The answer.
    Ready(R),
    /// Nothing yet: [`Unpark`] runs the request again later.
    Parked(Parked),
}

impl<R: IntoResponse> IntoResponse for Parkable<R> {
    fn into_response(self) -> Response {
        match self {
            Self::Ready(reply) => reply.into_response(),
            Self::Parked(parked) => {
                let mut response = StatusCode::OK.into_response();
                response.extensions_mut().insert(parked);
                response
            }
        }
    }
}

/// Documented as the answer: a parked request never reaches the client as such.
impl<R: ApiResponse> ApiResponse for Parkable<R> {
    fn meta() -> MetaResponses {
        R::meta()
    }

    fn register(registry: &mut Registry) {
        R::register(registry);
    }
}

/// What is kept of a parked request to run it again: its head, not its body (only
/// `GET` and `HEAD` requests park), and what the outer layers attached to it (its id,
/// client address, facts).
struct Head {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    extensions: Extensions,
    local: LocalAddr,
    remote: RemoteAddr,
    scheme: Scheme,
}

impl Head {
    /// An owned copy: the original's bytes live in the connection's read buffer, which
    /// the copy must not keep alive.
    fn copy(req: &Request) -> Option<Self> {
        let uri = Uri::try_from(req.uri().to_string()).ok()?;
        let mut headers = HeaderMap::with_capacity(req.headers().len());
        for (name, value) in req.headers() {
            headers.append(
                name.clone(),
                HeaderValue::from_bytes(value.as_bytes()).ok()?,
            );
        }
        Some(Self {
            method: req.method().clone(),
            uri,
            version: req.version(),
            headers,
            extensions: req.extensions().clone(),
            local: req.local_addr().clone(),
            remote: req.remote_addr().clone(),
            scheme: req.scheme().clone(),
        })
    }

    fn request(&self, resumed: Resumed) -> Request {
        let (mut parts, ()) = poem::http::Request::new(()).into_parts();
        parts.method = self.method.clone();
        parts.uri = self.uri.clone();
        parts.version = self.version;
        parts.headers = self.headers.clone();
        parts.extensions = self.extensions.clone();
        parts.extensions.insert(resumed);
        let parts = RequestParts::from((
            parts,
            self.local.clone(),
            self.remote.clone(),
            self.scheme.clone(),
        ));
        Request::from_parts(parts, poem::Body::empty())
    }
}

/// Runs parked requests again once they wake. Everything inside it is dropped while a
/// request waits; keep only small, whole-request layers outside it.
#[derive(Debug, Clone)]
pub struct Unpark {
    paths: Arc<[&'static str]>,
}

impl Unpark {
    /// Lets `GET` requests to `paths` park. Only their heads are copied (a few hundred
    /// bytes) before they run.
    pub fn for_paths(paths: &[&'static str]) -> Self {
        Self {
            paths: paths.into(),
        }
    }
}

impl<E: Endpoint + 'static> Middleware<E> for Unpark {
    type Output = UnparkEndpoint;

    fn transform(&self, inner: E) -> Self::Output {
        let inner = Arc::new(inner);
        UnparkEndpoint {
            run: Arc::new(move |req| run(Arc::clone(&inner), req)),
            paths: Arc::clone(&self.paths),
        }
    }
}

type Run = Pin<Box<dyn Future<Output = Response> + Send>>;

/// The endpoint produced by [`Unpark`]. The pipeline inside is reached through `run`,
/// so the endpoint's type does not carry it (nor its lifetimes).
pub struct UnparkEndpoint {
    run: Arc<dyn Fn(Request) -> Run + Send + Sync>,
    paths: Arc<[&'static str]>,
}

/// One run through the pipeline, boxed and owning what it needs: its size is freed
/// when it ends, and a parked request keeps none of it.
fn run<E: Endpoint + 'static>(inner: Arc<E>, req: Request) -> Run {
    Box::pin(async move {
        match inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        }
    })
}

impl UnparkEndpoint {
    /// Answers `req`, parking and resuming it as often as the pipeline asks.
    ///
    /// The request is taken apart before the returned future exists, so that future
    /// holds only the copied head, a few words and — while parked — the wake; not
    /// the request, and not the pipeline's futures.
    pub fn handle(&self, req: Request) -> impl Future<Output = Response> + Send + 'static {
        // HEAD runs the GET handler in poem, so it may park as well.
        let may_park = matches!(*req.method(), Method::GET | Method::HEAD)
            && self.paths.contains(&req.uri().path());
        let head = if may_park { Head::copy(&req) } else { None };
        let gone = if may_park { ClientGone::of(&req) } else { None };
        let runner = Arc::clone(&self.run);
        let first = runner(req);
        async move {
            let mut response = first.await;
            loop {
                let Some(parked) = response.extensions_mut().remove::<Parked>() else {
                    return response;
                };
                let (Some(head), Some(wake)) = (&head, parked.take_wake()) else {
                    // Parked on a route not declared here: a wiring mistake.
                    let error =
                        ApiError::internal("a request parked on a route Unpark does not resume");
                    log(&error);
                    let id = head
                        .as_ref()
                        .and_then(|head| head.extensions.get::<RequestId>())
                        .map_or("-", |id| id.0.as_str());
                    return error.to_response(id);
                };
                drop(response);
                let gone_wait = async {
                    match &gone {
                        Some(gone) => gone.wait().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    woke = AssertUnwindSafe(wake).catch_unwind() => {
                        if woke.is_err() {
                            // The resumed run reports the state as it is; the panic is logged.
                            let error = ApiError::internal("a parked request's wake panicked");
                            log(&error);
                        }
                    }
                    () = gone_wait => return client_closed(),
                }
                let again = head.request(Resumed {
                    deadline: parked.deadline,
                });
                response = runner(again).await;
            }
        }
    }
}

impl Endpoint for UnparkEndpoint {
    type Output = Response;

    fn call(&self, req: Request) -> impl Future<Output = Result<Response>> + Send {
        let answer = self.handle(req);
        async move { Ok(answer.await) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use poem::EndpointExt;
    use poem::endpoint::make;

    use super::*;

    /// Parks its first `parks` calls for 10 ms each, then answers how often it ran.
    fn parking_endpoint(parks: usize) -> (impl Endpoint<Output = Response>, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&runs);
        let endpoint = make(move |req: Request| {
            let run = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                let resumed = Resumed::of(&req).is_some();
                let reply: Parkable<String> = if run <= parks {
                    Parkable::Parked(Parked::new(
                        tokio::time::Instant::now() + Duration::from_secs(1),
                        tokio::time::sleep(Duration::from_millis(10)),
                    ))
                } else {
                    Parkable::Ready(format!("run {run}, resumed {resumed}"))
                };
                reply.into_response()
            }
        });
        (endpoint, runs)
    }

    /// What `endpoint`, behind `Unpark` for `/wait`, answers to `GET uri`.
    async fn body_of(endpoint: impl Endpoint<Output = Response> + 'static, uri: &str) -> String {
        let app = endpoint.with(Unpark::for_paths(&["/wait"]));
        let response = app
            .call(Request::builder().uri_str(uri).finish())
            .await
            .expect("answered");
        response.into_body().into_string().await.expect("text")
    }

    #[tokio::test]
    async fn a_parked_request_runs_again_marked_resumed_until_it_answers() {
        let (endpoint, runs) = parking_endpoint(2);
        let body = body_of(endpoint, "/wait?since=x").await;
        assert_eq!(body, "run 3, resumed true");
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_request_that_answers_at_once_runs_once() {
        let (endpoint, runs) = parking_endpoint(0);
        assert_eq!(body_of(endpoint, "/wait").await, "run 1, resumed false");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn parking_on_an_undeclared_route_is_a_server_error_not_an_empty_answer() {
        let (endpoint, _) = parking_endpoint(1);
        let app = endpoint.with(Unpark::for_paths(&["/elsewhere"]));
        let response = app
            .call(Request::builder().uri_str("/wait").finish())
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().into_string().await.expect("text");
        assert!(body.contains("\"code\":\"internal\""), "{body}");
    }

    /// Parks its first run and answers the resumed one; records `what` of every run's
    /// request.
    fn recording<T: Send + 'static>(
        what: fn(&Request) -> T,
    ) -> (impl Endpoint<Output = Response>, Arc<Mutex<Vec<T>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let endpoint = make(move |req: Request| {
            let log = Arc::clone(&log);
            async move {
                log.lock().expect("lock").push(what(&req));
                if Resumed::of(&req).is_some() {
                    return Parkable::Ready("done").into_response();
                }
                Parkable::<&str>::Parked(Parked::new(
                    tokio::time::Instant::now(),
                    std::future::ready(()),
                ))
                .into_response()
            }
        });
        (endpoint, seen)
    }

    #[tokio::test]
    async fn head_requests_park_too_and_keep_their_method_and_version() {
        let (endpoint, seen) = recording(|req| (req.method().clone(), req.version()));
        let app = endpoint.with(Unpark::for_paths(&["/wait"]));
        let response = app
            .call(
                Request::builder()
                    .method(Method::HEAD)
                    .version(Version::HTTP_10)
                    .uri_str("/wait")
                    .finish(),
            )
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(seen, vec![(Method::HEAD, Version::HTTP_10); 2]);
    }

    #[tokio::test]
    async fn a_wake_that_panics_still_gets_the_request_its_answer() {
        let endpoint = make(|req: Request| async move {
            let reply: Parkable<&str> = if Resumed::of(&req).is_some() {
                Parkable::Ready("answered")
            } else {
                Parkable::Parked(Parked::new(tokio::time::Instant::now(), async {
                    panic!("a broken subscription");
                }))
            };
            reply.into_response()
        });
        assert_eq!(body_of(endpoint, "/wait").await, "answered");
    }

    #[tokio::test]
    async fn the_resumed_run_sees_the_same_headers_and_request_id() {
        let (endpoint, seen) = recording(|req| {
            (
                req.header("x-client").map(str::to_owned),
                RequestId::of(req),
            )
        });
        let app = endpoint.with(Unpark::for_paths(&["/wait"]));
        let mut request = Request::builder()
            .uri_str("/wait")
            .header("x-client", "pc")
            .finish();
        request.extensions_mut().insert(RequestId("abc".to_owned()));
        app.call(request).await.expect("answered");
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(
            seen,
            vec![
                (Some("pc".to_owned()), "abc".to_owned()),
                (Some("pc".to_owned()), "abc".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn a_parked_request_whose_client_leaves_stops_waiting_and_is_answered_499() {
        let endpoint = make(|_req: Request| async move {
            // Parks for an hour: only the client leaving can end it in time.
            Parkable::<&str>::Parked(Parked::new(
                tokio::time::Instant::now() + Duration::from_secs(3600),
                tokio::time::sleep(Duration::from_secs(3600)),
            ))
            .into_response()
        });
        let app = endpoint.with(Unpark::for_paths(&["/wait"]));
        let (leave, left) = tokio::sync::watch::channel(false);
        let mut request = Request::builder().uri_str("/wait").finish();
        request.extensions_mut().insert(ClientGone::new(move || {
            let mut left = left.clone();
            Box::pin(async move {
                let _ = left.wait_for(|gone| *gone).await;
            })
        }));
        let answer = tokio::spawn(async move { app.call(request).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        leave.send_replace(true);
        let response = tokio::time::timeout(Duration::from_secs(5), answer)
            .await
            .expect("released at once")
            .expect("joined")
            .expect("answered");
        assert_eq!(response.status().as_u16(), CLIENT_CLOSED_REQUEST);
    }
}
