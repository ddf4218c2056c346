//! Printing an [`Analysis`]: a table for people, JSON for machines.

use std::fmt::Write;

use super::Analysis;

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"))
}

/// The human-readable report.
pub fn render_table(analysis: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lines read: {}   malformed: {}",
        analysis.lines, analysis.malformed
    );
    let _ = writeln!(out, "\nbrowser     requests   share");
    for share in &analysis.browsers {
        let name = format!("{:?}", share.browser);
        let _ = writeln!(
            out,
            "{name:<10} {:>9} {:>6.1}%",
            share.requests, share.percent
        );
    }
    let _ = writeln!(out, "\nstatus     requests");
    for (class, count) in &analysis.status_classes {
        let _ = writeln!(out, "{class:<10} {count:>9}");
    }
    let _ = writeln!(
        out,
        "\nroute                                     requests    p50 ms    p95 ms    p99 ms"
    );
    for route in &analysis.routes {
        let _ = writeln!(
            out,
            "{:<40} {:>9} {:>9} {:>9} {:>9}",
            route.route,
            route.requests,
            ms(route.p50_ms),
            ms(route.p95_ms),
            ms(route.p99_ms)
        );
    }
    let _ = writeln!(out, "\nhour                      requests");
    for (hour, count) in &analysis.requests_per_hour {
        let _ = writeln!(out, "{hour:<24} {count:>9}");
    }
    out
}

/// The machine-readable report.
///
/// # Errors
/// Never in practice (the report holds only plain values).
pub fn render_json(analysis: &Analysis) -> serde_json::Result<String> {
    serde_json::to_string_pretty(analysis)
}
