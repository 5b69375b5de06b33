//! `validate`: is this a whole, valid exposition?
//!
//! Built on [`Parser`]: every line must parse, and no metric may have two
//! HELP or two TYPE lines. Used to check METRICS output before it is
//! printed, so a broken method is reported with a line number instead of
//! failing a scrape later.

use super::parser::{BadLine, Item, Parser};
use std::collections::HashSet;

/// Checks a whole exposition; the first bad line is the error.
pub fn validate(text: &[u8]) -> Result<(), BadLine> {
    // Metric names that already had a HELP or TYPE line, borrowed from
    // the text.
    let mut help = HashSet::new();
    let mut kind = HashSet::new();
    for line in Parser::new(text) {
        let line = line?;
        let repeated = match line.item {
            Item::Help(h) => (!help.insert(h.name)).then_some(("HELP", h.name)),
            Item::Type { name, .. } => (!kind.insert(name)).then_some(("TYPE", name)),
            Item::Comment(_) | Item::Sample(_) => None,
        };
        if let Some((what, name)) = repeated {
            return Err(BadLine {
                line: line.number,
                reason: format!("second {what} line for metric `{name}`"),
            });
        }
    }
    Ok(())
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
