//! The examine report as text: the one renderer both programs use.
//!
//! Three parts, as in the 2015 report it is modelled on: runtime facts,
//! the effective management methods with the image each came from, and
//! every image oldest first. Labels are right-aligned so the report reads
//! at 80 columns. This module only renders, into a string; gathering and
//! printing are the caller's.
//!
//! Everything shown comes from someone else: record fields, keys, file
//! names, the environment. All of it passes through [`safe_text`], so a
//! record cannot send escape sequences to the reader's terminal, and the
//! report's size stays linear in the size of the records: nested keys are
//! shown as dotted paths, shortened when long (see [`PATH_LIMIT`]).

use super::{EffectiveMethod, ImageReport, Report, Runtime, DEPLOY_VARS};
use crate::record::{Action, BuildTime};
use crate::safe_text::{self, Escaped};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt::Write;

const LABEL_WIDTH: usize = 24;
const WIDTH: usize = 80;
const NOT_SET: &str = "not set";
/// The longest part of a key path shown before a nested key. A longer
/// one is shortened to `…` and its last this-many bytes, after a line
/// showing the object's path whole: repeating every ancestor key in full
/// on every line made the report grow with the square of the record (a
/// 199 KB record once made 1 GB of text). So every key is still shown
/// whole once, and `--examine --json` has every path whole.
const PATH_LIMIT: usize = 48;

/// The whole human report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    runtime(&mut out, &report.runtime);
    methods(&mut out, report);
    for image in &report.images {
        image_section(&mut out, image);
    }
    for problem in &report.problems {
        let _ = writeln!(out, "Malformed record {}\n", Escaped(&problem.file));
        field(&mut out, "Error", &problem.error);
        out.push('\n');
    }
    out
}

fn runtime(out: &mut String, runtime: &Runtime) {
    match runtime.first_started_at {
        Some(at) => {
            let _ = writeln!(out, "Container first started at {}", runtime_time(at));
        }
        None => out.push_str("Container has not been started with `container --start`\n"),
    }
    out.push_str("\nRuntime:\n\n");
    if let Some(at) = runtime.last_started_at {
        field(out, "Last Started", &runtime_time(at));
    }
    field(out, "Start Count", &runtime.start_count.to_string());
    for action in [
        Action::Update,
        Action::Validate,
        Action::Monitor,
        Action::Metrics,
    ] {
        let label = format!("Last {}", action.label());
        let result = runtime.last.get(action.key());
        let value = match result {
            Some(result) => format!(
                "{} (exit {}) at {}",
                result.outcome.as_str(),
                result.exit_code,
                runtime_time(result.at)
            ),
            // UPDATE and VALIDATE are always shown; the others when run.
            None if matches!(action, Action::Update | Action::Validate) => "never run".into(),
            None => continue,
        };
        field(out, &label, &value);
        // The push an UPDATE was run for; a ref and repository come
        // only with a revision.
        if let Some(result) = result {
            optional(out, "Pushed Revision", &result.revision);
            optional(out, "Pushed Ref", &result.git_ref);
            optional(out, "Pushed Repository", &result.repository);
        }
    }
    field(
        out,
        "Hostname",
        runtime.hostname.as_deref().unwrap_or(NOT_SET),
    );
    for (var, label) in DEPLOY_VARS {
        if let Some(value) = runtime.deploy.get(var) {
            field(out, label, value);
        }
    }
    out.push('\n');
}

fn methods(out: &mut String, report: &Report) {
    out.push_str("Container management methods:\n\n");
    for action in Action::ALL {
        match report.methods.get(action.key()).and_then(Option::as_ref) {
            Some(effective) => {
                field(out, action.label(), &method_text(effective));
                field(out, "", &format!("from image {}", effective.source.project));
            }
            None => field(out, action.label(), NOT_SET),
        }
    }
    out.push('\n');
}

fn method_text(effective: &EffectiveMethod) -> String {
    match effective.timeout_seconds {
        Some(seconds) => format!("{} (timeout {seconds}s)", effective.method),
        None => effective.method.to_string(),
    }
}

fn image_section(out: &mut String, image: &ImageReport) {
    let r = &image.record;
    let _ = writeln!(out, "Metadata for image {}\n", Escaped(r.display_name()));

    out.push_str("  Names:\n");
    field(out, "Project Name", &r.project);
    field(
        out,
        "Image Name",
        r.image_name.as_deref().unwrap_or(NOT_SET),
    );
    list(out, "Image Tag Names", r.image_tag_names.as_deref());
    field(out, "Record File", &image.file);
    optional(out, "Description", &r.description);
    optional(out, "Licenses", &r.licenses);

    out.push_str("\n  Build Info:\n");
    let ci = match (r.ci, &r.ci_system) {
        (Some(ci), Some(system)) => format!("{ci} ({system})"),
        (Some(ci), None) => ci.to_string(),
        (None, _) => NOT_SET.into(),
    };
    field(out, "CI Run", &ci);
    field(out, "Build URL", r.build_url.as_deref().unwrap_or(NOT_SET));
    field(out, "Git Hash", r.gitref.as_deref().unwrap_or(NOT_SET));
    field(
        out,
        "Git Branch",
        r.git_branch.as_deref().unwrap_or(NOT_SET),
    );
    field(
        out,
        "Git Dirty",
        &r.git_dirty.map_or(NOT_SET.into(), |d| d.to_string()),
    );
    optional(out, "Git Describe", &r.git_describe);
    if r.git_tags.as_ref().is_some_and(|t| !t.is_empty()) {
        list(out, "Git Tags", r.git_tags.as_deref());
    }
    if let Some(at) = r.git_commit_time_stamp {
        field(out, "Commit Time", &stamped_time(None, Some(at)));
    }
    if r.git_shallow == Some(true) {
        field(out, "Shallow Clone", "true");
    }
    optional(out, "Source URL", &r.source_url);
    field(
        out,
        "Build Cause",
        r.build_cause.as_deref().unwrap_or(NOT_SET),
    );
    field(
        out,
        "Build Time",
        &stamped_time(r.build_time, r.build_time_stamp),
    );
    field(out, "Build Tag", r.build_tag.as_deref().unwrap_or(NOT_SET));
    optional(out, "Build ID", &r.build_id);
    if let Some(version) = r.schema_version {
        field(out, "Schema Version", &version.to_string());
    }

    out.push_str("\n  Actions:\n");
    for action in Action::ALL {
        let text = match (r.method(action), r.timeout(action)) {
            (Some(method), Some(t)) => format!("{method} (timeout {t}s)"),
            (Some(method), None) => method.to_string(),
            (None, _) => NOT_SET.into(),
        };
        field(out, action.label(), &text);
    }
    if let Some(validate) = r.validate {
        field(out, "Validate Flag", &validate.to_string());
    }

    if let Some(user) = &r.user_metadata {
        out.push_str("\n  User Metadata:\n");
        tree_children(out, "", user);
    }
    if !r.unknown.is_empty() {
        out.push_str("\n  Other Fields:\n");
        for (key, value) in &r.unknown {
            tree(out, &safe_text::escape(key), value);
        }
    }
    out.push('\n');
}

/// `            Project Name: rbldnsd`, wrapping long values with spaces
/// onto continuation lines under the value column. Both label and value
/// are escaped: this is where record text enters the report.
fn field(out: &mut String, label: &str, value: &str) {
    let label = safe_text::escape(label);
    let value = safe_text::escape(value);
    let indent = LABEL_WIDTH + 2;
    let mut line = String::new();
    let mut lines = Vec::new();
    for word in value.split(' ') {
        if !line.is_empty() && indent + line.len() + 1 + word.len() > WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    let sep = if label.is_empty() { ' ' } else { ':' };
    let _ = writeln!(out, "{label:>LABEL_WIDTH$}{sep} {}", lines[0]);
    for more in &lines[1..] {
        let _ = writeln!(out, "{:indent$}{more}", "");
    }
}

fn optional(out: &mut String, label: &str, value: &Option<String>) {
    if let Some(value) = value {
        field(out, label, value);
    }
}

fn list(out: &mut String, label: &str, items: Option<&[String]>) {
    match items {
        Some([first, rest @ ..]) => {
            field(out, label, first);
            for item in rest {
                field(out, "", item);
            }
        }
        _ => field(out, label, NOT_SET),
    }
}

/// User metadata and unknown fields, one leaf per line, keys dotted:
/// `label` is the value's key path as shown.
fn tree(out: &mut String, label: &str, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let prefix = shorten(label);
            if matches!(prefix, Cow::Owned(_)) {
                // Its members show only the end of this path.
                field(out, label, "{…}");
            }
            tree_children(out, &prefix, map);
        }
        Value::String(s) => field(out, label, s),
        other => field(out, label, &other.to_string()),
    }
}

/// The members of an object whose shown path is `prefix`. Keys are
/// escaped here rather than in [`field`], so that [`shorten`] measures
/// the path as shown: an escape is up to four times the bytes it stands
/// for.
fn tree_children(out: &mut String, prefix: &str, map: &Map<String, Value>) {
    for (key, child) in map {
        let key = safe_text::escape(key);
        let label = if prefix.is_empty() {
            key
        } else {
            Cow::Owned(format!("{prefix}.{key}"))
        };
        tree(out, &label, child);
    }
}

/// A key path as its children show it: whole up to [`PATH_LIMIT`] bytes,
/// else `…` and its last [`PATH_LIMIT`] bytes.
fn shorten(path: &str) -> Cow<'_, str> {
    if path.len() <= PATH_LIMIT {
        return Cow::Borrowed(path);
    }
    let mut start = path.len() - PATH_LIMIT;
    while !path.is_char_boundary(start) {
        start += 1;
    }
    Cow::Owned(format!("…{}", &path[start..]))
}

/// `2015-03-30 05:02:37 +0000 (1427691757)`, as the 2015 report shows
/// runtime times.
fn runtime_time(epoch: i64) -> String {
    match BuildTime::from_epoch(epoch) {
        Some(time) => format!("{time} +0000 ({epoch})"),
        None => format!("({epoch})"),
    }
}

/// `2015-03-24 03:25:01 (1427167501)`: the record's own text and stamp,
/// each shown as written even if they disagree.
fn stamped_time(time: Option<BuildTime>, stamp: Option<i64>) -> String {
    match (
        time.or_else(|| stamp.and_then(BuildTime::from_epoch)),
        stamp,
    ) {
        (Some(time), Some(stamp)) => format!("{time} ({stamp})"),
        (Some(time), None) => time.to_string(),
        (None, Some(stamp)) => format!("({stamp})"),
        (None, None) => NOT_SET.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_align_like_the_2015_report() {
        let mut out = String::new();
        field(&mut out, "Project Name", "rbldnsd");
        assert_eq!(out, "            Project Name: rbldnsd\n");
    }

    #[test]
    fn long_values_wrap_under_the_value_column() {
        let mut out = String::new();
        let words = vec!["word"; 30].join(" ");
        field(&mut out, "START", &words);
        assert!(out.lines().count() > 1);
        assert!(out.lines().all(|l| l.len() <= WIDTH), "{out}");
        assert!(out
            .lines()
            .nth(1)
            .unwrap()
            .starts_with(&" ".repeat(LABEL_WIDTH + 2)));
    }

    #[test]
    fn record_text_is_escaped_in_labels_and_values() {
        let mut out = String::new();
        field(&mut out, "k\u{1b}]0;t\u{7}", "a\rb\u{9b}c d");
        assert_eq!(
            out,
            format!("{:>LABEL_WIDTH$}: a\\rb\\u{{9b}}c d\n", "k\\x1b]0;t\\x07")
        );
    }

    #[test]
    fn short_key_paths_are_dotted_whole() {
        let mut out = String::new();
        let value: Value = serde_json::json!({"owner": {"team": {"email": "ops@x"}}});
        tree(&mut out, "meta", &value);
        assert_eq!(
            out,
            format!("{:>LABEL_WIDTH$}: ops@x\n", "meta.owner.team.email")
        );
    }

    #[test]
    fn long_key_paths_are_shown_whole_once_then_shortened() {
        let long = "k".repeat(60);
        let value: Value = serde_json::json!({ &long: {"a": 1, "b": {"c": 2}} });
        let mut out = String::new();
        tree(&mut out, "meta", &value);
        let k = |n: usize| "k".repeat(n);
        let lines: Vec<&str> = out.lines().map(str::trim_start).collect();
        // Inside a shortened path every object gets a line of its own,
        // so that its key, too, is shown whole once.
        assert_eq!(
            lines,
            [
                format!("meta.{long}: {{…}}"),
                format!("…{}.a: 1", k(PATH_LIMIT)),
                format!("…{}.b: {{…}}", k(PATH_LIMIT)),
                format!("…{}.b.c: 2", k(PATH_LIMIT - 2)),
            ],
            "{out}"
        );
    }

    #[test]
    fn shortening_keeps_whole_characters() {
        let path = "é".repeat(PATH_LIMIT);
        let short = shorten(&path);
        assert!(short.starts_with('…'));
        assert!(short.len() <= PATH_LIMIT + '…'.len_utf8());
    }

    #[test]
    fn build_time_shows_text_and_stamp_as_written() {
        let time = BuildTime::parse("2015-03-30 06:02:10").ok();
        assert_eq!(
            stamped_time(time, Some(1427691730)),
            "2015-03-30 06:02:10 (1427691730)"
        );
        assert_eq!(stamped_time(None, None), NOT_SET);
    }
}
