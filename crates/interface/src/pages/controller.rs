//! The server-rendered pages and their assets: plain HTML, CSS and JavaScript compiled
//! into the binary (no build step, no CDN). Pages carry a Content-Security-Policy
//! that only allows the service's own scripts and styles.

use poem::http::HeaderValue;
use poem::{IntoResponse, Response};
use poem_openapi::OpenApi;
use poem_openapi::payload::Html;

/// Scripts and styles from this origin only; QR images may be data or same-origin.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                        img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                        base-uri 'none'; form-action 'self'";

fn page(html: &'static str) -> Response {
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static(PAGE_CSP),
    );
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header("cache-control", "no-cache")
        .body(body)
}

/// The server-rendered pages.
#[derive(Debug, Default)]
pub struct PagesController;

#[OpenApi]
impl PagesController {
    /// The landing page.
    #[oai(path = "/", method = "get", hidden)]
    async fn landing(&self) -> Response {
        page(include_str!("landing.html"))
    }

    /// The PC page of the QR-code login.
    #[oai(path = "/qrcode-login", method = "get", hidden)]
    async fn qrcode_login(&self) -> Response {
        page(include_str!("qrcode-login.html"))
    }

    /// The phone page of the QR-code login.
    #[oai(path = "/m/qrcode/confirm", method = "get", hidden)]
    async fn phone_confirm(&self) -> Response {
        page(include_str!("phone-confirm.html"))
    }

    /// The user's signed-in devices.
    #[oai(path = "/account/devices", method = "get", hidden)]
    async fn devices(&self) -> Response {
        page(include_str!("devices.html"))
    }

    /// The pages' stylesheet.
    #[oai(path = "/assets/qblog.css", method = "get", hidden)]
    async fn stylesheet(&self) -> Response {
        asset("text/css; charset=utf-8", include_str!("assets/qblog.css"))
    }

    /// The PC page's script.
    #[oai(path = "/assets/qrcode-login.js", method = "get", hidden)]
    async fn pc_script(&self) -> Response {
        asset(
            "text/javascript; charset=utf-8",
            include_str!("assets/qrcode-login.js"),
        )
    }

    /// Helpers every page's script uses.
    #[oai(path = "/assets/common.js", method = "get", hidden)]
    async fn common_script(&self) -> Response {
        asset(
            "text/javascript; charset=utf-8",
            include_str!("assets/common.js"),
        )
    }

    /// The devices page's script.
    #[oai(path = "/assets/devices.js", method = "get", hidden)]
    async fn devices_script(&self) -> Response {
        asset(
            "text/javascript; charset=utf-8",
            include_str!("assets/devices.js"),
        )
    }

    /// The phone page's script.
    #[oai(path = "/assets/phone-confirm.js", method = "get", hidden)]
    async fn phone_script(&self) -> Response {
        asset(
            "text/javascript; charset=utf-8",
            include_str!("assets/phone-confirm.js"),
        )
    }
}
