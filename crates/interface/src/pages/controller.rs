//! `GET /`: the landing page linking everything else.

use poem_openapi::OpenApi;
use poem_openapi::payload::Html;

/// The server-rendered pages.
#[derive(Debug, Default)]
pub struct PagesController;

#[OpenApi]
impl PagesController {
    /// The landing page.
    #[oai(path = "/", method = "get", hidden)]
    async fn landing(&self) -> Html<&'static str> {
        Html(include_str!("landing.html"))
    }
}
