//! Parsing one access-log line (see `qblog_interface::pipeline::interceptors::AccessRecord`).

use chrono::{DateTime, FixedOffset};

/// The fields of a line the analysis uses.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// When the request arrived.
    pub time: DateTime<FixedOffset>,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// The `User-Agent`, `-` when absent.
    pub user_agent: String,
    /// Milliseconds spent, when the line has `dur_ms=`.
    pub duration_ms: Option<f64>,
}

/// Reads the next space-separated bare token.
fn bare<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let text = rest.trim_start_matches(' ');
    let end = text.find(' ').unwrap_or(text.len());
    let (token, tail) = text.split_at(end);
    *rest = tail;
    (!token.is_empty()).then_some(token)
}

/// Reads the next `[…]` field.
fn bracketed<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let text = rest.trim_start_matches(' ').strip_prefix('[')?;
    let end = text.find(']')?;
    *rest = &text[end + 1..];
    Some(&text[..end])
}

/// Reads the next `"…"` field, undoing `\"`, `\\` and `\xNN` escapes.
fn quoted(rest: &mut &str) -> Option<String> {
    let text = rest.trim_start_matches(' ').strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                *rest = &text[i + 1..];
                return Some(out);
            }
            '\\' => match chars.next()? {
                (_, 'x') => {
                    let hi = chars.next()?.1.to_digit(16)?;
                    let lo = chars.next()?.1.to_digit(16)?;
                    out.push(char::from_u32(hi * 16 + lo)?);
                }
                (_, escaped) => out.push(escaped),
            },
            c => out.push(c),
        }
    }
    None
}

/// Parses a combined-format line (with qblog's optional `rid=` and `dur_ms=`);
/// `None` when it is not one.
pub fn parse_line(line: &str) -> Option<LogLine> {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    bare(&mut rest)?; // remote address
    bare(&mut rest)?; // identity, always "-"
    bare(&mut rest)?; // user
    let time = DateTime::parse_from_str(bracketed(&mut rest)?, "%d/%b/%Y:%H:%M:%S %z").ok()?;
    let request = quoted(&mut rest)?;
    let mut parts = request.split(' ');
    let method = parts.next().filter(|m| !m.is_empty())?.to_owned();
    let target = parts.next()?;
    let path = target.split('?').next().unwrap_or(target).to_owned();
    let status = bare(&mut rest)?
        .parse::<u16>()
        .ok()
        .filter(|s| (100..600).contains(s))?;
    let bytes = bare(&mut rest)?;
    if bytes != "-" && bytes.parse::<u64>().is_err() {
        return None;
    }
    quoted(&mut rest)?; // referer
    let user_agent = quoted(&mut rest)?;
    let mut duration_ms = None;
    while let Some(field) = bare(&mut rest) {
        if let Some(value) = field.strip_prefix("dur_ms=") {
            duration_ms = value
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && *d >= 0.0);
        }
    }
    Some(LogLine {
        time,
        method,
        path,
        status,
        user_agent,
        duration_ms,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use qblog_interface::pipeline::interceptors::AccessRecord;

    use super::*;

    #[test]
    fn what_the_access_log_writes_parses_back() {
        let record = AccessRecord {
            remote: "2001:db8::1".into(),
            user: Some("alice".into()),
            time: Utc.with_ymd_and_hms(2026, 11, 20, 9, 5, 1).unwrap(),
            method: "POST".into(),
            target: "/api/qrcode/check?id=1&token=[REDACTED]".into(),
            version: "HTTP/1.1".into(),
            status: 429,
            bytes: 120,
            referer: Some("http://x/\"quoted\"".into()),
            user_agent: Some("Mozilla/5.0 \"odd\" \\ \u{7}".into()),
            request_id: "r1".into(),
            duration_ms: 12.5,
        };
        let parsed = parse_line(&record.to_line()).expect("parses");
        assert_eq!(parsed.method, "POST");
        assert_eq!(parsed.path, "/api/qrcode/check");
        assert_eq!(parsed.status, 429);
        assert_eq!(parsed.user_agent, "Mozilla/5.0 \"odd\" \\ \u{7}");
        assert_eq!(parsed.duration_ms, Some(12.5));
        assert_eq!(parsed.time, record.time);
    }

    #[test]
    fn a_plain_apache_line_parses_without_qblog_fields() {
        let line = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
        let parsed = parse_line(line).expect("parses");
        assert_eq!(parsed.path, "/apache_pb.gif");
        assert_eq!(parsed.duration_ms, None);
    }

    #[test]
    fn malformed_lines_are_refused() {
        for line in [
            "",
            "garbage",
            r#"1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 1 "-" "-""#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 999 1 "-" "-""#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 x "-" "-""#,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "unterminated"#,
        ] {
            assert_eq!(parse_line(line), None, "{line}");
        }
    }
}
