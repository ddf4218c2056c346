#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod health;
pub mod pages;
pub mod pipeline;

use poem::endpoint::BoxEndpoint;
use poem::{EndpointExt, Response, Route};
use poem_openapi::{OpenApiService, Tags};

use crate::health::HealthController;
use crate::pages::PagesController;
use crate::pipeline::filters::ExceptionFilter;
use crate::pipeline::middleware::{BodyLimit, RequestIdMiddleware};

/// The groups operations are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Probes and metrics for operators.
    Operations,
}

/// Every controller, each already holding its services.
pub struct Controllers {
    /// Health probes.
    pub health: HealthController,
}

/// The HTTP-level settings the interface needs.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The public URL clients reach the service at (listed as the API's server).
    pub public_base_url: String,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
}

/// Assembles the whole HTTP application: routes, docs and the pipeline.
pub fn build_app(
    controllers: Controllers,
    options: &HttpOptions,
) -> BoxEndpoint<'static, Response> {
    let api = OpenApiService::new(
        (PagesController, controllers.health),
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
        .with(BodyLimit::new(options.body_limit_bytes))
        .with(ExceptionFilter)
        .with(RequestIdMiddleware)
        .boxed()
}
