//! The line grammar: HELP, TYPE, comments and samples.
//!
//! [`Parser`] is an iterator of [`Line`]s. Blank lines are skipped; the
//! first bad line is yielded as a [`BadLine`] and ends the iteration.
//! Cross-line rules (one HELP and one TYPE per metric) are
//! [`super::validate`]'s.

use super::labels::{self, Labels};
use std::borrow::Cow;
use std::collections::HashSet;

/// The first line that is not valid exposition format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based.
    pub line: usize,
    pub reason: String,
}

/// One non-blank line and its 1-based number.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    pub number: usize,
    pub item: Item<'a>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// `# HELP name text`
    Help(Help<'a>),
    /// `# TYPE name kind`
    Type {
        name: &'a str,
        kind: MetricType,
    },
    /// Any other line starting with `#`: the text after the `#`.
    Comment(&'a str),
    Sample(Sample<'a>),
}

/// A HELP line's metric name and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help<'a> {
    pub name: &'a str,
    /// As written, escapes (`\\`, `\n`) included; bytes that are not
    /// UTF-8 (which promtool accepts here) replaced by U+FFFD.
    pub raw_text: Cow<'a, str>,
}

impl Help<'_> {
    /// The text with its escapes undone.
    pub fn text(&self) -> Cow<'_, str> {
        super::unescape(&self.raw_text)
    }
}

/// `name{labels} value timestamp`
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    pub name: &'a str,
    pub labels: Labels<'a>,
    pub value: f64,
    /// The value as written, to print it again unchanged.
    pub raw_value: &'a str,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
    /// A family of its own name only: its `_bucket`, `_gcount` and
    /// `_gsum` series are families of their own to promtool's parser.
    GaugeHistogram,
}

impl MetricType {
    pub const ALL: [MetricType; 6] = [
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
        MetricType::Summary,
        MetricType::Untyped,
        MetricType::GaugeHistogram,
    ];

    /// A TYPE line's type, in any case, as promtool's parser reads it:
    /// through Go's `strings.ToUpper`, which also turns `ı` into `I` and
    /// `ſ` into `S` (the only characters beyond ASCII it makes ASCII).
    pub fn from_text(text: &str) -> Option<MetricType> {
        let folded = text.chars().map(|c| match c {
            'ı' => 'i',
            'ſ' => 's',
            c => c.to_ascii_lowercase(),
        });
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().chars().eq(folded.clone()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::Untyped => "untyped",
            MetricType::GaugeHistogram => "gauge_histogram",
        }
    }
}

/// Reads an exposition line by line.
pub struct Parser<'a> {
    rest: &'a [u8],
    line: usize,
    done: bool,
    /// Label names of the current sample, to find a repeated one in
    /// constant time; kept between lines so it is allocated once.
    names: HashSet<&'a str>,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a [u8]) -> Parser<'a> {
        Parser {
            rest: text,
            line: 0,
            done: false,
            names: HashSet::new(),
        }
    }

    /// The next line's bytes, without its `\n`, and whether it had one.
    fn next_raw(&mut self) -> Option<(&'a [u8], bool)> {
        if self.done {
            return None;
        }
        self.line += 1;
        match self.rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let raw = &self.rest[..end];
                self.rest = &self.rest[end + 1..];
                Some((raw, true))
            }
            None => {
                // The text after the last `\n` (empty if it ends with one).
                self.done = true;
                Some((self.rest, false))
            }
        }
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Line<'a>, BadLine>;

    fn next(&mut self) -> Option<Self::Item> {
        while let Some((raw, terminated)) = self.next_raw() {
            match parse_line(raw, terminated, &mut self.names) {
                Ok(None) => continue,
                Ok(Some(item)) => {
                    return Some(Ok(Line {
                        number: self.line,
                        item,
                    }))
                }
                Err(reason) => {
                    self.done = true;
                    return Some(Err(BadLine {
                        line: self.line,
                        reason,
                    }));
                }
            }
        }
        None
    }
}

pub(super) fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// One line, or `None` for a blank one (or a comment that is not UTF-8).
fn parse_line<'a>(
    raw: &'a [u8],
    terminated: bool,
    names: &mut HashSet<&'a str>,
) -> Result<Option<Item<'a>>, String> {
    let Some(start) = raw.iter().position(|&b| b != b' ' && b != b'\t') else {
        return Ok(None); // blank, even without its `\n`
    };
    if !terminated {
        return Err("the last line does not end with a newline (\\n)".into());
    }
    let raw = &raw[start..];
    if let Some(comment) = raw.strip_prefix(b"#") {
        return parse_comment(comment);
    }
    if raw.ends_with(b"\r") {
        return Err("ends with a carriage return; lines must end with \\n alone".into());
    }
    let line = std::str::from_utf8(raw).map_err(|_| "is not valid UTF-8".to_string())?;
    parse_sample(line, names).map(|sample| Some(Item::Sample(sample)))
}

/// The next blank-separated token and what follows it.
fn token(text: &str) -> (&str, &str) {
    let text = text.trim_start_matches(is_blank);
    let end = text.find(is_blank).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// A line after its `#`. As in Prometheus's parsers, the keyword may
/// follow the `#` without a blank (`#TYPE`), and a HELP or TYPE line that
/// stops after the keyword or the metric name is a plain comment. Read as
/// bytes: a plain comment and a HELP text may hold bytes that are not
/// UTF-8, as promtool's parser takes them (a plain comment that is not
/// UTF-8 is skipped, since an [`Item`] holds text).
fn parse_comment(comment: &[u8]) -> Result<Option<Item<'_>>, String> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let trim =
        |text: &'_ [u8]| -> usize { text.iter().position(|b| !blank(b)).unwrap_or(text.len()) };
    let start = trim(comment);
    let rest = &comment[start..];
    let keyword_end = rest.iter().position(blank).unwrap_or(rest.len());
    let keyword = &rest[..keyword_end];
    if keyword != b"HELP" && keyword != b"TYPE" {
        return Ok(std::str::from_utf8(comment).ok().map(Item::Comment));
    }
    let rest = &rest[keyword_end..];
    let rest = &rest[trim(rest)..];
    let name_end = rest
        .iter()
        .position(|&b| !is_metric_char(b.into()))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_end);
    // All ASCII, by `is_metric_char`.
    let name = std::str::from_utf8(name).unwrap_or_default();
    if !after.is_empty() && !blank(&after[0]) {
        let end = rest.iter().position(blank).unwrap_or(rest.len());
        return Err(format!(
            "`{}` is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
            String::from_utf8_lossy(&rest[..end])
        ));
    }
    if !name.is_empty() {
        check_metric_name(name, "")?;
    }
    let text = &after[trim(after)..];
    if text.is_empty() {
        // Nothing but ASCII up to here.
        return Ok(std::str::from_utf8(comment).ok().map(Item::Comment));
    }
    let text = String::from_utf8_lossy(text);
    if keyword == b"HELP" {
        check_help_escapes(&text)?;
        return Ok(Some(Item::Help(Help {
            name,
            raw_text: text,
        })));
    }
    // The type is the rest of the line, trailing blanks included.
    let Some(kind) = MetricType::from_text(&text) else {
        return Err(format!(
            "unknown metric type `{text}` for `{name}`; expected one of counter, gauge, \
             histogram, summary, untyped, gauge_histogram"
        ));
    };
    Ok(Some(Item::Type { name, kind }))
}

fn is_metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
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

fn trailing_blank(name: &str) -> String {
    format!("the sample of `{name}` ends with a blank, which Prometheus refuses")
}

/// A sample value or a `le` or `quantile` label value, read as Go's
/// `strconv.ParseFloat` reads it in Prometheus's parsers: a float, `NaN`
/// without a sign, or an infinity spelled as such (`+Inf`, `-inf`,
/// `Infinity`). A finite number too large for a float is an error, not an
/// infinity. Hexadecimal floats and `_`, which Go's parser refuses here,
/// Rust's refuses too.
pub(super) fn parse_float(text: &str) -> Option<f64> {
    let value = text.parse::<f64>().ok()?;
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if value.is_nan() && unsigned.len() != text.len() {
        return None;
    }
    let spelled_infinite =
        unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity");
    if value.is_infinite() && !spelled_infinite {
        return None;
    }
    Some(value)
}

/// `name [{labels}] value [timestamp]`
fn parse_sample<'a>(line: &'a str, names: &mut HashSet<&'a str>) -> Result<Sample<'a>, String> {
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
    let (labels, rest) = match rest.chars().next() {
        Some('{') => labels::parse(&rest[1..], name, names)?,
        // Blanks may also stand between the name and its labels.
        Some(c) if is_blank(c) => match rest.trim_start_matches(is_blank).strip_prefix('{') {
            Some(labels) => labels::parse(labels, name, names)?,
            None => (Labels::EMPTY, rest),
        },
        Some(c) => {
            return Err(format!(
                "invalid character `{c}` after metric name `{name}`"
            ))
        }
        None => return Err(format!("metric `{name}` has no value")),
    };
    let (raw_value, rest) = token(rest);
    if raw_value.is_empty() {
        return Err(format!("metric `{name}` has no value"));
    }
    let value = parse_float(raw_value).ok_or_else(|| {
        format!(
            "`{raw_value}` is not a valid value for `{name}` (expected a float, NaN, +Inf or -Inf)"
        )
    })?;
    let timestamp = match rest.trim_start_matches(is_blank) {
        "" if rest.is_empty() => None,
        "" => return Err(trailing_blank(name)),
        rest => {
            let (text, rest) = token(rest);
            let timestamp = text.parse::<i64>().map_err(|_| {
                format!(
                    "`{text}` is not a valid timestamp for `{name}` (expected integer milliseconds)"
                )
            })?;
            match token(rest) {
                _ if rest.is_empty() => {}
                ("", _) => return Err(trailing_blank(name)),
                (extra, _) => {
                    return Err(format!("unexpected `{extra}` after the sample of `{name}`"))
                }
            }
            Some(timestamp)
        }
    };
    Ok(Sample {
        name,
        labels,
        value,
        raw_value,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &str) -> Vec<Item<'_>> {
        Parser::new(text.as_bytes())
            .map(|line| line.expect(text).item)
            .collect()
    }

    #[test]
    fn yields_help_type_comments_and_samples() {
        let text = "\
# HELP rpc_seconds Time \\\\ taken,\\nin seconds.
# TYPE rpc_seconds summary

#plain
# another comment
rpc_seconds{quantile=\"0.5\",path=\"C:\\\\x \\\"y\\\"\"} 4.5 1395066363000
up 1
";
        let items = items(text);
        assert_eq!(items.len(), 6, "{items:?}");
        let Item::Help(help) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(help.name, "rpc_seconds");
        assert_eq!(help.raw_text, "Time \\\\ taken,\\nin seconds.");
        assert_eq!(help.text(), "Time \\ taken,\nin seconds.");
        assert_eq!(
            items[1],
            Item::Type {
                name: "rpc_seconds",
                kind: MetricType::Summary
            }
        );
        assert_eq!(items[2], Item::Comment("plain"));
        assert_eq!(items[3], Item::Comment(" another comment"));
        let Item::Sample(sample) = &items[4] else {
            panic!("{items:?}")
        };
        assert_eq!(sample.name, "rpc_seconds");
        assert_eq!(sample.value, 4.5);
        assert_eq!(sample.raw_value, "4.5");
        assert_eq!(sample.timestamp, Some(1395066363000));
        let labels: Vec<_> = sample.labels.iter().collect();
        assert_eq!(labels.len(), 2);
        assert_eq!((labels[0].name, labels[0].raw_value), ("quantile", "0.5"));
        assert_eq!(labels[1].name, "path");
        assert_eq!(labels[1].raw_value, "C:\\\\x \\\"y\\\"");
        assert_eq!(labels[1].value(), "C:\\x \"y\"");
        let Item::Sample(up) = &items[5] else {
            panic!("{items:?}")
        };
        assert_eq!((up.name, up.value, up.timestamp), ("up", 1.0, None));
        assert!(up.labels.is_empty());
    }

    #[test]
    fn numbers_lines_and_stops_at_the_first_bad_one() {
        let mut parser = Parser::new(b"\na 1\n\nb{x=1} 2\nc 3\n");
        assert_eq!(parser.next().unwrap().unwrap().number, 2);
        let bad = parser.next().unwrap().unwrap_err();
        assert_eq!(bad.line, 4);
        assert!(parser.next().is_none(), "nothing after the first bad line");
    }
}
