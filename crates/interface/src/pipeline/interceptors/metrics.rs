//! The timing interceptor: request counts and latencies by route template, method and
//! status, recorded with the `metrics` facade (the server exports them as Prometheus
//! text at `/metrics`).
//!
//! Labels never take a value a client can invent, or every new value would be a new
//! series kept forever: routes are labelled by their template (qblog's routes carry
//! ids in query strings, dropped here; a request that matched no route is
//! `unmatched`), and methods outside the standard ones are `other` (the HTTP parser
//! accepts any token as a method).

//!
//! Like the access log it sits outside the parking of long-polls (a parked request is
//! counted once, with its whole wait), and a request whose client disconnected first
//! is counted with status 499.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use metrics::{Counter, Histogram};
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::pipeline::middleware::RequestFacts;
use crate::pipeline::park::CLIENT_CLOSED_REQUEST;

/// Records `qblog_http_requests_total` and `qblog_http_request_duration_seconds`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timing;

impl<E: Endpoint> Middleware<E> for Timing {
    type Output = TimingEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        TimingEndpoint { inner }
    }
}

/// The endpoint produced by [`Timing`].
pub struct TimingEndpoint<E> {
    inner: E,
}

/// The method as a label: one of the standard methods, or `other`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Swagger UI serves many asset paths; they are one route for metrics.
fn route_label(path: &str) -> &str {
    if path.starts_with("/docs") {
        "/docs"
    } else {
        path
    }
}

/// A request's two series: its count (by status) and its duration.
type Series = (Counter, Histogram);

/// Series by method and status, then by route.
type SeriesByKey = HashMap<(&'static str, u16), HashMap<String, Series>>;

thread_local! {
    /// The series a request updates, by method and status, then route: looked up per
    /// thread instead of registered (labels built and hashed) on every request. The
    /// labels are bounded (see the module documentation), so is this map.
    static SERIES: RefCell<SeriesByKey> = RefCell::new(HashMap::new());
}

/// A request's measurement until it is recorded; on drop without an answer (the
/// client went away) it is recorded with status 499.
struct PendingCount {
    method: &'static str,
    path: String,
    facts: Option<Arc<RequestFacts>>,
    started: Instant,
    done: bool,
}

impl PendingCount {
    fn record(&mut self, status: u16) {
        self.done = true;
        let route = if self
            .facts
            .as_ref()
            .is_some_and(|facts| facts.is_unmatched())
        {
            "unmatched"
        } else {
            route_label(&self.path)
        };
        let seconds = self.started.elapsed().as_secs_f64();
        SERIES.with(|series| {
            let mut series = series.borrow_mut();
            let by_route = series.entry((self.method, status)).or_default();
            if let Some((count, duration)) = by_route.get(route) {
                count.increment(1);
                duration.record(seconds);
                return;
            }
            let count = metrics::counter!(
                "qblog_http_requests_total",
                "method" => self.method,
                "route" => route.to_owned(),
                "status" => status.to_string(),
            );
            let duration = metrics::histogram!(
                "qblog_http_request_duration_seconds",
                "method" => self.method,
                "route" => route.to_owned(),
            );
            count.increment(1);
            duration.record(seconds);
            by_route.insert(route.to_owned(), (count, duration));
        });
    }
}

impl Drop for PendingCount {
    fn drop(&mut self) {
        if !self.done {
            self.record(CLIENT_CLOSED_REQUEST);
        }
    }
}

impl<E: Endpoint> Endpoint for TimingEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let mut pending = PendingCount {
            method: method_label(req.method()),
            path: req.uri().path().to_owned(),
            facts: RequestFacts::of(&req),
            started: Instant::now(),
            done: false,
        };
        let response = self
            .inner
            .call(req)
            .await
            .map_or_else(poem::Error::into_response, IntoResponse::into_response);
        pending.record(response.status().as_u16());
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use poem::endpoint::make;
    use poem::{EndpointExt, IntoResponse};

    use super::*;

    /// Runs `GET /api/x` through `Timing` around an endpoint that answers after
    /// `delay`, on this thread, with a recorder of its own, giving up after `patience`
    /// (as a client that disconnects does); returns the statuses counted.
    fn counted(delay: Duration, patience: Duration) -> Vec<(String, u64)> {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let app = make(move |_| async move {
            tokio::time::sleep(delay).await;
            "done".into_response()
        })
        .with(Timing);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let call = app.call(Request::builder().uri_str("/api/x").finish());
                let _ = tokio::time::timeout(patience, call).await;
            });
        });
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter(|(key, ..)| key.key().name() == "qblog_http_requests_total")
            .filter_map(|(key, .., value)| {
                let status = key
                    .key()
                    .labels()
                    .find(|label| label.key() == "status")
                    .map(|label| label.value().to_owned())
                    .unwrap_or_default();
                match value {
                    DebugValue::Counter(count) => Some((status, count)),
                    _ => None,
                }
            })
            .collect()
    }

    #[test]
    fn invented_methods_share_one_label() {
        let invented = Method::from_bytes("X".repeat(4096).as_bytes()).expect("a token");
        assert_eq!(method_label(&invented), "other");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").expect("a token")),
            "other"
        );
        assert_eq!(method_label(&Method::POST), "POST");
    }

    #[test]
    fn an_answer_is_counted_once_with_its_status() {
        let counts = counted(Duration::ZERO, Duration::from_secs(5));
        assert_eq!(counts, vec![("200".to_owned(), 1)]);
    }

    #[test]
    fn a_request_whose_client_left_is_counted_as_499() {
        let counts = counted(Duration::from_secs(5), Duration::from_millis(20));
        assert_eq!(counts, vec![("499".to_owned(), 1)]);
    }
}
