//! The analyser on generated logs: shares, classes, percentiles, malformed lines,
//! gzip, and a million lines.

use std::io::Write;

use chrono::{TimeZone, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use qblog_interface::pipeline::interceptors::AccessRecord;

use super::*;

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
const OPERA: &str = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const SAFARI: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15";

fn line(i: usize, agent: &str, status: u16, path: &str, ms: f64) -> String {
    AccessRecord {
        remote: "192.0.2.1".into(),
        user: None,
        time: Utc
            .with_ymd_and_hms(2026, 11, 20, 10 + (i % 3) as u32, 0, 0)
            .unwrap(),
        method: "GET".into(),
        target: format!("{path}?page=1"),
        version: "HTTP/1.1".into(),
        status,
        bytes: 10,
        referer: None,
        user_agent: Some(agent.into()),
        request_id: format!("r{i}"),
        duration_ms: ms,
    }
    .to_line()
}

#[test]
fn edge_and_opera_are_not_counted_as_chrome() {
    assert_eq!(Browser::of(CHROME), Browser::Chrome);
    assert_eq!(Browser::of(EDGE), Browser::Edge);
    assert_eq!(Browser::of(OPERA), Browser::Other);
    assert_eq!(Browser::of(FIREFOX), Browser::Firefox);
    assert_eq!(Browser::of(SAFARI), Browser::Safari);
    assert_eq!(Browser::of("curl/8.5.0"), Browser::Other);
}

#[test]
fn shares_classes_routes_and_hours_are_counted_and_malformed_lines_reported() {
    let mut analyzer = Analyzer::default();
    let agents = [CHROME, CHROME, EDGE, FIREFOX, SAFARI, OPERA];
    for (i, agent) in agents.iter().enumerate() {
        let status = if i == 5 { 500 } else { 200 };
        analyzer.add(&line(i, agent, status, "/api/blog/list", (i + 1) as f64));
    }
    analyzer.add("this is not a log line");
    analyzer.add("");
    let analysis = analyzer.finish(10);
    assert_eq!((analysis.lines, analysis.malformed), (8, 2));
    let share = |b: Browser| {
        analysis
            .browsers
            .iter()
            .find(|s| s.browser == b)
            .map(|s| (s.requests, s.percent))
    };
    assert_eq!(share(Browser::Chrome), Some((2, 33.3)));
    assert_eq!(share(Browser::Edge), Some((1, 16.7)));
    assert_eq!(share(Browser::Other), Some((1, 16.7)));
    assert_eq!(analysis.status_classes.get("2xx"), Some(&5));
    assert_eq!(analysis.status_classes.get("5xx"), Some(&1));
    let route = &analysis.routes[0];
    assert_eq!(route.route, "GET /api/blog/list");
    assert_eq!(
        (route.p50_ms, route.p95_ms, route.p99_ms),
        (Some(3.0), Some(6.0), Some(6.0))
    );
    assert_eq!(analysis.requests_per_hour.len(), 3);
    assert_eq!(analysis.requests_per_hour.values().sum::<u64>(), 6);
}

#[test]
fn plain_and_gzipped_files_are_read_and_malformed_lines_counted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = dir.path().join("access.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&plain).expect("created"));
    let agents = [CHROME, EDGE, FIREFOX, SAFARI];
    let template: Vec<String> = (0..100)
        .map(|i| {
            line(
                i,
                agents[i % 4],
                200 + (i % 2) as u16 * 204,
                "/api/user/me",
                (i % 50) as f64,
            )
        })
        .collect();
    // The million-line run lives in bench/logs-analyze.sh (release build, with throughput).
    for i in 0..100_000 {
        writeln!(file, "{}", template[i % 100]).expect("written");
        if i % 10_000 == 0 {
            writeln!(file, "garbage line {i}").expect("written");
        }
    }
    file.flush().expect("flushed");
    drop(file);

    let gz = dir.path().join("access.log.2026-11-19.gz");
    let mut encoder = GzEncoder::new(
        std::fs::File::create(&gz).expect("created"),
        Compression::fast(),
    );
    for i in 0..1000 {
        writeln!(encoder, "{}", template[i % 100]).expect("written");
    }
    encoder.finish().expect("finished");

    let analysis = analyze_files(&[plain, gz], 10).expect("analysed");
    assert_eq!(analysis.lines, 101_010);
    assert_eq!(analysis.malformed, 10);
    let chrome = analysis
        .browsers
        .iter()
        .find(|s| s.browser == Browser::Chrome)
        .expect("chrome");
    assert_eq!(chrome.requests, 25_250);
    assert_eq!(analysis.status_classes.get("4xx"), Some(&50_500));
    assert_eq!(analysis.routes[0].requests, 101_000);
    assert_eq!(analysis.routes[0].p99_ms, Some(49.0));
}
