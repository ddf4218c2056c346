//! Logging and metrics setup: `tracing` to stdout (pretty for people, JSON for
//! machines), the access-log file, and the Prometheus registry.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::Utc;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use qblog_infrastructure::logging::{BatchedLines, BatchedLinesGuard, DailyFile};
use qblog_interface::MetricsRenderer;
use qblog_interface::pipeline::interceptors::AccessLogSink;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `log.level`.
///
/// Calling it twice is harmless (the second call changes nothing), which lets tests
/// initialise logging from any test.
pub fn init(settings: &LogSettings) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|text| LogFilter::parse(&text))
        .or_else(|| LogFilter::parse(&settings.level))
        .unwrap_or_else(|| LogFilter::Static(Targets::new().with_default(LevelFilter::INFO)));
    // Everything reaches the filter layer; the formatter's own level would cut first.
    let builder = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_ansi(std::io::stdout().is_terminal())
        .with_span_events(FmtSpan::NONE);
    match settings.format {
        LogFormat::Json => filter.install(
            builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
        LogFormat::Pretty => filter.install(builder.compact().finish()),
    }
}

/// Which log lines are kept.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "made once, at start-up")]
enum LogFilter {
    /// A level, or `target=level` pairs: all that `log.level` accepts. Decided once per
    /// call site, so entering a span costs nothing (docs/perf.md).
    Static(Targets),
    /// A `RUST_LOG` with span or field directives (`[request]=debug`): `EnvFilter`,
    /// which looks up every span a request enters, on every poll.
    Dynamic(EnvFilter),
}

impl LogFilter {
    /// The filter `text` describes, or `None` when it is not a filter.
    fn parse(text: &str) -> Option<Self> {
        // `Targets` would read `[request]` as a target's name: only plain module paths
        // are left to it.
        let plain = text.split(',').all(|directive| {
            let target = directive.split_once('=').map_or("", |(target, _)| target);
            target
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.'))
        });
        if plain && let Ok(targets) = text.parse::<Targets>() {
            return Some(Self::Static(targets));
        }
        EnvFilter::try_new(text).ok().map(Self::Dynamic)
    }

    /// Installs `subscriber` filtered by this filter as the global subscriber (if none
    /// is installed yet).
    fn install<S>(self, subscriber: S)
    where
        S: tracing::Subscriber + for<'span> LookupSpan<'span> + Send + Sync + 'static,
    {
        let _ = match self {
            Self::Static(targets) => subscriber.with(targets).try_init(),
            Self::Dynamic(filter) => subscriber.with(filter).try_init(),
        };
    }
}

/// How often the access-log thread writes what requests appended.
const ACCESS_LOG_WRITE_EVERY: Duration = Duration::from_millis(50);

/// How many bytes of access-log lines may wait for the file: beyond it lines are
/// dropped (and counted in `qblog_access_log_dropped_total`) so that a slow disk never
/// slows requests down or grows memory.
const ACCESS_LOG_MAX_PENDING: usize = 16 * 1024 * 1024;

/// The access log's file sink: each line is appended to a buffer that one thread
/// writes to the daily-rotated `access.log` every `ACCESS_LOG_WRITE_EVERY`
/// (`BatchedLines`): a request pays for an append, not for a system call.
pub struct FileAccessLog {
    lines: BatchedLines,
}

impl AccessLogSink for FileAccessLog {
    fn write_line(&self, line: &str) {
        let before = self.lines.dropped();
        self.lines.push(line);
        if self.lines.dropped() != before {
            metrics::counter!("qblog_access_log_dropped_total").increment(1);
        }
    }
}

/// Opens `<log.dir>/access.log`. The guard writes what is pending when dropped: keep
/// it as long as the server runs.
///
/// # Errors
/// When the directory or file cannot be created, or the writer thread started.
pub fn access_log(
    settings: &LogSettings,
) -> std::io::Result<(Arc<dyn AccessLogSink>, BatchedLinesGuard)> {
    let file = DailyFile::open(
        Path::new(&settings.dir),
        "access.log",
        settings.keep_days,
        Arc::new(Utc::now),
    )?;
    let (lines, guard) = BatchedLines::start(
        "qblog-access-log",
        file,
        ACCESS_LOG_WRITE_EVERY,
        ACCESS_LOG_MAX_PENDING,
    )?;
    Ok((Arc::new(FileAccessLog { lines }), guard))
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

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn level_lists_are_static_and_span_directives_need_env_filter() {
        let Some(LogFilter::Static(targets)) = LogFilter::parse("warn,qblog_server=debug") else {
            panic!("a target list is a static filter");
        };
        assert!(targets.would_enable("qblog_server::cli", &Level::DEBUG));
        assert!(!targets.would_enable("sqlx::query", &Level::INFO));
        assert!(targets.would_enable("sqlx::query", &Level::WARN));
        assert!(matches!(
            LogFilter::parse("info,[request]=debug"),
            Some(LogFilter::Dynamic(_))
        ));
        assert!(LogFilter::parse("info,=[").is_none());
    }
}
