//! `validate`: is this a whole, valid exposition? And `lint`: the cheap
//! part of what `promtool check metrics` reports besides parse errors.
//!
//! Built on [`Parser`]: every line must parse, and the rules that span
//! lines hold as Prometheus's own text parser (the one `promtool`
//! uses) applies them. Samples and HELP and TYPE lines belong to a
//! metric family: the one of their exact name, else, for a name ending
//! in `_count` or `_sum`, the summary it continues, else, for `_count`,
//! `_sum` or `_bucket`, the histogram. A family has at most one HELP line
//! with text, and at most one TYPE line, which comes before its samples
//! (a sample makes its family untyped); a summary's `quantile` and a
//! histogram's `le` label values are floats. Used to check METRICS
//! output before it is printed, so a broken method is reported with a
//! line number instead of failing a scrape later.
//!
//! Not checked, as Prometheus does not: that a family's samples are
//! grouped together, or that histogram and summary series are complete.

use super::labels::Labels;
use super::parser::{parse_float, BadLine, Item, MetricType, Parser};
use std::collections::HashMap;

/// A finding of `promtool check metrics` that is not a parse error: the
/// text scrapes, but breaks a naming or documentation convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lint<'a> {
    /// The metric family's name.
    pub metric: &'a str,
    pub problem: LintProblem,
}

/// The lint findings [`lint`] reports, in promtool's words. promtool's
/// other findings (units, camelCase, reserved suffixes) are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintProblem {
    /// A family with samples but no HELP text.
    NoHelp,
    /// A counter whose name does not end in `_total`.
    CounterWithoutTotal,
}

impl LintProblem {
    /// promtool's own text for the finding.
    pub fn as_str(self) -> &'static str {
        match self {
            LintProblem::NoHelp => "no help text",
            LintProblem::CounterWithoutTotal => "counter metrics should have \"_total\" suffix",
        }
    }
}

/// What is known of one metric family so far.
#[derive(Debug, Default)]
struct Family {
    /// Set by its TYPE line or, as untyped, by its first sample.
    kind: Option<MetricType>,
    help: bool,
    samples: bool,
}

/// Checks a whole exposition; the first bad line is the error.
pub fn validate(text: &[u8]) -> Result<(), BadLine> {
    lint(text).map(|_| ())
}

/// Checks a whole exposition as [`validate`] does and, when it is valid,
/// lists the lint findings, in the order their families first appear.
pub fn lint(text: &[u8]) -> Result<Vec<Lint<'_>>, BadLine> {
    // Family names, borrowed from the text, in order of appearance.
    let mut order = Vec::new();
    let mut families: HashMap<&str, Family> = HashMap::new();
    for line in Parser::new(text) {
        let line = line?;
        let bad = |reason: String| BadLine {
            line: line.number,
            reason,
        };
        let name = match &line.item {
            Item::Help(h) => h.name,
            Item::Type { name, .. } => name,
            Item::Sample(s) => s.name,
            Item::Comment(_) => continue,
        };
        let key = family_of(&families, name);
        let family = families.entry(key).or_insert_with(|| {
            order.push(key);
            Family::default()
        });
        match line.item {
            Item::Help(_) if family.help => {
                return Err(bad(format!("second HELP line for metric `{name}`")));
            }
            Item::Help(_) => family.help = true,
            Item::Type { .. } if family.kind.is_some() => {
                return Err(bad(format!(
                    "second TYPE line for metric `{name}`, or a TYPE line after its samples"
                )));
            }
            Item::Type { kind, .. } => family.kind = Some(kind),
            Item::Sample(sample) => {
                family.samples = true;
                let kind = *family.kind.get_or_insert(MetricType::Untyped);
                check_bound(kind, name, sample.labels).map_err(bad)?;
            }
            Item::Comment(_) => {}
        }
    }
    let mut lints = Vec::new();
    for name in order {
        let Some(family) = families.get(name).filter(|f| f.samples) else {
            continue;
        };
        if !family.help {
            lints.push(Lint {
                metric: name,
                problem: LintProblem::NoHelp,
            });
        }
        if family.kind == Some(MetricType::Counter) && !name.ends_with("_total") {
            lints.push(Lint {
                metric: name,
                problem: LintProblem::CounterWithoutTotal,
            });
        }
    }
    Ok(lints)
}

/// The family a HELP, TYPE or sample line of `name` belongs to.
fn family_of<'a>(families: &HashMap<&'a str, Family>, name: &'a str) -> &'a str {
    if families.contains_key(name) {
        return name;
    }
    let is = |base: &str, kind| families.get(base).is_some_and(|f| f.kind == Some(kind));
    for suffix in ["_count", "_sum"] {
        match name.strip_suffix(suffix) {
            Some(base) if is(base, MetricType::Summary) => return base,
            _ => {}
        }
    }
    for suffix in ["_count", "_sum", "_bucket"] {
        match name.strip_suffix(suffix) {
            Some(base) if is(base, MetricType::Histogram) => return base,
            _ => {}
        }
    }
    name
}

/// A summary's `quantile` and a histogram's `le` are floats.
fn check_bound(kind: MetricType, name: &str, labels: Labels<'_>) -> Result<(), String> {
    let bound = match kind {
        MetricType::Summary => "quantile",
        MetricType::Histogram => "le",
        _ => return Ok(()),
    };
    for label in labels.iter().filter(|l| l.name == bound) {
        let value = label.value();
        if parse_float(&value).is_none() {
            return Err(format!(
                "the `{bound}` label of `{name}` is not a float: `{value}`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error for `text` as a whole line (with its `\n`).
    fn bad(text: &str) -> BadLine {
        validate(format!("{text}\n").as_bytes()).expect_err(text)
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
        assert!(bad("# TYPE foo gauge extra")
            .reason
            .contains("unknown metric type `gauge extra`"));
        assert!(bad("#TYPE foo gauge ")
            .reason
            .contains("unknown metric type `gauge `"));
        assert!(bad("foo 1\n# TYPE foo gauge")
            .reason
            .contains("TYPE line after its samples"));
        assert!(bad("# TYPE h histogram\nh_bucket{le=\"x\"} 1")
            .reason
            .contains("`le` label"));
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
    fn types_are_read_as_promtool_reads_them() {
        // Any case, through Go's `strings.ToUpper`: `ı` is an `i` and
        // `ſ` an `s` to it, so these are a summary and a histogram.
        assert_eq!(validate(b"# TYPE a COUNTER\na 1\n"), Ok(()));
        assert!(bad("# TYPE a \u{17f}ummary\na{quantile=\"x\"} 1")
            .reason
            .contains("`quantile` label"));
        assert!(bad("# TYPE a H\u{131}STOGRAM\na_bucket{le=\"x\"} 1")
            .reason
            .contains("`le` label"));
        // Other characters whose full uppercase is ASCII are not folded.
        assert!(bad("# TYPE a hi\u{fb06}ogram")
            .reason
            .contains("unknown metric type"));
        // A gauge histogram's suffixed series are families of their own,
        // and its `le` is a label like any other.
        let text = b"# TYPE g gauge_histogram\ng{le=\"x\"} 1\ng_bucket{le=\"y\"} 1\ng_gcount 1\n# TYPE g_gsum gauge\ng_gsum 1\n";
        assert_eq!(validate(text), Ok(()));
        assert!(
            bad("# TYPE g gauge_histogram\ng_bucket 1\n# TYPE g_bucket gauge")
                .reason
                .contains("TYPE line after its samples")
        );
    }

    #[test]
    fn help_or_type_without_text_is_a_comment() {
        assert_eq!(validate(b"# TYPE foo\n# TYPE\n# HELP foo\nfoo 1\n"), Ok(()));
        assert_eq!(validate(b"# HELP foo a\n# HELP foo \nfoo 1\n"), Ok(()));
    }

    #[test]
    fn the_last_line_needs_its_newline() {
        let err = validate(b"ok 1\nfoo 1").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("newline"), "{}", err.reason);
        assert_eq!(validate(b"ok 1\n \t"), Ok(()));
    }

    #[test]
    fn values_are_read_as_go_reads_them() {
        for good in [
            "NaN", "nan", "+Inf", "-inf", "Infinity", "1e-400", ".5", "5.", "+1E3",
        ] {
            assert_eq!(validate(format!("a {good}\n").as_bytes()), Ok(()), "{good}");
        }
        for bad_value in ["+NaN", "-nan", "1e400", "-1e400", "0x1p3", "1_0", "inf_"] {
            assert!(bad(&format!("a {bad_value}"))
                .reason
                .contains("not a valid value"));
        }
        assert!(bad("a 1 ").reason.contains("ends with a blank"));
        assert!(bad("a 1 2 ").reason.contains("ends with a blank"));
    }

    #[test]
    fn lints_what_promtool_lints_cheaply() {
        let text = b"# HELP a_total A.\n# TYPE a_total counter\na_total 1\n# TYPE b counter\nb 1\n# HELP c C.\n# TYPE c gauge\n";
        let lints = lint(text).unwrap();
        assert_eq!(
            lints,
            [
                Lint {
                    metric: "b",
                    problem: LintProblem::NoHelp
                },
                Lint {
                    metric: "b",
                    problem: LintProblem::CounterWithoutTotal
                },
            ]
        );
    }

    #[test]
    fn rejects_crlf_and_non_utf8() {
        assert!(bad("foo 1\r").reason.contains("carriage return"));
        assert_eq!(validate(b"# comment\r\nfoo 1\n"), Ok(()));
        assert_eq!(validate(b"# caf\xe9\nfoo 1\n"), Ok(()));
        // promtool takes a HELP text that is not UTF-8, but no bad
        // escape in it.
        assert_eq!(validate(b"# HELP foo caf\xe9\nfoo 1\n"), Ok(()));
        for (text, reason) in [
            (&b"# HELP foo caf\\\xe9\n"[..], "invalid escape"),
            (b"# HELP foo\xe9 x\n", "not a valid metric name"),
            (b"# TYPE foo gauge\xe9\n", "unknown metric type"),
        ] {
            let err = validate(text).unwrap_err();
            assert!(err.reason.contains(reason), "{err:?}");
        }
        let err = validate(b"ok 1\nfoo{a=\"\xff\"} 1\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("UTF-8"));
    }
}
