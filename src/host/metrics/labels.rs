//! The labels of a merged sample: the origin's four, then the sample's
//! own, with a clash kept under an `exported_` prefix.
//!
//! Prometheus stores a label with an empty value as no label at all, so
//! an empty label of the container's is dropped here, and only a
//! non-empty one clashes with an origin label. A clashing label becomes
//! `exported_<name>`, or `exported_exported_<name>` when that is taken,
//! and so on, shortest names first: the rule Prometheus applies when it
//! scrapes with `honor_labels: false`, so a merged exposition means what
//! a scrape of each container would have meant.

use crate::prometheus::Labels;
use std::fmt::Write;

/// The label names every merged sample gets, in the order written.
pub const ORIGIN_LABELS: [&str; 4] = ["engine", "container", "project", "image"];

const EXPORTED: &str = "exported_";

/// Escapes a label value as the text format requires: `\`, `"` and the
/// line feed.
pub fn escape_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// `engine="…",container="…",project="…",image="…"`, escaped once per
/// origin and reused for each of its samples.
pub fn origin_text(values: [&str; 4]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in ORIGIN_LABELS.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_value(&mut out, value);
        out.push('"');
    }
    out
}

/// Writes `{origin,own…}` for one sample. `own` was checked by the
/// parser, so its values are written as they came, escapes and all.
pub fn write_labels(out: &mut String, origin: &str, own: Labels<'_>) {
    out.push('{');
    out.push_str(origin);
    // Usually empty: a clash is rare, so this allocates only then.
    let mut clashing = Vec::new();
    for label in own {
        if label.raw_value.is_empty() {
            continue;
        }
        if ORIGIN_LABELS.contains(&label.name) {
            clashing.push(label);
            continue;
        }
        let _ = write!(out, ",{}=\"{}\"", label.name, label.raw_value);
    }
    if clashing.is_empty() {
        out.push('}');
        return;
    }
    clashing.sort_by_key(|l| l.name.len());
    let mut taken: Vec<String> = Vec::new();
    for label in clashing {
        let mut name = format!("{EXPORTED}{}", label.name);
        while taken.contains(&name)
            || own
                .iter()
                .any(|l| l.name == name && !l.raw_value.is_empty())
        {
            name.insert_str(0, EXPORTED);
        }
        let _ = write!(out, ",{name}=\"{}\"", label.raw_value);
        taken.push(name);
    }
    out.push('}');
}

/// The series' identity within one exposition: its name and its
/// non-empty labels, sorted (two lines naming the same series are a
/// duplicate however their labels are ordered).
pub fn series_key(name: &str, own: Labels<'_>) -> String {
    let mut labels: Vec<_> = own.iter().filter(|l| !l.raw_value.is_empty()).collect();
    labels.sort_by_key(|l| l.name);
    let mut key = String::from(name);
    for l in labels {
        let _ = write!(key, "\0{}\0{}", l.name, l.raw_value);
    }
    key
}
