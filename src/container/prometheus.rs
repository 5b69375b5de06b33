//! A checker for the Prometheus text exposition format, version 0.0.4.
//!
//! METRICS output is checked before it is printed, so a broken method is
//! reported with a line number instead of failing a scrape later. This is
//! a validator, not a parser: it keeps nothing but the names that already
//! had a HELP or TYPE line. It checks line syntax (comments, metric and
//! label names, quoted label values and their escapes, the float value
//! and optional integer timestamp) and that no metric has two HELP or two
//! TYPE lines. It does not check that samples are grouped by family or
//! that histogram and summary series are complete. Values are read with
//! Rust's float syntax, which takes `NaN`, `+Inf` and `-Inf` but not Go's
//! hexadecimal floats.

use std::collections::HashSet;

/// The first line that is not valid exposition format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

const TYPES: [&str; 5] = ["counter", "gauge", "histogram", "summary", "untyped"];

/// Checks a whole exposition; the first bad line is the error.
pub fn validate(text: &[u8]) -> Result<(), BadLine> {
    let mut seen = Seen::default();
    for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
        let check = std::str::from_utf8(raw)
            .map_err(|_| "is not valid UTF-8".to_string())
            .and_then(|line| check_line(line, &mut seen));
        if let Err(reason) = check {
            return Err(BadLine {
                line: index + 1,
                reason,
            });
        }
    }
    Ok(())
}

/// Metric names that already had a HELP or TYPE line.
#[derive(Default)]
struct Seen {
    help: HashSet<String>,
    kind: HashSet<String>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn check_line(line: &str, seen: &mut Seen) -> Result<(), String> {
    if line.ends_with('\r') {
        return Err("ends with a carriage return; lines must end with \\n alone".into());
    }
    let line = line.trim_matches(is_blank);
    if line.is_empty() {
        return Ok(());
    }
    match line.strip_prefix('#') {
        Some(comment) => check_comment(comment, seen),
        None => check_sample(line),
    }
}

/// The next blank-separated token and what follows it.
fn token(text: &str) -> (&str, &str) {
    let text = text.trim_start_matches(is_blank);
    let end = text.find(is_blank).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn check_comment(comment: &str, seen: &mut Seen) -> Result<(), String> {
    if !comment.starts_with(is_blank) {
        return Ok(()); // `#foo`: a plain comment
    }
    let (keyword, rest) = token(comment);
    match keyword {
        "HELP" => {
            let (name, docstring) = token(rest);
            check_metric_name(name, "HELP")?;
            check_help_escapes(docstring)?;
            if !seen.help.insert(name.to_string()) {
                return Err(format!("second HELP line for metric `{name}`"));
            }
            Ok(())
        }
        "TYPE" => {
            let (name, rest) = token(rest);
            check_metric_name(name, "TYPE")?;
            let (kind, rest) = token(rest);
            if !TYPES.contains(&kind) {
                return Err(format!(
                    "unknown metric type `{kind}` for `{name}`; expected one of {}",
                    TYPES.join(", ")
                ));
            }
            if !rest.trim_matches(is_blank).is_empty() {
                return Err(format!("unexpected text after the type of `{name}`"));
            }
            if !seen.kind.insert(name.to_string()) {
                return Err(format!("second TYPE line for metric `{name}`"));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn is_metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn check_metric_name(name: &str, context: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{context} line has no metric name"));
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) || !name.chars().all(is_metric_char) {
        return Err(format!(
            "`{name}` is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
        ));
    }
    Ok(())
}

/// HELP text may only escape `\\` and `\n`.
fn check_help_escapes(docstring: &str) -> Result<(), String> {
    let mut chars = docstring.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\' | 'n') => {}
                Some(other) => return Err(format!("invalid escape `\\{other}` in HELP text")),
                None => return Err("HELP text ends with a lone backslash".into()),
            }
        }
    }
    Ok(())
}

/// `name [{labels}] value [timestamp]`
fn check_sample(line: &str) -> Result<(), String> {
    let name_end = line.find(|c| !is_metric_char(c)).unwrap_or(line.len());
    let name = &line[..name_end];
    let rest = &line[name_end..];
    if name.is_empty() {
        return Err(format!(
            "expected a metric name, found `{}`",
            rest.chars().next().unwrap_or_default()
        ));
    }
    check_metric_name(name, "sample")?;
    let rest = match rest.chars().next() {
        Some('{') => check_labels(&rest[1..], name)?,
        // Blanks may also stand between the name and its labels.
        Some(c) if is_blank(c) => match rest.trim_start_matches(is_blank).strip_prefix('{') {
            Some(labels) => check_labels(labels, name)?,
            None => rest,
        },
        Some(c) => {
            return Err(format!(
                "invalid character `{c}` after metric name `{name}`"
            ))
        }
        None => return Err(format!("metric `{name}` has no value")),
    };
    let (value, rest) = token(rest);
    if value.is_empty() {
        return Err(format!("metric `{name}` has no value"));
    }
    if value.parse::<f64>().is_err() {
        return Err(format!(
            "`{value}` is not a valid value for `{name}` (expected a float, NaN, +Inf or -Inf)"
        ));
    }
    let (timestamp, rest) = token(rest);
    if !timestamp.is_empty() && timestamp.parse::<i64>().is_err() {
        return Err(format!(
            "`{timestamp}` is not a valid timestamp for `{name}` (expected integer milliseconds)"
        ));
    }
    let (extra, _) = token(rest);
    if !extra.is_empty() {
        return Err(format!("unexpected `{extra}` after the sample of `{name}`"));
    }
    Ok(())
}

/// Checks `label="value",...}` (the `{` already taken) and returns what
/// follows the closing brace.
fn check_labels<'a>(mut text: &'a str, metric: &str) -> Result<&'a str, String> {
    let mut names: Vec<&str> = Vec::new();
    loop {
        text = text.trim_start_matches(is_blank);
        if let Some(rest) = text.strip_prefix('}') {
            return Ok(rest);
        }
        let end = text.find(|c| !is_label_char(c)).unwrap_or(text.len());
        let label = &text[..end];
        if label.is_empty() || label.starts_with(|c: char| c.is_ascii_digit()) {
            let found = if label.is_empty() {
                text.chars()
                    .next()
                    .map_or("end of line".into(), |c| format!("`{c}`"))
            } else {
                format!("`{label}`")
            };
            return Err(format!(
                "expected a label name ([a-zA-Z_][a-zA-Z0-9_]*) in `{metric}`, found {found}"
            ));
        }
        if names.contains(&label) {
            return Err(format!("label `{label}` appears twice in `{metric}`"));
        }
        names.push(label);
        text = text[end..].trim_start_matches(is_blank);
        text = text
            .strip_prefix('=')
            .ok_or_else(|| format!("expected `=` after label `{label}` in `{metric}`"))?;
        text = text.trim_start_matches(is_blank);
        text = text
            .strip_prefix('"')
            .ok_or_else(|| format!("the value of label `{label}` in `{metric}` is not quoted"))?;
        text = skip_label_value(text)
            .map_err(|reason| format!("label `{label}` in `{metric}`: {reason}"))?;
        text = text.trim_start_matches(is_blank);
        if let Some(rest) = text.strip_prefix(',') {
            text = rest; // a trailing comma before `}` is allowed
        } else if !text.starts_with('}') {
            return Err(format!(
                "expected `,` or `}}` after label `{label}` in `{metric}`"
            ));
        }
    }
}

/// Skips a label value after its opening quote; returns what follows the
/// closing quote. Only `\\`, `\"` and `\n` may be escaped.
fn skip_label_value(text: &str) -> Result<&str, String> {
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok(&text[i + 1..]),
            '\\' => match chars.next() {
                Some((_, '\\' | '"' | 'n')) => {}
                Some((_, other)) => return Err(format!("invalid escape `\\{other}`")),
                None => break,
            },
            _ => {}
        }
    }
    Err("the quoted value is not closed".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(text: &str) -> BadLine {
        validate(text.as_bytes()).expect_err(text)
    }

    #[test]
    fn accepts_a_typical_exposition() {
        let text = "\
# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000
http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000

# A plain comment, and one without a space:
#no space
msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem=\"division by zero\"} +Inf -3982045
nan_value NaN
neg_inf -Inf
trailing_comma{a=\"1\",} 0
empty_labels{} 0
spaced { a = \"1\" , b=\"2\" } 0
# HELP escaped Backslash \\\\ and newline \\n.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile=\"0.01\"} 3102
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
namespace:rule:rate5m 1
";
        assert_eq!(validate(text.as_bytes()), Ok(()));
    }

    #[test]
    fn empty_output_is_valid() {
        assert_eq!(validate(b""), Ok(()));
        assert_eq!(validate(b"\n\n"), Ok(()));
    }

    #[test]
    fn reports_the_first_bad_line_number() {
        let err = bad("ok 1\nok_too 2\nnot a metric\nalso bad\n");
        assert_eq!(err.line, 3);
        assert!(err.reason.contains("`a`"), "{}", err.reason);
    }

    #[test]
    fn rejects_bad_names() {
        assert!(bad("1abc 1").reason.contains("not a valid metric name"));
        assert!(bad("foo-bar 1").reason.contains("invalid character `-`"));
        assert!(bad("{a=\"b\"} 1").reason.contains("expected a metric name"));
        assert!(bad("foo{1a=\"b\"} 1").reason.contains("label name"));
        assert!(bad("foo{a:b=\"c\"} 1").reason.contains("expected `=`"));
    }

    #[test]
    fn rejects_bad_label_syntax() {
        assert!(bad("foo{a=b} 1").reason.contains("not quoted"));
        assert!(bad("foo{a=\"b} 1").reason.contains("not closed"));
        assert!(bad("foo{a=\"\\x\"} 1").reason.contains("invalid escape"));
        assert!(bad("foo{a=\"1\" b=\"2\"} 1")
            .reason
            .contains("expected `,`"));
        assert!(bad("foo{a=\"1\",a=\"2\"} 1").reason.contains("twice"));
        assert!(bad("foo{,} 1").reason.contains("label name"));
        assert!(bad("foo{a=\"1\"").reason.contains("expected `,`"));
    }

    #[test]
    fn rejects_bad_values_and_timestamps() {
        assert!(bad("foo").reason.contains("no value"));
        assert!(bad("foo{a=\"1\"}").reason.contains("no value"));
        assert!(bad("foo one").reason.contains("not a valid value"));
        assert!(bad("foo 1 1.5").reason.contains("not a valid timestamp"));
        assert!(bad("foo 1 2 3").reason.contains("unexpected `3`"));
    }

    #[test]
    fn rejects_bad_help_and_type_lines() {
        assert!(bad("# TYPE foo countr")
            .reason
            .contains("unknown metric type"));
        assert!(bad("# TYPE foo").reason.contains("unknown metric type"));
        assert!(bad("# TYPE foo gauge extra")
            .reason
            .contains("unexpected text"));
        assert!(bad("# TYPE").reason.contains("no metric name"));
        assert!(bad("# HELP 9x help")
            .reason
            .contains("not a valid metric name"));
        assert!(bad("# HELP foo bad \\t escape")
            .reason
            .contains("invalid escape"));
        assert!(bad("# TYPE foo gauge\n# TYPE foo gauge")
            .reason
            .contains("second TYPE"));
        assert!(bad("# HELP foo a\n# HELP foo b")
            .reason
            .contains("second HELP"));
    }

    #[test]
    fn rejects_crlf_and_non_utf8() {
        assert!(bad("foo 1\r\n").reason.contains("carriage return"));
        let err = validate(b"ok 1\nfoo{a=\"\xff\"} 1\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("UTF-8"));
    }
}
