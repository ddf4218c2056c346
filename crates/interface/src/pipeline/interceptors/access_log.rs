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

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem::http::header::{REFERER, USER_AGENT};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response, Result};

use crate::pipeline::middleware::{ClientIp, RequestFacts, RequestId};
use crate::pipeline::park::{Parked, Resumed};

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
    /// The request id.
    pub request_id: String,
    /// Milliseconds spent serving it.
    pub duration_ms: f64,
}

impl AccessRecord {
    /// The combined-format line.
    pub fn to_line(&self) -> String {
        format!(
            "{remote} - {user} [{time}] \"{method} {target} {version}\" {status} {bytes} \"{referer}\" \"{agent}\" rid={rid} dur_ms={dur:.3}",
            remote = self.remote,
            user = self.user.as_deref().map_or_else(|| "-".to_owned(), quote),
            time = self.time.format("%d/%b/%Y:%H:%M:%S %z"),
            method = quote(&self.method),
            target = quote(&self.target),
            version = self.version,
            status = self.status,
            bytes = self.bytes,
            referer = self
                .referer
                .as_deref()
                .map_or_else(|| "-".to_owned(), quote),
            agent = self
                .user_agent
                .as_deref()
                .map_or_else(|| "-".to_owned(), quote),
            rid = self.request_id,
            dur = self.duration_ms,
        )
    }
}

/// Escapes what would break the line's shape: quotes, backslashes, spaces in bare
/// fields are fine inside quotes; control characters become `\xNN`.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c) & 0xff)),
            c => out.push(c),
        }
    }
    out
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

/// Writes one access-log line per request.
#[derive(Clone)]
pub struct AccessLog {
    sink: Arc<dyn AccessLogSink>,
}

impl AccessLog {
    /// Sends lines to `sink`.
    pub fn new(sink: Arc<dyn AccessLogSink>) -> Self {
        Self { sink }
    }
}

impl<E: Endpoint> Middleware<E> for AccessLog {
    type Output = AccessLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        AccessLogEndpoint {
            inner,
            sink: Arc::clone(&self.sink),
        }
    }
}

/// The endpoint produced by [`AccessLog`].
pub struct AccessLogEndpoint<E> {
    inner: E,
    sink: Arc<dyn AccessLogSink>,
}

fn header(req: &Request, name: poem::http::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl<E: Endpoint> Endpoint for AccessLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Response> {
        // A resumed long-poll is logged once, from when it first arrived.
        let started = Resumed::started(&req);
        let mut record = AccessRecord {
            remote: ClientIp::of(&req).to_string(),
            user: None,
            time: Utc::now() - chrono::TimeDelta::from_std(started.elapsed()).unwrap_or_default(),
            method: req.method().to_string(),
            target: redacted_target(req.uri().path(), req.uri().query()),
            version: format!("{:?}", req.version()),
            status: 0,
            bytes: 0,
            referer: header(&req, REFERER),
            user_agent: header(&req, USER_AGENT),
            request_id: RequestId::of(&req),
            duration_ms: 0.0,
        };
        let facts = RequestFacts::of(&req);
        let mut response = match self.inner.call(req).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        };
        if Parked::is_parked(&response) {
            // Not answered yet: the resumed run writes the line.
            return Ok(response);
        }
        // Responses are small and already in memory; counting their bytes costs no copy.
        let body = response.take_body();
        let bytes = body.into_bytes().await.unwrap_or_default();
        record.bytes = bytes.len();
        response.set_body(Body::from_bytes(bytes));
        record.status = response.status().as_u16();
        record.user = facts.and_then(|facts| facts.user());
        record.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        self.sink.write_line(&record.to_line());
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
