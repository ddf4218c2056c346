//! `QrCodeController`: the QR-code login routes.

use std::sync::Arc;

use ipnet::IpNet;
use std::time::Duration;

use poem::Request;
use poem::http::header::SET_COOKIE;
use poem::http::{HeaderValue, StatusCode};
use poem::{IntoResponse, Response};
use poem_openapi::param::{Header, Query};
use poem_openapi::payload::{Binary, Payload};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, OpenApi, Tags};
use qblog_application::qrcode::{CheckOutcome, CheckRequest, QrLoginService};
use qblog_domain::qrcode::{QrCodeId, QrError, QrStatus};
use qblog_domain::throttle::RateLimit;

use super::dto::{
    CheckQuery, CheckView, ConfirmRequest, GeneratedView, PcView, QrTarget, ScanView, StatusView,
};
use super::image::{Format, render};
use crate::lifecycle::Lifecycle;
use crate::pipeline::filters::{ApiError, ErrorCode};
use crate::pipeline::guards::{Auth, ThrottleGuard};
use crate::pipeline::interceptors::{Reply, SessionReply};
use crate::pipeline::middleware::{ClientIp, RequestFacts};
use crate::pipeline::park::{Parkable, Parked, Resumed};
use crate::pipeline::pipes::Valid;
use crate::user::CookiePolicy;

/// The longest `wait` a check may ask for.
pub const MAX_WAIT_SECS: u32 = 30;

/// Settings of the QR-code routes.
#[derive(Debug, Clone)]
pub struct QrOptions {
    /// `server.public_base_url`, for `confirm_url` and `image_url`.
    pub public_base_url: String,
    /// `qrcode.generate_per_minute` per client IP.
    pub generate_per_minute: u64,
    /// `qrcode.check_per_minute` per client IP.
    pub check_per_minute: u64,
    /// `qrcode.allowed_networks`: where a login may be started from; empty: anywhere.
    pub allowed_networks: Arc<Vec<IpNet>>,
    /// The instance's lifecycle: once it drains, waiting long-polls answer at once
    /// with the current state, so shutdown does not have to cut them.
    pub lifecycle: Lifecycle,
}

/// QR-code login.
pub struct QrCodeController {
    codes: Arc<dyn QrLoginService>,
    throttle: ThrottleGuard,
    cookies: CookiePolicy,
    options: QrOptions,
}

impl QrCodeController {
    /// A controller over the QR-code login service.
    pub fn new(
        codes: Arc<dyn QrLoginService>,
        throttle: ThrottleGuard,
        cookies: CookiePolicy,
        options: QrOptions,
    ) -> Self {
        Self {
            codes,
            throttle,
            cookies,
            options,
        }
    }

    /// The long-poll route, whose waits are parked outside the pipeline.
    pub const CHECK_PATH: &'static str = "/api/qrcode/check";

    fn confirm_url(&self, id: &QrCodeId) -> String {
        format!("{}/m/qrcode/confirm?id={id}", self.options.public_base_url)
    }
}

/// Counts a QR-code event for `/metrics` (`qblog_qrcodes_total{event=…}`).
fn count(event: &'static str) {
    metrics::counter!("qblog_qrcodes_total", "event" => event).increment(1);
}

/// A QR image: PNG or SVG.
pub struct QrImage {
    bytes: Vec<u8>,
    format: Format,
}

impl IntoResponse for QrImage {
    fn into_response(self) -> Response {
        Response::builder()
            .status(StatusCode::OK)
            .content_type(self.format.content_type())
            .header("cache-control", "no-store")
            .body(self.bytes)
    }
}

impl ApiResponse for QrImage {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The QR code of `confirm_url`.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: "image/png",
                        schema: <Binary<Vec<u8>> as Payload>::schema_ref(),
                    },
                    MetaMediaType {
                        content_type: "image/svg+xml",
                        schema: String::schema_ref(),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

/// Counts the codes found expired by the phone's actions.
fn counting_expiry(err: QrError) -> ApiError {
    if matches!(err, QrError::Expired) {
        count("expired");
    }
    err.into()
}

/// The group the routes are listed under in the API documentation.
#[derive(Debug, Tags)]
pub enum QrCodeTags {
    /// Logging a PC in by scanning a QR code with the phone app.
    QrCode,
}

#[OpenApi(prefix_path = "/api/qrcode", tag = "QrCodeTags::QrCode")]
impl QrCodeController {
    /// Make a QR code for this (not logged-in) browser to show.
    #[oai(path = "/generate", method = "post")]
    async fn generate(&self, req: &Request) -> Result<Reply<GeneratedView>, ApiError> {
        let client = ClientIp::of(req);
        let networks = &self.options.allowed_networks;
        if !networks.is_empty() && !networks.iter().any(|net| net.contains(&client)) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "a QR-code login cannot be started from this network",
            ));
        }
        let ip = client.to_string();
        self.throttle
            .per_minute(
                &format!("qrcode-generate:{ip}"),
                self.options.generate_per_minute,
            )
            .await?;
        let user_agent = ClientIp::user_agent(req);
        let generated = self.codes.generate(ip, user_agent).await?;
        count("generated");
        let code = &generated.code;
        Ok(Reply::new(GeneratedView {
            qrcode_id: code.id.to_string(),
            poll_token: generated.poll_token.expose().to_owned(),
            confirm_url: self.confirm_url(&code.id),
            image_url: format!(
                "{}/api/qrcode/image?id={}",
                self.options.public_base_url, code.id
            ),
            expires_in: generated.lifetime.as_secs(),
        }))
    }

    /// The QR image of a code's `confirm_url` (it never contains the poll token).
    #[oai(path = "/image", method = "get")]
    async fn image(
        &self,
        req: &Request,
        /// The code's id.
        id: Query<String>,
        /// `png` (default) or `svg`.
        format: Query<Option<String>>,
    ) -> Result<QrImage, ApiError> {
        let ip = ClientIp::of(req);
        self.throttle
            .per_minute(&format!("qrcode-image:{ip}"), self.options.check_per_minute)
            .await?;
        let id = QrCodeId::parse("id", &id.0)?;
        let format = match format.0.as_deref() {
            None | Some("") => Format::Png,
            Some(other) => Format::parse(other)
                .ok_or_else(|| ApiError::validation("format", "must be png or svg"))?,
        };
        match self.codes.find(&id).await {
            Ok(_) => {}
            Err(QrError::Expired) => return Err(ApiError::not_found("no such QR code")),
            Err(err) => return Err(err.into()),
        }
        Ok(QrImage {
            bytes: render(&self.confirm_url(&id), format)?,
            format,
        })
    }

    /// The code's state, for the browser holding its poll token (in `X-Poll-Token`);
    /// long-polls with `since` and `wait`. The check that first sees `confirmed` gets
    /// the login. Without the token the server issued for `id`: 403, whether or not
    /// the code exists.
    #[oai(path = "/check", method = "get")]
    async fn check(
        &self,
        req: &Request,
        /// The code's id.
        id: Query<String>,
        /// The poll token from `generate`.
        #[oai(name = "X-Poll-Token")]
        poll_token: Header<Option<String>>,
        /// The poll token, for older clients: it puts the secret in URLs (and so in
        /// proxies' logs); send `X-Poll-Token` instead.
        #[oai(deprecated)]
        token: Query<Option<String>>,
        /// The status the browser already shows: answer when it differs.
        since: Query<Option<String>>,
        /// Seconds to wait for a change, 0 to 30.
        wait: Query<Option<u32>>,
    ) -> Result<Parkable<SessionReply<CheckView>>, ApiError> {
        // Counted with the code's read, in one store round trip; a resumed long-poll
        // was counted when it arrived.
        let resumed = Resumed::of(req);
        let rate_limit = resumed.is_none().then(|| RateLimit {
            key: format!("qrcode-check:{}", ClientIp::of(req)),
            limit: self.options.check_per_minute,
            window: Duration::from_secs(60),
        });
        let query = CheckQuery::parse(&id.0, poll_token.0.or(token.0), since.0.as_deref(), wait.0)?;
        let now = tokio::time::Instant::now();
        let deadline = resumed.map_or_else(
            || now + Duration::from_secs(u64::from(query.wait_secs)),
            |resumed| resumed.deadline,
        );
        // Shutting down: answer with the state as it is instead of waiting.
        let draining = self.options.lifecycle.is_draining();
        let request = CheckRequest {
            id: query.id,
            token: query.token,
            since: query.since,
            wait: if draining {
                Duration::ZERO
            } else {
                deadline.saturating_duration_since(now)
            },
            // HEAD must not change state: it reports `confirmed`, the next GET claims.
            claim: !RequestFacts::of(req).is_some_and(|facts| facts.is_head()),
            rate_limit,
        };
        let result = match self.codes.check_once(request).await? {
            CheckOutcome::Ready(result) => result,
            CheckOutcome::Unchanged(wake) => {
                // Wait outside the pipeline; a drain wakes every waiter to answer.
                let lifecycle = self.options.lifecycle.clone();
                return Ok(Parkable::Parked(Parked::new(deadline, async move {
                    tokio::select! {
                        () = wake => {}
                        () = lifecycle.draining() => {}
                    }
                })));
            }
        };
        let cookie: Option<HeaderValue> = result
            .login
            .as_ref()
            .map(|login| self.cookies.session(login));
        let view = CheckView::from(&result);
        let reply = Reply::new(view).with_header(
            poem::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
        Ok(Parkable::Ready(SessionReply::new(match cookie {
            Some(cookie) => reply.with_header(SET_COOKIE, cookie),
            None => reply,
        })))
    }

    /// The phone's user scans a code; answers which computer is asking, whether it
    /// is on the phone's network, and whether `confirm` needs the computer's match code.
    #[oai(path = "/scan", method = "post")]
    async fn scan(
        &self,
        req: &Request,
        auth: Auth,
        body: Valid<QrTarget>,
    ) -> Result<Reply<ScanView>, ApiError> {
        let phone_ip = ClientIp::of(req).to_string();
        let scanned = self
            .codes
            .scan(auth.principal(), &body.0, &phone_ip)
            .await
            .map_err(counting_expiry)?;
        count("scanned");
        let code = &scanned.live.code;
        Ok(Reply::new(ScanView {
            status: QrStatus::Scanned.as_str().to_owned(),
            expires_in: scanned.live.expires_in(),
            match_required: scanned.match_required,
            pc: PcView {
                ip: code.pc.ip.clone(),
                user_agent: code.pc.user_agent.clone(),
                created_at: code.pc.created_at.timestamp_millis(),
                same_network: scanned.same_network,
            },
        }))
    }

    /// The scanner confirms (with the computer's match code when the scan asked for
    /// it): the PC's next check logs it in. A missing or wrong match code is 400
    /// `match_code_mismatch`; the third wrong one cancels the code.
    #[oai(path = "/confirm", method = "post")]
    async fn confirm(
        &self,
        auth: Auth,
        body: Valid<ConfirmRequest>,
    ) -> Result<Reply<StatusView>, ApiError> {
        let confirmation = body.0;
        self.codes
            .confirm(auth.principal(), &confirmation.id, confirmation.match_code)
            .await
            .map_err(|err| {
                if matches!(err, QrError::MatchCodeMismatch { .. }) {
                    count("match_code_mismatch");
                }
                counting_expiry(err)
            })?;
        count("confirmed");
        Ok(Reply::new(StatusView {
            status: QrStatus::Confirmed.as_str().to_owned(),
        }))
    }

    /// The scanner cancels the login.
    #[oai(path = "/cancel", method = "post")]
    async fn cancel(
        &self,
        auth: Auth,
        body: Valid<QrTarget>,
    ) -> Result<Reply<StatusView>, ApiError> {
        self.codes
            .cancel(auth.principal(), &body.0)
            .await
            .map_err(counting_expiry)?;
        count("cancelled");
        Ok(Reply::new(StatusView {
            status: QrStatus::Cancelled.as_str().to_owned(),
        }))
    }
}
