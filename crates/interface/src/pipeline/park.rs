//! Parking: how a long-poll waits without holding the request pipeline.
//!
//! A handler with nothing new to say answers [`Parkable::Parked`] with a wake future
//! instead of waiting itself. The response travels back out through the pipeline
//! (the access log and metrics leave it alone) to [`Unpark`], the outermost layer,
//! which drops it — and with it every future the pipeline held for the request — then
//! waits on the wake and runs a copy of the request through the pipeline again,
//! marked [`Resumed`]. The second run answers or parks again.
//!
//! A waiting request so costs its connection, the copy of its head and the wake
//! (a subscription and a timer), not the dozen nested futures of routing, middleware
//! and handler: that is what lets one process hold ten thousand long-polls.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures_util::FutureExt;
use poem::http::header::HeaderValue;
use poem::http::uri::Scheme;
use poem::http::{HeaderMap, Method, StatusCode, Uri, Version};
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, IntoResponse, Middleware, Request, RequestParts, Response, Result};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaResponses, Registry};

use crate::pipeline::filters::{ApiError, log};
use crate::pipeline::middleware::REQUEST_ID_HEADER;

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

    /// Whether `response` is a parked request rather than an answer.
    pub fn is_parked(response: &Response) -> bool {
        response.extensions().get::<Self>().is_some()
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
    /// When the request first arrived, for its duration in logs and metrics.
    pub started: Instant,
}

impl Resumed {
    /// The mark on `req`, if it is a resumed request.
    pub fn of(req: &Request) -> Option<Self> {
        req.extensions().get::<Self>().copied()
    }

    /// When `req` first arrived: now, unless it is a resumed request.
    pub fn started(req: &Request) -> Instant {
        Self::of(req).map_or_else(Instant::now, |resumed| resumed.started)
    }
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
/// `GET` and `HEAD` requests park).
struct Head {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
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
            local: req.local_addr().clone(),
            remote: req.remote_addr().clone(),
            scheme: req.scheme().clone(),
        })
    }

    fn request(&self, resumed: Resumed, request_id: Option<&HeaderValue>) -> Request {
        let (mut parts, ()) = poem::http::Request::new(()).into_parts();
        parts.method = self.method.clone();
        parts.uri = self.uri.clone();
        parts.version = self.version;
        parts.headers = self.headers.clone();
        // The same id in both runs, whether the client sent one or not.
        if let Some(id) = request_id {
            parts.headers.insert(REQUEST_ID_HEADER, id.clone());
        }
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

/// Runs parked requests again once they wake; must be the outermost layer, so that
/// nothing of the pipeline stays alive while a request waits.
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
    type Output = UnparkEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        UnparkEndpoint {
            inner: Arc::new(inner),
            paths: Arc::clone(&self.paths),
        }
    }
}

/// The endpoint produced by [`Unpark`].
pub struct UnparkEndpoint<E> {
    inner: Arc<E>,
    paths: Arc<[&'static str]>,
}

type Run = Pin<Box<dyn Future<Output = Response> + Send>>;

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

impl<E: Endpoint + 'static> UnparkEndpoint<E> {
    /// Answers `req`, parking and resuming it as often as the pipeline asks.
    ///
    /// The request is taken apart before the returned future exists, so that future
    /// holds only the copied head, a few words and — while parked — the wake; not
    /// the request, and not the pipeline's futures.
    pub fn handle(&self, req: Request) -> impl Future<Output = Response> + Send + use<E> {
        // HEAD runs the GET handler in poem, so it may park as well.
        let may_park = matches!(*req.method(), Method::GET | Method::HEAD)
            && self.paths.contains(&req.uri().path());
        let head = if may_park { Head::copy(&req) } else { None };
        let started = Instant::now();
        let inner = Arc::clone(&self.inner);
        let first = run(Arc::clone(&inner), req);
        async move {
            let mut response = first.await;
            loop {
                let Some(parked) = response.extensions_mut().remove::<Parked>() else {
                    return response;
                };
                let request_id = response.headers().get(REQUEST_ID_HEADER).cloned();
                let (Some(head), Some(wake)) = (&head, parked.take_wake()) else {
                    // Parked on a route not declared here: a wiring mistake.
                    let error =
                        ApiError::internal("a request parked on a route Unpark does not resume");
                    log(&error);
                    let id = request_id.as_ref().and_then(|id| id.to_str().ok());
                    return error.to_response(id.unwrap_or_default());
                };
                drop(response);
                if AssertUnwindSafe(wake).catch_unwind().await.is_err() {
                    // The resumed run reports the state as it is; the panic is logged.
                    let error = ApiError::internal("a parked request's wake panicked");
                    log(&error);
                }
                let resumed = Resumed {
                    deadline: parked.deadline,
                    started,
                };
                let again = head.request(resumed, request_id.as_ref());
                response = run(Arc::clone(&inner), again).await;
            }
        }
    }
}

impl<E: Endpoint + 'static> Endpoint for UnparkEndpoint<E> {
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

    /// Parks its first run (answering with request id `abc`) and answers the resumed
    /// one; records `what` of every run's request.
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
                let mut response = Parkable::<&str>::Parked(Parked::new(
                    tokio::time::Instant::now(),
                    std::future::ready(()),
                ))
                .into_response();
                response
                    .headers_mut()
                    .insert(REQUEST_ID_HEADER, HeaderValue::from_static("abc"));
                response
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
                req.header(REQUEST_ID_HEADER).map(str::to_owned),
            )
        });
        let app = endpoint.with(Unpark::for_paths(&["/wait"]));
        app.call(
            Request::builder()
                .uri_str("/wait")
                .header("x-client", "pc")
                .finish(),
        )
        .await
        .expect("answered");
        let seen = seen.lock().expect("lock").clone();
        assert_eq!(
            seen,
            vec![
                (Some("pc".to_owned()), None),
                (Some("pc".to_owned()), Some("abc".to_owned())),
            ]
        );
    }
}
