//! The success envelope kept from the Node blog's `SuccessModel`.

use poem::http::{HeaderName, HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ParseFromJSON, ToJSON, Type};
use poem_openapi::{ApiResponse, Object};
use serde::Serialize;

/// `{"errno": 0, "data": …}`: what every successful API call returns.
// (Not in the doc comment, which is the schema's description in the OpenAPI document.)
// Written with serde, straight from the payload: poem-openapi's `Json` would first
// build a `serde_json::Value` tree (a copy of every string, a map per object), which
// was a fifth of a 20-row list's serialisation (docs/perf.md). `Object` still
// describes it in the OpenAPI document; a test checks that both write the same JSON
// for every payload the API replies with.
#[derive(Debug, Clone, Object, Serialize)]
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

impl<T: ParseFromJSON + ToJSON + Serialize, const STATUS: u16> IntoResponse for Reply<T, STATUS> {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(STATUS).unwrap_or(StatusCode::OK);
        let mut response = poem::web::Json(Envelope {
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

impl<T: ParseFromJSON + ToJSON + Serialize> IntoResponse for PagedReply<T> {
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

impl<T: ParseFromJSON + ToJSON + Serialize> IntoResponse for SessionReply<T> {
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

    /// serde writes what the OpenAPI schema (poem-openapi's `ToJSON`) says.
    fn same_as_documented<T: ParseFromJSON + ToJSON + Serialize>(data: T) {
        let envelope = Envelope { errno: 0, data };
        let written = serde_json::to_value(&envelope).expect("serialisable");
        assert_eq!(
            Some(written),
            envelope.to_json(),
            "{:?}",
            envelope.to_json()
        );
    }

    #[test]
    fn every_payload_is_written_as_its_schema_says() {
        use crate::blog::{BlogView, CreatedBlog};
        use crate::comment::{CommentView, CreatedComment};
        use crate::health::controller::HealthReport;
        use crate::qrcode::dto::{
            CheckView, GeneratedView, PcView, QrLoginView, ScanView, ScannerView, StatusView,
        };
        use crate::user::dto::{LoginView, RevokedView, SessionView, UserView};

        let text = || "a \"quoted\" <b>bold</b> & \u{2028} line\nbreak é".to_owned();
        same_as_documented(vec![BlogView {
            id: 7,
            title: text(),
            content: text(),
            author: "ann".into(),
            createtime: 1_700_000_000_000,
            updatetime: -1,
        }]);
        same_as_documented(CreatedBlog { id: i64::MAX });
        same_as_documented(vec![CommentView {
            id: 1,
            blog_id: 2,
            body: text(),
            owner: "bob".into(),
            created_at: 3,
            updated_at: 4,
        }]);
        same_as_documented(CreatedComment { id: 9 });
        same_as_documented(GeneratedView {
            qrcode_id: "id".into(),
            poll_token: "secret".into(),
            confirm_url: "http://x/confirm?id=id".into(),
            image_url: "/api/qrcode/image?id=id".into(),
            expires_in: u64::MAX,
        });
        for (scanned, login) in [(false, false), (true, true)] {
            same_as_documented(CheckView {
                status: "scanned".into(),
                expires_in: 5,
                scanned_by: scanned.then(|| ScannerView {
                    username: "ann".into(),
                    realname: text(),
                }),
                match_code: scanned.then(|| "42".into()),
                login: login.then(|| QrLoginView {
                    token: "t".into(),
                    token_type: "Bearer".into(),
                    expires_in: 60,
                    username: "ann".into(),
                }),
            });
        }
        same_as_documented(ScanView {
            status: "scanned".into(),
            expires_in: 1,
            match_required: true,
            pc: PcView {
                ip: "10.0.0.1".into(),
                user_agent: text(),
                created_at: 2,
                same_network: false,
            },
        });
        same_as_documented(StatusView {
            status: "confirmed".into(),
        });
        same_as_documented(UserView {
            id: 1,
            username: "ann".into(),
            realname: text(),
        });
        same_as_documented(LoginView {
            id: 1,
            username: "ann".into(),
            realname: text(),
            token: "t".into(),
            token_type: "Bearer".into(),
            expires_in: 3600,
        });
        same_as_documented(vec![SessionView {
            id: "s".into(),
            created_at: 1,
            last_seen_at: 2,
            ip: "::1".into(),
            user_agent: text(),
            method: "qrcode".into(),
            current: true,
        }]);
        same_as_documented(RevokedView { revoked: 3 });
        for present in [None, Some("up".to_owned())] {
            same_as_documented(HealthReport {
                status: "ready".into(),
                database: present.clone(),
                store: present,
            });
        }
        same_as_documented(Some(true));
        same_as_documented(Option::<bool>::None);
    }
}
