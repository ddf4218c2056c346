//! Request ids: correlate a response, its log lines and a client's report.

use poem::http::HeaderValue;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use tracing::Instrument;

/// The header carrying the id both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Facts about a request learned deep inside the pipeline and read by the outer
/// interceptors (access log, metrics) once the response is ready.
#[derive(Debug, Default)]
pub struct RequestFacts {
    user: std::sync::Mutex<Option<String>>,
    unmatched: std::sync::atomic::AtomicBool,
    head: bool,
}

impl RequestFacts {
    /// The facts of `req`, when the request id middleware runs outside.
    pub fn of(req: &Request) -> Option<std::sync::Arc<RequestFacts>> {
        req.extensions()
            .get::<std::sync::Arc<RequestFacts>>()
            .cloned()
    }

    /// Whether the client sent `HEAD`. The router runs `GET` handlers for it with the
    /// method rewritten to `GET`; a handler whose `GET` changes state checks this.
    pub fn is_head(&self) -> bool {
        self.head
    }

    /// Records who the auth guard recognised.
    pub fn set_user(&self, username: &str) {
        if let Ok(mut user) = self.user.lock() {
            *user = Some(username.to_owned());
        }
    }

    /// The recognised user, if any.
    pub fn user(&self) -> Option<String> {
        self.user.lock().ok().and_then(|user| user.clone())
    }

    /// Records that no route matched (so metrics do not label by the raw path).
    pub fn mark_unmatched(&self) {
        self.unmatched
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether no route matched.
    pub fn is_unmatched(&self) -> bool {
        self.unmatched.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The id of the request being served, stored in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id of `req`, or `"-"` outside the middleware (tests of single pieces).
    pub fn of(req: &Request) -> String {
        req.extensions()
            .get::<RequestId>()
            .map_or_else(|| "-".to_owned(), |id| id.0.clone())
    }

    /// Accepts a client's id only when it is short and plain, so it cannot inject
    /// anything into logs or headers.
    fn accept(value: &HeaderValue) -> Option<Self> {
        let text = value.to_str().ok()?;
        let plain = (1..=128).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        plain.then(|| Self(text.to_owned()))
    }

    /// 128 random bits as 32 hex digits, from the thread's generator (no system call
    /// per request, unlike a fresh UUID).
    fn generate() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bits: u128 = rand::random();
        let mut id = String::with_capacity(32);
        for byte in bits.to_be_bytes() {
            id.push(char::from(HEX[usize::from(byte >> 4)]));
            id.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(id)
    }
}

/// Assigns the id and opens the request's tracing span.
#[derive(Debug, Default, Clone, Copy)]
pub struct RequestIdMiddleware;

impl<E: Endpoint> Middleware<E> for RequestIdMiddleware {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestIdEndpoint { inner }
    }
}

/// The endpoint produced by [`RequestIdMiddleware`].
pub struct RequestIdEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Response> {
        let id = req
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(RequestId::accept)
            .unwrap_or_else(RequestId::generate);
        // Only the id: what lets a log line be found with its request (method, path,
        // status and duration are in the access log under the same id).
        let span = tracing::info_span!("request", request_id = %id.0);
        req.extensions_mut().insert(id.clone());
        let facts = RequestFacts {
            head: req.method() == poem::http::Method::HEAD,
            ..RequestFacts::default()
        };
        req.extensions_mut().insert(std::sync::Arc::new(facts));
        let mut response = match self.inner.call(req).instrument(span).await {
            Ok(response) => response.into_response(),
            Err(err) => err.into_response(),
        };
        if let Ok(value) = HeaderValue::from_str(&id.0) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use poem::{EndpointExt, endpoint::make_sync};

    use super::*;

    async fn id_for(header: Option<&str>) -> String {
        let app = make_sync(|_| "ok").with(RequestIdMiddleware);
        let mut req = Request::builder().uri_str("/");
        if let Some(value) = header {
            req = req.header(REQUEST_ID_HEADER, value);
        }
        let response = app.call(req.finish()).await.expect("response");
        response
            .headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("an x-request-id header")
    }

    #[tokio::test]
    async fn a_well_formed_incoming_id_is_echoed() {
        assert_eq!(id_for(Some("abc-123")).await, "abc-123");
    }

    #[tokio::test]
    async fn a_missing_id_is_generated() {
        let id = id_for(None).await;
        assert_eq!(id.len(), 32);
    }

    #[tokio::test]
    async fn a_malformed_incoming_id_is_replaced() {
        let id = id_for(Some("bad id with spaces")).await;
        assert_ne!(id, "bad id with spaces");
        assert_eq!(id.len(), 32);
    }
}
