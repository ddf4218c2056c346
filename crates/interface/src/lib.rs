#![doc = include_str!("../README.md")]

pub mod blog;
pub mod comment;
pub mod health;
pub mod lifecycle;
pub mod openapi;
pub mod pages;
pub mod pipeline;
pub mod qrcode;
pub mod user;

use poem::{Endpoint, EndpointExt, Response};
use poem_openapi::{OpenApi, OpenApiService};

use std::sync::Arc;

use ipnet::IpNet;

use crate::pages::PagesController;
use crate::pipeline::filters::{
    ExceptionFilter, LegacyErrorStatus, LegacyErrorStatusEndpoint, RouteMethods,
};
use crate::pipeline::guards::{GuardContext, origin_of};
use crate::pipeline::interceptors::{
    AccessLog, AccessLogEndpoint, AccessLogSink, Timing, TimingEndpoint,
};
use crate::pipeline::middleware::{
    BodyLimit, ClientIpEndpoint, ClientIpMiddleware, HeadLimits, HeadLimitsEndpoint,
    RequestIdEndpoint, RequestIdMiddleware, SecurityHeaders,
};
use crate::pipeline::park::{Unpark, UnparkEndpoint};

/// Renders the metrics registry as Prometheus text.
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// The HTTP-level settings the interface needs.
#[derive(Clone)]
pub struct HttpOptions {
    /// The public URL clients reach the service at (listed as the API's server).
    pub public_base_url: String,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// How long a request's body may take to arrive (`server.request_timeout_secs`).
    pub request_timeout: std::time::Duration,
    /// The instance's lifecycle: bodies still arriving when it closes are cut off.
    pub lifecycle: lifecycle::Lifecycle,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed to call the API from browsers (CORS); empty: none.
    pub cors_origins: Vec<String>,
    /// Where access-log lines go; `None`: no access log.
    pub access_log: Option<Arc<dyn AccessLogSink>>,
    /// Serves `/metrics` when set.
    pub metrics: Option<MetricsRenderer>,
    /// Routes whose requests may be parked while they wait (long-polls, see
    /// [`pipeline::park`]); features add theirs as they are wired.
    pub parked_paths: Vec<&'static str>,
    /// Send `/api/` errors with status 200 (`compat.legacy_error_status`).
    pub legacy_error_status: bool,
}

/// The whole HTTP application. The layers a parked long-poll keeps — those outside
/// [`Unpark`] — are named, not boxed: each boxed endpoint would add request-sized
/// slots to every waiting request.
pub type App = LegacyErrorStatusEndpoint<
    RequestIdEndpoint<
        HeadLimitsEndpoint<ClientIpEndpoint<AccessLogEndpoint<TimingEndpoint<UnparkEndpoint>>>>,
    >,
>;

/// Answers `req` with `app`. The future owns what it needs, so a server can spawn it
/// with the connection that asked.
pub async fn answer(app: Arc<App>, req: poem::Request) -> Response {
    app.call(req)
        .await
        .unwrap_or_else(poem::Error::into_response)
}

/// Assembles the whole HTTP application: the pages, every feature's routes (`api`, a
/// tuple of controllers), the docs and the pipeline.
pub fn build_app(api: impl OpenApi + 'static, guard: GuardContext, options: &HttpOptions) -> App {
    let api = OpenApiService::new((PagesController, api), "qblog", env!("CARGO_PKG_VERSION"))
        .description(
            "A blog service with QR-code login. Envelopes, error codes and headers: docs/api-contract.md in the repository.",
        )
        .server(options.public_base_url.clone());
    // The paths and methods served, for the Allow header of a 405.
    let generated = api.spec();
    let methods = RouteMethods::from_openapi(&generated)
        .with("/openapi.json", &["GET"])
        .with("/docs", &["GET"])
        .with("/metrics", &["GET"]);
    // The served document is the generated one completed by `openapi::document`; the
    // Swagger UI page embeds the same.
    let document = openapi::document(&generated);
    let docs_page = api.swagger_ui_html().replacen(&generated, &document, 1);
    let spec = poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json")
            .body(document.clone())
    });
    let docs = poem::endpoint::make_sync(move |_| poem::web::Html(docs_page.clone()));
    let mut routes = EntryRoutes::new(api)
        .at(&["/openapi.json"], spec)
        .at(&["/docs", "/docs/"], docs);
    if let Some(render) = options.metrics.clone() {
        routes = routes.at(
            &["/metrics"],
            poem::get(poem::endpoint::make_sync(move |_| {
                poem::Response::builder()
                    .content_type("text/plain; version=0.0.4; charset=utf-8")
                    .body(render())
            })),
        );
    }
    // Innermost first: routes, body limit, CORS, exception filter, security headers;
    // then the parking of long-polls (pipeline::park), which drops all of those while a
    // request waits; then what must see the whole request, once: timing, access log,
    // client address, the request id and its tracing span; outermost, the legacy
    // error status, so that everything inside records the status an error had.
    // The service's own pages send an Origin on every POST: once CORS is on, their
    // origin must be allowed too.
    let mut cors_origins = options.cors_origins.clone();
    cors_origins.push(origin_of(&options.public_base_url));
    routes
        .data(guard)
        .with(BodyLimit::new(
            options.body_limit_bytes,
            options.request_timeout,
            Some(options.lifecycle.clone()),
        ))
        .with_if(!options.cors_origins.is_empty(), cors(&cors_origins))
        .with(ExceptionFilter::with_routes(methods))
        .with(SecurityHeaders)
        .with(Unpark::for_paths(&options.parked_paths))
        .with(Timing)
        .with(AccessLog::new(options.access_log.clone()))
        .with(ClientIpMiddleware::new(options.trusted_proxies.clone()))
        .with(HeadLimits)
        .with(RequestIdMiddleware)
        .with(LegacyErrorStatus::new(options.legacy_error_status))
}

/// The first routing step: the few paths outside the API (its document, the Swagger
/// UI page, the metrics) by exact path, every other request straight to the API's own
/// router. A router nested in another would look the path up twice, rebuild the URI
/// and add a boxed future to every request (docs/perf.md measures the difference).
struct EntryRoutes {
    api: poem::endpoint::BoxEndpoint<'static>,
    extras: Vec<(
        &'static [&'static str],
        poem::endpoint::BoxEndpoint<'static>,
    )>,
}

impl EntryRoutes {
    /// Everything not added with [`EntryRoutes::at`] goes to `api` (already boxed by
    /// poem-openapi: not boxed again).
    fn new(api: impl poem::IntoEndpoint<Endpoint = poem::endpoint::BoxEndpoint<'static>>) -> Self {
        Self {
            api: api.into_endpoint(),
            extras: Vec::new(),
        }
    }

    /// Answers each of `paths` with `endpoint`, whatever the method (as the router it
    /// replaces did).
    fn at(mut self, paths: &'static [&'static str], endpoint: impl Endpoint + 'static) -> Self {
        self.extras
            .push((paths, endpoint.map_to_response().boxed()));
        self
    }
}

impl Endpoint for EntryRoutes {
    type Output = Response;

    async fn call(&self, req: poem::Request) -> poem::Result<Response> {
        let path = req.uri().path();
        match self.extras.iter().find(|(paths, _)| paths.contains(&path)) {
            Some((_, endpoint)) => endpoint.call(req).await,
            None => self.api.call(req).await,
        }
    }
}

/// CORS for the configured origins, with cookies, for the methods and headers the API
/// uses; the request id and the list total are readable by the calling page.
fn cors(origins: &[String]) -> poem::middleware::Cors {
    poem::middleware::Cors::new()
        .allow_origins(origins.iter().cloned())
        .allow_credentials(true)
        .allow_methods([poem::http::Method::GET, poem::http::Method::POST])
        .allow_headers([
            "content-type",
            "authorization",
            "x-request-id",
            "x-poll-token",
        ])
        .expose_headers(["x-request-id", "x-total-count", "retry-after"])
        .max_age(600)
}
