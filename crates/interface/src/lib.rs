#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod blog;
pub mod health;
pub mod pages;
pub mod pipeline;
pub mod qrcode;
pub mod user;

use poem::endpoint::BoxEndpoint;
use poem::{EndpointExt, Response, Route};
use poem_openapi::{OpenApiService, Tags};

use ipnet::IpNet;

use crate::blog::BlogController;
use crate::health::HealthController;
use crate::pages::PagesController;
use crate::pipeline::filters::ExceptionFilter;
use crate::pipeline::guards::GuardContext;
use crate::pipeline::middleware::{BodyLimit, ClientIpMiddleware, RequestIdMiddleware};
use crate::qrcode::QrCodeController;
use crate::user::UserController;

/// The groups operations are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Accounts, login and logout.
    User,
    /// Blogs.
    Blog,
    /// Logging a PC in by scanning a QR code with the phone app.
    QrCode,
    /// Probes and metrics for operators.
    Operations,
}

/// Every controller, each already holding its services.
pub struct Controllers {
    /// Health probes.
    pub health: HealthController,
    /// Accounts and login.
    pub user: UserController,
    /// Blogs.
    pub blog: BlogController,
    /// QR-code login.
    pub qrcode: QrCodeController,
}

/// The HTTP-level settings the interface needs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The public URL clients reach the service at (listed as the API's server).
    pub public_base_url: String,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

/// Assembles the whole HTTP application: routes, docs and the pipeline.
pub fn build_app(
    controllers: Controllers,
    guard: GuardContext,
    options: &HttpOptions,
) -> BoxEndpoint<'static, Response> {
    let api = OpenApiService::new(
        (
            PagesController,
            controllers.health,
            controllers.user,
            controllers.blog,
            controllers.qrcode,
        ),
        "qblog",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "A blog service with QR-code login. See the contract for the envelope and error codes.",
    )
    .server(options.public_base_url.clone());
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at("/openapi.json", spec)
        .nest("/docs", docs)
        .nest("/", api)
        .data(guard)
        .with(BodyLimit::new(options.body_limit_bytes))
        .with(ClientIpMiddleware::new(options.trusted_proxies.clone()))
        .with(ExceptionFilter)
        .with(RequestIdMiddleware)
        .boxed()
}
