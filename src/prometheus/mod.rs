//! The Prometheus text exposition format, version 0.0.4: one small
//! parser, shared by the in-container METRICS check and (later) the host
//! side's merge of many containers' expositions.
//!
//! [`Parser`] reads an exposition line by line and yields [`Item`]s: HELP,
//! TYPE, comments and samples, each borrowing from the input. A sample
//! carries its metric name, its labels ([`Labels`], each with the value as
//! written and unescaped on demand), its value and optional timestamp.
//! The first line that breaks the grammar ends the parse as a
//! [`BadLine`] naming the line. [`validate`] is built on the parser and
//! adds the one rule that spans lines: no metric has two HELP or two TYPE
//! lines.
//!
//! Parsing is linear in the input and allocates only to report an error,
//! to remember the metric families [`validate`] has seen, and for one
//! reused set of label names per parser. It lives outside
//! [`crate::container`] so the host can reuse it; it depends on nothing
//! but std, because it is built into the small `container` binary.
//!
//! The reference is Prometheus's own text parser, the one `promtool check
//! metrics` runs (`tests/prometheus_corpus.rs` compares the two case by
//! case): values are read as Go reads them, the last line needs its `\n`,
//! a HELP or TYPE line without text is a comment. Where promtool is more
//! lenient than Prometheus's scraper, this parser still sides with
//! promtool: a TYPE in any case (`COUNTER`, read through Go's
//! `strings.ToUpper`), the type `gauge_histogram` (a family of its own
//! name only, its `_bucket`, `_gcount` and `_gsum` series families of
//! their own), and a HELP text that is not UTF-8 (its bad bytes become
//! U+FFFD in [`Help::raw_text`]). A plain comment that is not UTF-8 is
//! accepted and skipped: it is not yielded, as an [`Item`] holds text.
//!
//! Not checked, as Prometheus does not: that a family's samples are
//! grouped together, that histogram and summary series are complete, or
//! that names are within any length.

mod labels;
mod parser;
mod validate;

pub use labels::{Label, Labels};
pub use parser::{BadLine, Help, Item, Line, MetricType, Parser, Sample};
pub use validate::{lint, validate, Lint, LintProblem};

/// Undoes the escapes of a label value (`\\`, `\"`, `\n`) or a HELP text
/// (`\\`, `\n`); the parser has already refused any other escape.
fn unescape(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('\\') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    std::borrow::Cow::Owned(out)
}
