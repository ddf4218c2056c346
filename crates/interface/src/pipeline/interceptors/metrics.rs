//! The timing interceptor: request counts and latencies by route template, method and
//! status, recorded with the `metrics` facade (the server exports them as Prometheus
//! text at `/metrics`).
//!
//! Labels never take a value a client can invent, or every new value would be a new
//! series kept forever: routes are labelled by their template (qblog's routes carry
//! ids in query strings, dropped here; a request that matched no route is
//! `unmatched`), and methods outside the standard ones are `other` (the HTTP parser
//! accepts any token as a method).

use poem::http::Method;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::pipeline::middleware::RequestFacts;
use crate::pipeline::park::{Parked, Resumed};

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
fn route_label(path: &str) -> String {
    if path.starts_with("/docs") {
        "/docs".to_owned()
    } else {
        path.to_owned()
    }
}

impl<E: Endpoint> Endpoint for TimingEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let started = Resumed::started(&req);
        let method = method_label(req.method());
        let path = req.uri().path().to_owned();
        let facts = RequestFacts::of(&req);
        let response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        };
        if Parked::is_parked(&response) {
            // Counted once, when the resumed run answers.
            return Ok(response);
        }
        let route = if facts.is_some_and(|facts| facts.is_unmatched()) {
            "unmatched".to_owned()
        } else {
            route_label(&path)
        };
        let status = response.status().as_u16().to_string();
        metrics::counter!(
            "qblog_http_requests_total",
            "method" => method,
            "route" => route.clone(),
            "status" => status,
        )
        .increment(1);
        metrics::histogram!(
            "qblog_http_request_duration_seconds",
            "method" => method,
            "route" => route,
        )
        .record(started.elapsed().as_secs_f64());
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
    use crate::pipeline::park::{Parkable, Parked};

    /// Runs `req` through `Timing` around `answer`, on this thread, with a recorder
    /// of its own; returns the request counts recorded.
    fn counted(answer: fn() -> Parkable<&'static str>) -> Vec<u64> {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let app = make(move |_| async move { answer().into_response() }).with(Timing);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(app.call(Request::builder().uri_str("/api/x").finish()))
        })
        .expect("answered");
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .filter(|(key, ..)| key.key().name() == "qblog_http_requests_total")
            .filter_map(|(.., value)| match value {
                DebugValue::Counter(count) => Some(count),
                _ => None,
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
    fn an_answer_is_counted() {
        assert_eq!(counted(|| Parkable::Ready("done")), vec![1]);
    }

    #[test]
    fn a_parked_request_is_not_counted_until_it_answers() {
        let parked = || {
            Parkable::Parked(Parked::new(
                tokio::time::Instant::now() + Duration::from_secs(1),
                std::future::ready(()),
            ))
        };
        assert_eq!(counted(parked), Vec::<u64>::new());
    }
}
