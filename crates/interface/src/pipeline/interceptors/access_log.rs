//! The access-log interceptor: one line per request in the Apache/NCSA **combined**
//! format, plus the request id and the duration:
//!
//! ```text
//! 203.0.113.9 - alice [20/Nov/2026:23:35:16 +0000] "GET /api/user/me HTTP/1.1" 200 66 "-" "curl/8.5.0" rid=4e87… dur_ms=0.412
//! ```
//!
//! Secrets in query strings (`token=`, `password=`) are written as `[REDACTED]`.
//! Where lines go is the [`AccessLogSink`]'s business (the server writes them to a
//! daily-rotated file without blocking the request).
//!
//! Every request is logged once, with its real outcome: it sits outside the parking
//! of long-polls, so a parked request is one line from arrival to answer; a request
//! whose client disconnects before the answer (its future is dropped) is logged with
//! status 499, as nginx does; a response body that cannot be read becomes a 500.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body::Body as _;
use http_body_util::combinators::BoxBody;
use poem::http::header::{REFERER, USER_AGENT};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::pipeline::filters::{ApiError, log};
use crate::pipeline::middleware::{ClientIp, RequestFacts, RequestId};
use crate::pipeline::park::CLIENT_CLOSED_REQUEST;

/// Where access-log lines go.
pub trait AccessLogSink: Send + Sync {
    /// Takes one line (without the newline). Must not block.
    fn write_line(&self, line: &str);
}

/// Query parameters whose values never reach the log.
const SECRET_PARAMETERS: &[&str] = &["token", "access_token", "password", "poll_token"];

/// One request, as the access log records it.
#[derive(Debug, Clone)]
pub struct AccessRecord {
    /// The client's address.
    pub remote: String,
    /// The authenticated username, if any.
    pub user: Option<String>,
    /// When the request arrived.
    pub time: DateTime<Utc>,
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query, secrets redacted.
    pub target: String,
    /// `HTTP/1.1`, …
    pub version: String,
    /// Response status.
    pub status: u16,
    /// Response body size.
    pub bytes: usize,
    /// The `Referer` header.
    pub referer: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The id the response carried in `x-request-id`: the key to the request's log lines.
    pub request_id: String,
    /// Milliseconds spent serving it.
    pub duration_ms: f64,
}

impl AccessRecord {
    /// The combined-format line.
    pub fn to_line(&self) -> String {
        let mut line = String::with_capacity(256);
        self.write_line(&mut line);
        line
    }

    /// Appends the combined-format line to `out`, allocating nothing when `out` has
    /// room (the interceptor reuses one buffer per thread).
    pub fn write_line(&self, out: &mut String) {
        out.push_str(&self.remote);
        out.push_str(" - ");
        quoted_or_dash(out, self.user.as_deref());
        out.push_str(" [");
        write_time(out, self.time);
        out.push_str("] \"");
        quote_into(out, &self.method);
        out.push(' ');
        quote_into(out, &self.target);
        out.push(' ');
        out.push_str(&self.version);
        let _ = write!(out, "\" {} {} \"", self.status, self.bytes);
        quoted_or_dash(out, self.referer.as_deref());
        out.push_str("\" \"");
        quoted_or_dash(out, self.user_agent.as_deref());
        let _ = write!(
            out,
            "\" rid={} dur_ms={:.3}",
            self.request_id, self.duration_ms
        );
    }
}

/// `[20/Nov/2026:23:35:16 +0000]`'s inside, formatted once per second per thread.
fn write_time(out: &mut String, time: DateTime<Utc>) {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const {
            std::cell::RefCell::new((i64::MIN, String::new()))
        };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let second = time.timestamp();
        if last.0 != second {
            last.1.clear();
            let _ = write!(last.1, "{}", time.format("%d/%b/%Y:%H:%M:%S %z"));
            last.0 = second;
        }
        out.push_str(&last.1);
    });
}

fn quoted_or_dash(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => quote_into(out, text),
        None => out.push('-'),
    }
}

/// Escapes what would break the line's shape: quotes, backslashes, spaces in bare
/// fields are fine inside quotes; control characters become `\xNN`.
fn quote_into(out: &mut String, text: &str) {
    if !text
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c) & 0xff);
            }
            c => out.push(c),
        }
    }
}

/// Whether a (possibly percent-encoded) parameter name is a secret's.
fn is_secret(name: &str) -> bool {
    let mut decoded = Vec::with_capacity(name.len());
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (b'+', _, _) => {
                decoded.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    let decoded = String::from_utf8_lossy(&decoded).to_ascii_lowercase();
    SECRET_PARAMETERS.contains(&decoded.trim())
}

/// Path and query with secret parameter values replaced.
pub fn redacted_target(path: &str, query: Option<&str>) -> String {
    let Some(query) = query else {
        return path.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => format!("{name}=[REDACTED]"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// Writes one access-log line per request (nothing when built without a sink).
#[derive(Clone)]
pub struct AccessLog {
    sink: Option<Arc<dyn AccessLogSink>>,
}

impl AccessLog {
    /// Sends lines to `sink`; `None` writes nothing.
    pub fn new(sink: Option<Arc<dyn AccessLogSink>>) -> Self {
        Self { sink }
    }
}

impl<E: Endpoint> Middleware<E> for AccessLog {
    type Output = AccessLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AccessLogEndpoint {
            inner,
            sink: self.sink.clone(),
        }
    }
}

/// The endpoint produced by [`AccessLog`].
pub struct AccessLogEndpoint<E> {
    inner: E,
    sink: Option<Arc<dyn AccessLogSink>>,
}

fn header(req: &Request, name: poem::http::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A request's line until it is written: on drop without an answer — the client
/// went away and the request's future with it — it is written with status 499.
struct PendingLine {
    sink: Arc<dyn AccessLogSink>,
    record: Option<AccessRecord>,
    started: Instant,
    facts: Option<Arc<RequestFacts>>,
}

impl PendingLine {
    fn write(&mut self, status: u16, bytes: usize) {
        if let Some(mut record) = self.record.take() {
            record.status = status;
            record.bytes = bytes;
            record.user = self.facts.as_ref().and_then(|facts| facts.user());
            record.duration_ms = self.started.elapsed().as_secs_f64() * 1000.0;
            thread_local! {
                static LINE: std::cell::RefCell<String> =
                    std::cell::RefCell::new(String::with_capacity(512));
            }
            LINE.with(|line| {
                let mut line = line.borrow_mut();
                line.clear();
                record.write_line(&mut line);
                self.sink.write_line(&line);
            });
        }
    }
}

impl Drop for PendingLine {
    fn drop(&mut self) {
        self.write(CLIENT_CLOSED_REQUEST, 0);
    }
}

/// The body's size when it is known without reading it (every in-memory body).
fn known_size(response: &mut Response) -> Option<usize> {
    let body: BoxBody<Bytes, std::io::Error> = response.take_body().into();
    let size = body.size_hint().exact();
    response.set_body(Body::from(body));
    size.map(|size| usize::try_from(size).unwrap_or(usize::MAX))
}

/// The response and its body's size. A body of unknown size is read (to count it); one
/// that fails to read becomes a 500 envelope.
async fn measured(mut response: Response, request_id: &str) -> (Response, usize) {
    if let Some(size) = known_size(&mut response) {
        return (response, size);
    }
    match response.take_body().into_bytes().await {
        Ok(bytes) => {
            let size = bytes.len();
            response.set_body(Body::from_bytes(bytes));
            (response, size)
        }
        Err(err) => {
            let error = ApiError::internal(format!("the response body could not be read: {err}"));
            log(&error);
            let mut response = error.to_response(request_id);
            let size = known_size(&mut response).unwrap_or(0);
            (response, size)
        }
    }
}

impl<E: Endpoint> Endpoint for AccessLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        let Some(sink) = &self.sink else {
            return Ok(self
                .inner
                .call(req)
                .await
                .map_or_else(poem::Error::into_response, IntoResponse::into_response));
        };
        let request_id = RequestId::of(&req);
        let mut line = PendingLine {
            sink: Arc::clone(sink),
            record: Some(AccessRecord {
                remote: ClientIp::of(&req).to_string(),
                user: None,
                time: Utc::now(),
                method: req.method().to_string(),
                target: redacted_target(req.uri().path(), req.uri().query()),
                version: format!("{:?}", req.version()),
                status: 0,
                bytes: 0,
                referer: header(&req, REFERER),
                user_agent: header(&req, USER_AGENT),
                request_id: request_id.clone(),
                duration_ms: 0.0,
            }),
            started: Instant::now(),
            facts: RequestFacts::of(&req),
        };
        let response = self
            .inner
            .call(req)
            .await
            .map_or_else(poem::Error::into_response, IntoResponse::into_response);
        let (response, bytes) = measured(response, &request_id).await;
        line.write(response.status().as_u16(), bytes);
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn record() -> AccessRecord {
        AccessRecord {
            remote: "203.0.113.9".into(),
            user: Some("alice".into()),
            time: Utc.with_ymd_and_hms(2026, 11, 20, 23, 35, 16).unwrap(),
            method: "GET".into(),
            target: "/api/user/me".into(),
            version: "HTTP/1.1".into(),
            status: 200,
            bytes: 66,
            referer: None,
            user_agent: Some("curl/8.5.0".into()),
            request_id: "abc".into(),
            duration_ms: 0.4123,
        }
    }

    #[test]
    fn a_record_is_a_combined_line_with_id_and_duration() {
        assert_eq!(
            record().to_line(),
            "203.0.113.9 - alice [20/Nov/2026:23:35:16 +0000] \"GET /api/user/me HTTP/1.1\" 200 66 \"-\" \"curl/8.5.0\" rid=abc dur_ms=0.412"
        );
    }

    #[test]
    fn quotes_and_control_characters_cannot_break_the_line() {
        let mut r = record();
        r.user_agent = Some("evil\" \\ \n next".into());
        let line = r.to_line();
        assert!(!line.contains('\n'));
        assert!(line.contains(r#""evil\" \\ \x0a next""#), "{line}");
    }

    /// Keeps the lines written to it.
    #[derive(Default)]
    struct Lines(std::sync::Mutex<Vec<String>>);

    impl AccessLogSink for Lines {
        fn write_line(&self, line: &str) {
            self.0.lock().expect("lock").push(line.to_owned());
        }
    }

    async fn logged(endpoint: impl Endpoint + 'static) -> (u16, Vec<String>) {
        use poem::EndpointExt;
        let lines = Arc::new(Lines::default());
        let sink: Arc<dyn AccessLogSink> = Arc::clone(&lines) as Arc<dyn AccessLogSink>;
        let app = endpoint.with(AccessLog::new(Some(sink)));
        let response = app
            .call(Request::builder().uri_str("/x").finish())
            .await
            .expect("answered");
        let status = response.status().as_u16();
        let written = lines.0.lock().expect("lock").clone();
        (status, written)
    }

    #[tokio::test]
    async fn a_response_is_logged_with_its_status_and_size_without_reading_it() {
        let (status, lines) = logged(poem::endpoint::make_sync(|_| "twelve bytes")).await;
        assert_eq!(status, 200);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains("\"GET /x HTTP/1.1\" 200 12 "),
            "{}",
            lines[0]
        );
    }

    #[tokio::test]
    async fn a_body_that_fails_to_read_is_answered_and_logged_as_a_500() {
        let (status, lines) = logged(poem::endpoint::make_sync(|_| {
            let failing = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::other(
                "the disk went away",
            ))]);
            Response::builder().body(Body::from_bytes_stream(failing))
        }))
        .await;
        assert_eq!(status, 500);
        assert!(lines[0].contains("\" 500 "), "{}", lines[0]);
    }

    #[tokio::test]
    async fn a_request_dropped_before_its_answer_is_logged_as_499() {
        use poem::EndpointExt;
        let lines = Arc::new(Lines::default());
        let sink: Arc<dyn AccessLogSink> = Arc::clone(&lines) as Arc<dyn AccessLogSink>;
        let app = poem::endpoint::make(|_| async {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            "late"
        })
        .with(AccessLog::new(Some(sink)));
        let call = app.call(Request::builder().uri_str("/slow").finish());
        let gave_up = tokio::time::timeout(std::time::Duration::from_millis(20), call).await;
        assert!(gave_up.is_err());
        let lines = lines.0.lock().expect("lock").clone();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains("\"GET /slow HTTP/1.1\" 499 0 "),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn secrets_in_query_strings_are_redacted() {
        assert_eq!(
            redacted_target("/api/qrcode/check", Some("id=1&token=s3cret&wait=25")),
            "/api/qrcode/check?id=1&token=[REDACTED]&wait=25"
        );
        assert_eq!(redacted_target("/x", None), "/x");
        assert_eq!(
            redacted_target("/c", Some("tok%65n=s3cret&TOKEN=x")),
            "/c?tok%65n=[REDACTED]&TOKEN=[REDACTED]"
        );
    }
}
