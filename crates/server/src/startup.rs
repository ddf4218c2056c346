//! Building and running the HTTP application from [`Settings`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use qblog_infrastructure::database::{self, DatabaseOptions, MigrationStep};
use qblog_infrastructure::logging::BatchedLinesGuard;
use qblog_infrastructure::store::{
    Heartbeat, KeySpace, NoticeHub, RedisEndpoint, RedisLayout, RedisNoticeListener, RedisTimeouts,
    RedisTls, redis_breaker,
};
use qblog_interface::lifecycle::{Lifecycle, LifecycleControl};
use qblog_interface::pipeline::guards::{GuardContext, origin_of};
use qblog_interface::{App, HttpOptions, build_app};
use secrecy::ExposeSecret;

use crate::di::{self, CoreModule, RedisResources, Resources};
use crate::features::{self, AccountsModuleInterface, Wiring};
use crate::http;
use crate::settings::{RedisMode, Settings};
use crate::telemetry;

/// A bound, ready-to-run server.
pub struct Application {
    listener: tokio::net::TcpListener,
    address: SocketAddr,
    endpoint: App,
    limits: http::Limits,
    /// Background tasks that live as long as the application (the Redis notice listener).
    background: Vec<RedisNoticeListener>,
    /// Flushes the access log when the application ends.
    access_log_guard: Option<BatchedLinesGuard>,
    /// Moves the lifecycle the interface reads (draining, closing) as shutdown goes.
    lifecycle: LifecycleControl,
}

/// Opens the database pool described by the settings.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect_database(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    database::connect(&DatabaseOptions {
        url: settings.database.url.expose_secret().to_owned(),
        max_connections: settings.database.max_connections,
        connect_timeout: Duration::from_secs(settings.database.connect_timeout_secs),
        acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
    })
    .await
    .context("cannot connect to the database (database.url)")
}

impl Application {
    /// Opens the resources, runs migrations when configured, wires the modules and
    /// binds the listener (port 0 picks a free port).
    ///
    /// # Errors
    /// When the database is unreachable, a migration fails, `redis.url` is invalid or
    /// the address cannot be bound.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let database = connect_database(settings).await?;
        if settings.database.auto_migrate {
            database::run_migrations(&database, MigrationStep::Up)
                .await
                .context("migrations failed")?;
        }

        let (core, background) = build_core(settings, database)?;
        let (lifecycle_control, lifecycle) = Lifecycle::new();
        let mut wiring = Wiring::new(settings, core, lifecycle.clone());
        let api = features::wire_all(&mut wiring)?;
        let accounts = wiring.module::<dyn AccountsModuleInterface>()?;
        let guard = GuardContext {
            auth: accounts.resolve(),
            allowed_origins: Arc::new(allowed_origins(settings)),
        };
        let (access_log, access_log_guard) = if settings.log.access_log {
            let (sink, guard) = telemetry::access_log(&settings.log).with_context(|| {
                format!(
                    "cannot open the access log in {} (log.dir)",
                    settings.log.dir
                )
            })?;
            (Some(sink), Some(guard))
        } else {
            (None, None)
        };
        let endpoint = build_app(
            api,
            guard,
            &HttpOptions {
                public_base_url: settings.server.public_base_url.clone(),
                body_limit_bytes: settings.server.body_limit_bytes,
                request_timeout: Duration::from_secs(settings.server.request_timeout_secs),
                lifecycle,
                trusted_proxies: settings.trusted_proxies(),
                cors_origins: settings.server.cors_origins.clone(),
                access_log,
                metrics: Some(telemetry::metrics()),
                parked_paths: wiring.parked_paths.clone(),
                legacy_error_status: settings.compat.legacy_error_status,
            },
        );

        let bind = format!("{}:{}", settings.server.host, settings.server.port);
        let (listener, address) = http::listen(&bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;

        Ok(Self {
            listener,
            address,
            endpoint,
            limits: http::Limits {
                drain_delay: Duration::from_secs(settings.server.drain_delay_secs),
                shutdown: settings.shutdown_timeout(),
                header_read: Duration::from_secs(settings.server.request_timeout_secs),
            },
            background,
            access_log_guard,
            lifecycle: lifecycle_control,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `shutdown` resolves, then drains: readiness fails and responses
    /// close their connections for `server.drain_delay_secs`, then the listener
    /// closes and requests in flight finish, all within
    /// `server.shutdown_timeout_secs` of `shutdown`.
    ///
    /// # Errors
    /// An I/O error of the listener.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let background = self.background;
        let access_log_guard = self.access_log_guard;
        // Stops with this future, however it ends.
        let _upkeep = telemetry::spawn_metrics_upkeep().map(AbortOnDrop);
        let result = http::serve(
            self.listener,
            self.endpoint,
            shutdown,
            self.limits,
            self.lifecycle,
        )
        .await;
        drop(background);
        // Flushes what is still queued for the access log.
        drop(access_log_guard);
        result
    }
}

/// Opens the store (Redis with its notice listener, or embedded) and builds the core
/// module over it and `database`; `features::wire_all` builds the features over it.
/// The listeners must live as long as the modules.
///
/// # Errors
/// When the Redis layout the settings name is unusable.
pub fn build_core(
    settings: &Settings,
    database: sea_orm::DatabaseConnection,
) -> anyhow::Result<(Arc<dyn CoreModule>, Vec<RedisNoticeListener>)> {
    let mut background = Vec::new();
    let redis = if settings.uses_embedded_store() {
        None
    } else {
        let timeouts = RedisTimeouts {
            connect: Duration::from_millis(settings.redis.connect_timeout_ms),
            command: Duration::from_millis(settings.redis.command_timeout_ms),
        };
        let (layout, key) = redis_layout(settings);
        let endpoint = RedisEndpoint::new(&layout, &redis_tls(settings)?, timeouts)
            .with_context(|| format!("cannot use {key}"))?;
        let connection = endpoint
            .connection()
            .with_context(|| format!("cannot use {key}"))?;
        let breaker = redis_breaker(&connection, timeouts);
        let keys = KeySpace::new(settings.redis.key_prefix.clone());
        let keys = if endpoint.is_cluster() {
            keys.with_hash_tags()
        } else {
            keys
        };
        let hub = Arc::new(NoticeHub::default());
        // The subscription's connect, subscribe and ping may take as long as a call.
        let heartbeat = Heartbeat {
            timeout: timeouts.per_call(),
            ..Heartbeat::default()
        };
        background.push(RedisNoticeListener::spawn_with_heartbeat(
            endpoint,
            keys.clone(),
            Arc::clone(&hub),
            heartbeat,
        ));
        Some(RedisResources {
            connection,
            keys,
            hub,
            breaker,
        })
    };
    let core = di::core_module(Resources {
        database,
        query_timeout: Duration::from_millis(settings.database.query_timeout_ms),
        redis,
    });
    Ok((core, background))
}

/// The Redis layout the settings name, and the setting to blame when it is unusable.
fn redis_layout(settings: &Settings) -> (RedisLayout, &'static str) {
    let redis = &settings.redis;
    match settings.redis_mode() {
        RedisMode::Sentinel => (
            RedisLayout::Sentinel {
                master_name: redis.sentinel.master_name.clone(),
                nodes: redis.sentinel.nodes.clone(),
                password: redis
                    .sentinel
                    .password
                    .as_ref()
                    .map(|password| password.expose_secret().to_owned()),
            },
            "redis.sentinel.nodes",
        ),
        RedisMode::Cluster => (
            RedisLayout::Cluster {
                nodes: redis.cluster.nodes.clone(),
            },
            "redis.cluster.nodes",
        ),
        RedisMode::Standalone | RedisMode::Embedded => (
            RedisLayout::Standalone {
                url: redis.url.expose_secret().to_owned(),
            },
            "redis.url",
        ),
    }
}

/// The TLS files the settings name, read.
fn redis_tls(settings: &Settings) -> anyhow::Result<RedisTls> {
    let read = |key: &str, path: &str| -> anyhow::Result<Option<Vec<u8>>> {
        if path.is_empty() {
            return Ok(None);
        }
        std::fs::read(path)
            .map(Some)
            .with_context(|| format!("cannot read {key} ({path})"))
    };
    let redis = &settings.redis;
    let ca = read("redis.tls_ca_file", &redis.tls_ca_file)?;
    let cert = read("redis.tls_client_cert_file", &redis.tls_client_cert_file)?;
    let key = read("redis.tls_client_key_file", &redis.tls_client_key_file)?;
    Ok(RedisTls {
        ca,
        client: cert.zip(key),
    })
}

/// Origins whose pages may make cookie-authenticated unsafe requests.
fn allowed_origins(settings: &Settings) -> Vec<String> {
    std::iter::once(origin_of(&settings.server.public_base_url))
        .chain(settings.auth.allowed_origins.iter().map(|o| origin_of(o)))
        .collect()
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
