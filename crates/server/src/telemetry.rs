//! Logging and metrics setup: `tracing` to stdout (pretty for people, JSON for
//! machines), the access-log file, and the Prometheus registry.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use qblog_infrastructure::logging::DailyFile;
use qblog_interface::MetricsRenderer;
use qblog_interface::pipeline::interceptors::AccessLogSink;
use tracing_appender::non_blocking::WorkerGuard;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `log.level`.
///
/// Calling it twice is harmless (the second call changes nothing), which lets tests
/// initialise logging from any test.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .with_span_events(FmtSpan::NONE);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// The access log's file sink: lines go through tracing-appender's non-blocking writer
/// (a bounded queue drained by a worker thread; when it is full, lines are dropped and
/// the request goes on) into a daily-rotated `access.log`.
pub struct FileAccessLog {
    writer: tracing_appender::non_blocking::NonBlocking,
}

impl AccessLogSink for FileAccessLog {
    fn write_line(&self, line: &str) {
        let mut writer = self.writer.clone();
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        // The non-blocking writer never waits; a full queue drops the line.
        let _ = writer.write_all(&bytes);
    }
}

/// Opens `<log.dir>/access.log`. The guard flushes queued lines when dropped: keep it
/// as long as the server runs.
///
/// # Errors
/// When the directory or file cannot be created.
pub fn access_log(
    settings: &LogSettings,
) -> std::io::Result<(Arc<dyn AccessLogSink>, WorkerGuard)> {
    let file = DailyFile::open(
        Path::new(&settings.dir),
        "access.log",
        settings.keep_days,
        Arc::new(Utc::now),
    )?;
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(64 * 1024)
        .thread_name("qblog-access-log")
        .finish(file);
    Ok((Arc::new(FileAccessLog { writer }), guard))
}

/// How often recorded latencies are folded into their histogram buckets (often
/// enough that the samples between two upkeeps stay small at any request rate).
const METRICS_UPKEEP_EVERY: Duration = Duration::from_secs(1);

fn metrics_handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0,
                ])
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Folds recorded latencies into their buckets every few seconds. Without it every
/// sample is kept until the next scrape of `/metrics` — without one, for ever: at tens
/// of thousands of requests a second, megabytes a minute. Must run inside a runtime;
/// stops when the returned handle is aborted.
pub fn spawn_metrics_upkeep() -> Option<tokio::task::JoinHandle<()>> {
    let handle = metrics_handle()?;
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(METRICS_UPKEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            handle.run_upkeep();
        }
    }))
}

/// The process's metrics registry, installed once; `/metrics` renders it.
pub fn metrics() -> MetricsRenderer {
    let handle = metrics_handle();
    match handle {
        Some(handle) => Arc::new(move || handle.render()),
        None => Arc::new(String::new),
    }
}
