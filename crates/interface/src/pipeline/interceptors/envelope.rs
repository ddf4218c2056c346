//! The success envelope kept from the Node blog's `SuccessModel`.

use poem::http::{HeaderName, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use poem_openapi::{ApiResponse, Object};

/// `{"errno": 0, "data": …}`: what every successful API call returns.
#[derive(Debug, Clone, Object)]
pub struct Envelope<T: ParseFromJSON + ToJSON> {
    /// Always 0 on success.
    pub errno: i32,
    /// The route's payload.
    pub data: T,
}

/// A successful reply carrying `data` with status `STATUS` (200 unless given).
pub struct Reply<T, const STATUS: u16 = 200> {
    data: T,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl<T, const STATUS: u16> Reply<T, STATUS> {
    /// Wraps the payload.
    pub fn new(data: T) -> Self {
        Self {
            data,
            headers: Vec::new(),
        }
    }

    /// Adds a response header (e.g. `X-Total-Count`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl<T: ParseFromJSON + ToJSON, const STATUS: u16> IntoResponse for Reply<T, STATUS> {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(STATUS).unwrap_or(StatusCode::OK);
        let mut response = Json(Envelope {
            errno: 0,
            data: self.data,
        })
        .with_status(status)
        .into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl<T: ParseFromJSON + ToJSON, const STATUS: u16> ApiResponse for Reply<T, STATUS> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "Success: `errno` 0 and the route's `data`.",
                status: Some(STATUS),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: Envelope::<T>::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        Envelope::<T>::register(registry);
    }
}

/// A successful page of a listing: the envelope around the items, and the total
/// number of matches in the `X-Total-Count` header (the Node blog's front ends expect
/// `data` to be the plain array).
pub struct PagedReply<T> {
    items: T,
    total: u64,
}

impl<T> PagedReply<T> {
    /// This page's `items` out of `total` matches.
    pub fn new(items: T, total: u64) -> Self {
        Self { items, total }
    }
}

/// The header carrying a listing's total.
pub const TOTAL_COUNT_HEADER: &str = "x-total-count";

impl<T: ParseFromJSON + ToJSON> IntoResponse for PagedReply<T> {
    fn into_response(self) -> Response {
        Reply::<T>::new(self.items)
            .with_header(
                HeaderName::from_static(TOTAL_COUNT_HEADER),
                self.total.into(),
            )
            .into_response()
    }
}

impl<T: ParseFromJSON + ToJSON> ApiResponse for PagedReply<T> {
    fn meta() -> MetaResponses {
        let mut meta = Reply::<T>::meta();
        for response in &mut meta.responses {
            response.headers.push(MetaHeader {
                name: "X-Total-Count".to_owned(),
                description: Some("How many items match in all pages.".to_owned()),
                required: true,
                deprecated: false,
                schema: u64::schema_ref(),
            });
        }
        meta
    }

    fn register(registry: &mut Registry) {
        Reply::<T>::register(registry);
    }
}

/// A successful reply that may set (or clear) the `sid` session cookie; the same
/// envelope as [`Reply`], with `Set-Cookie` declared in the OpenAPI document.
pub struct SessionReply<T> {
    reply: Reply<T>,
}

impl<T> SessionReply<T> {
    /// Wraps `reply`, whose headers may include `Set-Cookie`.
    pub fn new(reply: Reply<T>) -> Self {
        Self { reply }
    }
}

impl<T: ParseFromJSON + ToJSON> IntoResponse for SessionReply<T> {
    fn into_response(self) -> Response {
        self.reply.into_response()
    }
}

impl<T: ParseFromJSON + ToJSON> ApiResponse for SessionReply<T> {
    fn meta() -> MetaResponses {
        let mut meta = Reply::<T>::meta();
        for response in &mut meta.responses {
            response.headers.push(MetaHeader {
                name: "Set-Cookie".to_owned(),
                description: Some(
                    "`sid=…; HttpOnly; SameSite=Lax; Path=/; Max-Age=…` (plus `Secure` when \
                     configured) when a session starts; `Max-Age=0` when it ends."
                        .to_owned(),
                ),
                required: false,
                deprecated: false,
                schema: String::schema_ref(),
            });
        }
        meta
    }

    fn register(registry: &mut Registry) {
        Reply::<T>::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn data_is_wrapped_with_errno_zero_and_the_status_kept() {
        let response = Reply::<String, 201>::new("hi".to_owned())
            .with_header(
                HeaderName::from_static("x-total-count"),
                HeaderValue::from_static("7"),
            )
            .into_response();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response
                .headers()
                .get("x-total-count")
                .and_then(|v| v.to_str().ok()),
            Some("7")
        );
        let body = response.into_body().into_vec().await.expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(json, serde_json::json!({"errno": 0, "data": "hi"}));
    }
}
