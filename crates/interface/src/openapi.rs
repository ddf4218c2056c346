//! The served OpenAPI document: what poem-openapi derives from the controllers, plus
//! what it cannot derive from Rust types —
//!
//! - each field's and parameter's limits, taken from the domain's own constants
//!   (`Username::MAX_CHARS`, `Page::MAX_SIZE`, …), so the document and the checks that
//!   enforce them cannot drift apart;
//! - each operation's error statuses with the envelope and their `code` values
//!   (docs/api-contract.md lists them all);
//! - `data: null` where a route answers nothing;
//! - links between operations (register → login → me, generate → check,
//!   new → detail/update/del), which generated clients and stateful fuzzers follow.
//!
//! [`document`] rewrites the generated JSON once, at start-up; `/openapi.json` and
//! `/docs` serve the result.

use qblog_domain::blog::{BlogContent, BlogTitle, Keyword};
use qblog_domain::comment::CommentBody;
use qblog_domain::paging::Page;
use qblog_domain::user::{Password, Realname, Username};
use serde_json::{Map, Value, json};

use crate::qrcode::MAX_WAIT_SECS;

/// Characters no name or title may hold: C0 and C1 controls and the bidirectional
/// overrides (as a JSON-Schema character-class body).
const INVISIBLE: &str = r"\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069";

/// A positive integer id in a query string.
const ID_PATTERN: &str = "^[1-9][0-9]{0,17}$";

/// Statuses every operation may answer whatever it does: the framework's refusals
/// and the service's own trouble.
const EVERYWHERE: &[Status] = &[
    (408, "`request_timeout`: the body did not arrive in time"),
    (413, "`payload_too_large`"),
    (500, "`internal`"),
    (
        503,
        "`unavailable`: a dependency is down or the instance is draining (with `Retry-After`)",
    ),
];

/// The generated document `generated` (JSON), completed as the module says. Text that
/// is not JSON (never poem-openapi's output) is returned unchanged.
pub fn document(generated: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(generated) else {
        return generated.to_owned();
    };
    limits(&mut doc);
    errors(&mut doc);
    null_data(&mut doc);
    links(&mut doc);
    serde_json::to_string(&doc).unwrap_or_else(|_| generated.to_owned())
}

/// Adds `more`'s keys to the object `target` (replacing any it has).
fn merge(target: &mut Value, more: Value) {
    if let (Some(target), Value::Object(more)) = (target.as_object_mut(), more) {
        for (key, value) in more {
            target.insert(key, value);
        }
    }
}

/// The schema of property `field` of component `schema`.
fn property<'a>(doc: &'a mut Value, schema: &str, field: &str) -> Option<&'a mut Value> {
    doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}"))
}

/// The operation `method path`.
fn operation<'a>(doc: &'a mut Value, path: &str, method: &str) -> Option<&'a mut Value> {
    doc.get_mut("paths")?.get_mut(path)?.get_mut(method)
}

/// The schema of parameter `name` of `method path`.
fn parameter<'a>(
    doc: &'a mut Value,
    path: &str,
    method: &str,
    name: &str,
) -> Option<&'a mut Value> {
    operation(doc, path, method)?
        .get_mut("parameters")?
        .as_array_mut()?
        .iter_mut()
        .find(|p| p["name"] == name)?
        .get_mut("schema")
}

fn constrain_property(doc: &mut Value, schema: &str, field: &str, limits: Value) {
    if let Some(target) = property(doc, schema, field) {
        merge(target, limits);
    }
}

fn constrain_parameter(doc: &mut Value, path: &str, method: &str, name: &str, limits: Value) {
    if let Some(target) = parameter(doc, path, method, name) {
        merge(target, limits);
    }
}

/// Text of 1 to `max` characters once white space at either end is trimmed (as the
/// service trims, then counts), none of them invisible. The count is in the pattern:
/// `maxLength` would count the white space the service ignores.
fn trimmed_text(max: usize) -> Value {
    let inner = max.saturating_sub(2);
    json!({
        "pattern": format!(
            "^\\s*[^\\s{INVISIBLE}]([^{INVISIBLE}]{{0,{inner}}}[^\\s{INVISIBLE}])?\\s*$"
        ),
    })
}

/// Plain text of 1 to `max` characters as the service keeps it unchanged: no
/// markup (`<`, `&`), nothing invisible, not blank at either end.
fn plain_text(max: usize) -> Value {
    let class = format!("<&{INVISIBLE}");
    json!({
        "minLength": 1,
        "maxLength": max,
        "pattern": format!("^[^\\s{class}]([^{class}]*[^\\s{class}])?$"),
    })
}

fn limits(doc: &mut Value) {
    let username = json!({
        "minLength": Username::MIN_CHARS,
        "maxLength": Username::MAX_CHARS,
        "pattern": format!("^[A-Za-z0-9_]{{{},{}}}$", Username::MIN_CHARS, Username::MAX_CHARS),
    });
    let password = json!({"minLength": Password::MIN_CHARS, "maxLength": Password::MAX_CHARS});
    let qrcode_id = json!({"format": "uuid", "pattern":
        "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"});
    let id = json!({"pattern": ID_PATTERN});
    let page = json!({"minimum": 1, "maximum": u32::MAX});
    let page_size = json!({"minimum": 1, "maximum": Page::MAX_SIZE});

    for schema in ["RegisterRequest", "LoginRequest"] {
        constrain_property(doc, schema, "username", username.clone());
        constrain_property(doc, schema, "password", password.clone());
    }
    constrain_property(
        doc,
        "RegisterRequest",
        "realname",
        trimmed_text(Realname::MAX_CHARS),
    );
    constrain_property(
        doc,
        "RevokeRequest",
        "id",
        json!({"pattern": "^[0-9a-f]{32}$"}),
    );
    // Titles and comment bodies are stripped of HTML, trimmed, then counted: no
    // pattern can say which markup strips down to nothing, so the documented form
    // is plain text without `<` or `&`, which the service keeps as sent.
    constrain_property(
        doc,
        "BlogRequest",
        "title",
        plain_text(BlogTitle::MAX_CHARS),
    );
    constrain_property(
        doc,
        "BlogRequest",
        "content",
        json!({
            "maxLength": BlogContent::MAX_CHARS, "pattern": "^[^\\u0000]*$",
        }),
    );
    for schema in ["CommentRequest", "NewCommentRequest"] {
        constrain_property(doc, schema, "body", plain_text(CommentBody::MAX_CHARS));
    }
    constrain_property(doc, "NewCommentRequest", "blog_id", json!({"minimum": 1}));
    for schema in ["QrTarget", "ConfirmRequest"] {
        constrain_property(doc, schema, "qrcode_id", qrcode_id.clone());
    }
    constrain_property(
        doc,
        "ConfirmRequest",
        "match_code",
        // Absent and null are the same: no match code.
        json!({"pattern": "^[0-9]{2}$", "nullable": true}),
    );
    for schema in ["CheckView", "StatusView", "ScanView"] {
        constrain_property(
            doc,
            schema,
            "status",
            json!({"enum":
            ["unscanned", "scanned", "confirmed", "cancelled", "expired"]}),
        );
    }

    let list = "/api/blog/list";
    constrain_parameter(
        doc,
        list,
        "get",
        "author",
        json!({"pattern": format!("^([A-Za-z0-9_]{{{},{}}})?$", Username::MIN_CHARS, Username::MAX_CHARS)}),
    );
    constrain_parameter(
        doc,
        list,
        "get",
        "keyword",
        json!({"maxLength": Keyword::MAX_CHARS, "pattern": "^[^\\u0000]*$"}),
    );
    for path in [list, "/api/comment/list"] {
        constrain_parameter(doc, path, "get", "page", page.clone());
        constrain_parameter(doc, path, "get", "page_size", page_size.clone());
    }
    // Empty means "every blog".
    constrain_parameter(
        doc,
        "/api/comment/list",
        "get",
        "blog_id",
        json!({"pattern": format!("^({})?$", &ID_PATTERN[1..ID_PATTERN.len() - 1])}),
    );
    for (path, method) in [
        ("/api/blog/detail", "get"),
        ("/api/blog/update", "post"),
        ("/api/blog/del", "post"),
        ("/api/comment/detail", "get"),
        ("/api/comment/update", "post"),
        ("/api/comment/del", "post"),
    ] {
        constrain_parameter(doc, path, method, "id", id.clone());
    }
    for path in ["/api/qrcode/check", "/api/qrcode/image"] {
        constrain_parameter(doc, path, "get", "id", qrcode_id.clone());
    }
    constrain_parameter(
        doc,
        "/api/qrcode/image",
        "get",
        "format",
        json!({"enum": ["png", "svg"]}),
    );
    constrain_parameter(
        doc,
        "/api/qrcode/check",
        "get",
        "since",
        json!({"enum":
        ["unscanned", "scanned", "confirmed", "cancelled", "expired"]}),
    );
    constrain_parameter(
        doc,
        "/api/qrcode/check",
        "get",
        "wait",
        json!({"minimum": 0, "maximum": MAX_WAIT_SECS}),
    );
}

/// Each operation's own error statuses, as docs/api-contract.md lists them.
/// An error status and the `code` values it carries, in words.
type Status = (u16, &'static str);

/// An operation (`path`, `method`) and its own error statuses.
type OperationErrors = (&'static str, &'static str, &'static [Status]);

const OWN_ERRORS: &[OperationErrors] = &[
    ("/health/ready", "get", &[]),
    (
        "/api/user/register",
        "post",
        &[
            (400, "`validation_failed`"),
            (409, "`username_taken`"),
            (429, "`too_many_requests`"),
        ],
    ),
    (
        "/api/user/login",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`invalid_credentials`"),
            (429, "`too_many_requests`"),
        ],
    ),
    (
        "/api/user/logout",
        "post",
        &[
            (401, "`unauthenticated`"),
            (403, "`forbidden`: a cross-site request"),
        ],
    ),
    ("/api/user/me", "get", &[(401, "`unauthenticated`")]),
    ("/api/user/login-test", "get", &[(401, "`unauthenticated`")]),
    ("/api/user/sessions", "get", &[(401, "`unauthenticated`")]),
    (
        "/api/user/sessions/revoke",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`"),
            (404, "`not_found`"),
        ],
    ),
    (
        "/api/user/sessions/revoke-others",
        "post",
        &[(401, "`unauthenticated`"), (403, "`forbidden`")],
    ),
    (
        "/api/blog/list",
        "get",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`: `isadmin=1` without a login"),
        ],
    ),
    (
        "/api/blog/detail",
        "get",
        &[(400, "`validation_failed`"), (404, "`not_found`")],
    ),
    (
        "/api/blog/new",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: a cross-site request"),
        ],
    ),
    (
        "/api/blog/update",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: not the author"),
            (404, "`not_found`"),
        ],
    ),
    (
        "/api/blog/del",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: not the author"),
            (404, "`not_found`"),
        ],
    ),
    (
        "/api/qrcode/generate",
        "post",
        &[
            (403, "`forbidden`: outside `qrcode.allowed_networks`"),
            (429, "`too_many_requests`"),
        ],
    ),
    (
        "/api/qrcode/image",
        "get",
        &[(400, "`validation_failed`"), (404, "`not_found`")],
    ),
    (
        "/api/qrcode/check",
        "get",
        &[
            (400, "`validation_failed`"),
            (403, "`forbidden`: no poll token, or not this code's"),
            (429, "`too_many_requests`"),
        ],
    ),
    (
        "/api/qrcode/scan",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`"),
            (409, "`qrcode_state_conflict`"),
            (410, "`qrcode_expired`"),
        ],
    ),
    (
        "/api/qrcode/confirm",
        "post",
        &[
            (400, "`validation_failed` or `match_code_mismatch`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: not the scanner"),
            (409, "`qrcode_state_conflict`"),
            (410, "`qrcode_expired`"),
        ],
    ),
    (
        "/api/qrcode/cancel",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: not the scanner"),
            (409, "`qrcode_state_conflict`"),
            (410, "`qrcode_expired`"),
        ],
    ),
    ("/api/comment/list", "get", &[(400, "`validation_failed`")]),
    (
        "/api/comment/detail",
        "get",
        &[(400, "`validation_failed`"), (404, "`not_found`")],
    ),
    (
        "/api/comment/new",
        "post",
        &[
            (401, "`unauthenticated`"),
            (403, "`forbidden`: a cross-site request"),
            (
                400,
                "`validation_failed`, also when `blog_id` names no live blog",
            ),
        ],
    ),
    (
        "/api/comment/update",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: not the author"),
            (404, "`not_found`"),
        ],
    ),
    (
        "/api/comment/del",
        "post",
        &[
            (400, "`validation_failed`"),
            (401, "`unauthenticated`"),
            (403, "`forbidden`: not the author"),
            (404, "`not_found`"),
        ],
    ),
];

/// Lists each operation's error statuses (its own, then [`EVERYWHERE`]) with the
/// envelope, in place of the single `default` response poem-openapi writes.
fn errors(doc: &mut Value) {
    let envelope = json!({"$ref": "#/components/schemas/Error"});
    let retry_after = json!({"Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }});
    for (path, method, own) in OWN_ERRORS {
        let Some(op) = operation(doc, path, method) else {
            continue;
        };
        let has_body = op.get("requestBody").is_some();
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        responses.remove("default");
        let with_body = (415, "`unsupported_media_type`: the body is not JSON");
        let body = has_body.then_some(&with_body);
        for (status, codes) in own.iter().chain(body).chain(EVERYWHERE) {
            let mut response = json!({
                "description": format!("The error envelope; `code` {codes}."),
                "content": {"application/json; charset=utf-8": {"schema": envelope.clone()}},
            });
            if matches!(status, 429 | 503) {
                response["headers"] = retry_after.clone();
            }
            responses.insert(status.to_string(), response);
        }
    }
}

/// `data` typed as `null` where a route answers nothing (poem-openapi can only say
/// "an optional boolean").
fn null_data(doc: &mut Value) {
    if let Some(data) = property(doc, "Envelope_optional_boolean", "data") {
        *data = json!({"nullable": true, "enum": [null], "description": "Always `null`."});
    }
}

/// A link to `method path` named `name` from the `status` response of `from`.
fn link(doc: &mut Value, from: (&str, &str, &str), name: &str, to: (&str, &str), spec: Value) {
    let (path, method, status) = from;
    let Some(response) = operation(doc, path, method)
        .and_then(|op| op.get_mut("responses"))
        .and_then(|r| r.get_mut(status))
    else {
        return;
    };
    let reference = format!(
        "#/paths/{}/{}",
        to.0.replace('~', "~0").replace('/', "~1"),
        to.1
    );
    let mut entry = Map::new();
    entry.insert("operationRef".to_owned(), Value::String(reference));
    if let Value::Object(spec) = spec {
        entry.extend(spec);
    }
    let links = response
        .as_object_mut()
        .map(|r| r.entry("links").or_insert_with(|| json!({})));
    if let Some(Value::Object(links)) = links {
        links.insert(name.to_owned(), Value::Object(entry));
    }
}

fn links(doc: &mut Value) {
    link(
        doc,
        ("/api/user/register", "post", "201"),
        "LogIn",
        ("/api/user/login", "post"),
        json!({"requestBody": {
            "username": "$request.body#/username",
            "password": "$request.body#/password",
        }}),
    );
    for (name, to) in [
        ("Me", ("/api/user/me", "get")),
        ("Sessions", ("/api/user/sessions", "get")),
    ] {
        link(doc, ("/api/user/login", "post", "200"), name, to, json!({}));
    }
    let qr_id = json!({"parameters": {
        "id": "$response.body#/data/qrcode_id",
        "X-Poll-Token": "$response.body#/data/poll_token",
    }});
    link(
        doc,
        ("/api/qrcode/generate", "post", "200"),
        "Check",
        ("/api/qrcode/check", "get"),
        qr_id,
    );
    link(
        doc,
        ("/api/qrcode/generate", "post", "200"),
        "Image",
        ("/api/qrcode/image", "get"),
        json!({"parameters": {"id": "$response.body#/data/qrcode_id"}}),
    );
    let blog_id = json!({"parameters": {"id": "$response.body#/data/id"}});
    for (name, to) in [
        ("Detail", ("/api/blog/detail", "get")),
        ("Update", ("/api/blog/update", "post")),
        ("Delete", ("/api/blog/del", "post")),
    ] {
        link(
            doc,
            ("/api/blog/new", "post", "201"),
            name,
            to,
            blog_id.clone(),
        );
    }
    for (name, to) in [
        ("Detail", ("/api/comment/detail", "get")),
        ("Update", ("/api/comment/update", "post")),
        ("Delete", ("/api/comment/del", "post")),
    ] {
        link(
            doc,
            ("/api/comment/new", "post", "201"),
            name,
            to,
            blog_id.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> Value {
        json!({
            "paths": {"/api/user/me": {"get": {"responses": {"200": {}, "default": {}}}},
                      "/api/blog/list": {"get": {"parameters": [
                          {"name": "page_size", "in": "query", "schema": {"type": "integer"}}],
                          "responses": {"200": {}}}}},
            "components": {"schemas": {"RegisterRequest": {"properties": {
                "username": {"type": "string"}, "realname": {"type": "string"}}}}},
        })
    }

    fn completed() -> Value {
        serde_json::from_str(&document(&generated().to_string())).expect("json")
    }

    #[test]
    fn limits_come_from_the_domain() {
        let doc = completed();
        let username = &doc["components"]["schemas"]["RegisterRequest"]["properties"]["username"];
        assert_eq!(username["maxLength"], Username::MAX_CHARS);
        assert_eq!(username["minLength"], Username::MIN_CHARS);
        let page_size = &doc["paths"]["/api/blog/list"]["get"]["parameters"][0]["schema"];
        assert_eq!(page_size["maximum"], Page::MAX_SIZE);
    }

    #[test]
    fn errors_are_listed_by_status_instead_of_a_default() {
        let doc = completed();
        let responses = doc["paths"]["/api/user/me"]["get"]["responses"]
            .as_object()
            .expect("responses");
        assert!(!responses.contains_key("default"));
        assert!(
            responses["401"]["description"]
                .as_str()
                .expect("text")
                .contains("unauthenticated")
        );
        assert!(responses["503"]["headers"]["Retry-After"].is_object());
    }

    #[test]
    fn the_realname_pattern_refuses_what_the_service_trims_away() {
        let pattern = trimmed_text(64)["pattern"]
            .as_str()
            .expect("pattern")
            .to_owned();
        assert!(pattern.starts_with("^\\s*[^\\s"));
        assert!(pattern.contains("\\u202a-\\u202e"));
    }
}
