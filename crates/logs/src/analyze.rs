//! Accumulating statistics over access-log lines.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::parse::parse_line;

/// Browser families. Edge and Opera are built on Chromium and say "Chrome" in their
/// User-Agent; they are told apart first so that Chrome's share is Chrome's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Browser {
    /// Google Chrome (and Chromium).
    Chrome,
    /// Microsoft Edge.
    Edge,
    /// Mozilla Firefox.
    Firefox,
    /// Apple Safari.
    Safari,
    /// Everything else, Opera, bots and command-line clients included.
    Other,
}

impl Browser {
    /// The family of a User-Agent string.
    pub fn of(user_agent: &str) -> Self {
        let has = |needle: &str| user_agent.contains(needle);
        if has("Edg/") || has("Edge/") || has("EdgA/") || has("EdgiOS/") {
            Self::Edge
        } else if has("OPR/") || has("Opera") {
            Self::Other
        } else if has("Firefox/") || has("FxiOS/") {
            Self::Firefox
        } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
            Self::Chrome
        } else if has("Safari/") && has("Version/") {
            Self::Safari
        } else {
            Self::Other
        }
    }

    /// Every family, in report order.
    pub const ALL: [Self; 5] = [
        Self::Chrome,
        Self::Edge,
        Self::Firefox,
        Self::Safari,
        Self::Other,
    ];
}

/// Everything counted so far.
#[derive(Debug, Default)]
pub struct Analyzer {
    lines: u64,
    malformed: u64,
    browsers: HashMap<Browser, u64>,
    status_classes: BTreeMap<String, u64>,
    routes: HashMap<String, RouteStats>,
    per_hour: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
struct RouteStats {
    requests: u64,
    durations_ms: Vec<f32>,
}

impl Analyzer {
    /// Counts one line.
    pub fn add(&mut self, line: &str) {
        self.lines += 1;
        let Some(parsed) = parse_line(line) else {
            self.malformed += 1;
            return;
        };
        *self
            .browsers
            .entry(Browser::of(&parsed.user_agent))
            .or_default() += 1;
        *self
            .status_classes
            .entry(format!("{}xx", parsed.status / 100))
            .or_default() += 1;
        let route = self
            .routes
            .entry(format!("{} {}", parsed.method, parsed.path))
            .or_default();
        route.requests += 1;
        if let Some(duration) = parsed.duration_ms {
            // f32 keeps a million durations in 4 MB; the precision is ample for percentiles.
            #[allow(clippy::cast_possible_truncation)]
            route.durations_ms.push(duration as f32);
        }
        let hour = parsed.time.format("%Y-%m-%d %H:00 %z").to_string();
        *self.per_hour.entry(hour).or_default() += 1;
    }

    /// The report, with at most `top` routes.
    pub fn finish(mut self, top: usize) -> Analysis {
        let parsed = self.lines - self.malformed;
        let share = |count: u64| {
            if parsed == 0 {
                0.0
            } else {
                #[allow(clippy::cast_precision_loss)]
                let share = count as f64 * 100.0 / parsed as f64;
                (share * 10.0).round() / 10.0
            }
        };
        let browsers = Browser::ALL
            .iter()
            .map(|browser| {
                let count = self.browsers.get(browser).copied().unwrap_or(0);
                BrowserShare {
                    browser: *browser,
                    requests: count,
                    percent: share(count),
                }
            })
            .collect();
        let mut routes: Vec<RouteReport> = self
            .routes
            .drain()
            .map(|(route, mut stats)| {
                stats.durations_ms.sort_by(f32::total_cmp);
                RouteReport {
                    route,
                    requests: stats.requests,
                    p50_ms: percentile(&stats.durations_ms, 50),
                    p95_ms: percentile(&stats.durations_ms, 95),
                    p99_ms: percentile(&stats.durations_ms, 99),
                }
            })
            .collect();
        routes.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then_with(|| a.route.cmp(&b.route))
        });
        routes.truncate(top);
        Analysis {
            lines: self.lines,
            malformed: self.malformed,
            browsers,
            status_classes: self.status_classes,
            routes,
            requests_per_hour: self.per_hour,
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f32], pct: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    Some(f64::from(sorted[rank - 1]))
}

/// One browser family's share of the parsed lines.
#[derive(Debug, Clone, Serialize)]
pub struct BrowserShare {
    /// The family.
    pub browser: Browser,
    /// Requests from it.
    pub requests: u64,
    /// Its share in percent, one decimal.
    pub percent: f64,
}

/// One route's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct RouteReport {
    /// `METHOD /path`.
    pub route: String,
    /// How many lines named this route.
    pub requests: u64,
    /// Median latency.
    pub p50_ms: Option<f64>,
    /// 95th percentile latency.
    pub p95_ms: Option<f64>,
    /// 99th percentile latency.
    pub p99_ms: Option<f64>,
}

/// The finished report.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Lines read.
    pub lines: u64,
    /// Lines that were not access-log lines.
    pub malformed: u64,
    /// Browser shares of the parsed lines.
    pub browsers: Vec<BrowserShare>,
    /// Requests per status class (`2xx`, `4xx`, …).
    pub status_classes: BTreeMap<String, u64>,
    /// The busiest routes, busiest first.
    pub routes: Vec<RouteReport>,
    /// Requests per clock hour of the log's own time zone, keyed `YYYY-MM-DD HH:00 +zzzz`.
    pub requests_per_hour: BTreeMap<String, u64>,
}

/// Counts the bytes read through it, for the progress bar.
struct Counting<R> {
    inner: R,
    progress: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.progress.inc(read as u64);
        Ok(read)
    }
}

/// Streams every file (`.gz` ones decompressed) through an [`Analyzer`]. A progress
/// bar appears on stderr for inputs over 8 MiB when stderr is a terminal.
///
/// # Errors
/// When a file cannot be opened or read (malformed lines are not errors).
pub fn analyze_files(paths: &[impl AsRef<Path>], top: usize) -> io::Result<Analysis> {
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = if total > 8 * 1024 * 1024 && io::IsTerminal::is_terminal(&io::stderr()) {
        let bar = ProgressBar::new(total);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut analyzer = Analyzer::default();
    for path in paths {
        let path = path.as_ref();
        let file = Counting {
            inner: File::open(path)?,
            progress: progress.clone(),
        };
        let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(BufReader::new(MultiGzDecoder::new(file)))
        } else {
            Box::new(BufReader::with_capacity(256 * 1024, file))
        };
        read_lines(reader, &mut analyzer)?;
    }
    progress.finish_and_clear();
    Ok(analyzer.finish(top))
}

fn read_lines(mut reader: Box<dyn BufRead>, analyzer: &mut Analyzer) -> io::Result<()> {
    let mut buf = Vec::with_capacity(512);
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        match std::str::from_utf8(&buf) {
            Ok(line) => analyzer.add(line),
            Err(_) => analyzer.add(""), // not text: counted as malformed
        }
    }
}

#[cfg(test)]
#[path = "analyze_tests.rs"]
mod tests;
