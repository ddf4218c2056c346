//! The offline access-log analyser behind `qblog logs analyze`, a crate of its own so
//! it builds and tests without the service: reads access logs (plain or `.gz`) line by line and reports
//! browser share, status classes, top routes, latency percentiles per route and
//! requests per hour. Malformed lines are counted, never fatal.

mod analyze;
mod parse;
mod report;

pub use analyze::{Analysis, Analyzer, Browser, analyze_files};
pub use parse::{LogLine, parse_line};
pub use report::{render_json, render_table};
