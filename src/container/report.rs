//! The examine report as data, shared by the text and JSON renderings.
//!
//! Gathering is separate from rendering so that `--examine --json` and
//! the human report can never disagree. The JSON shape is documented in
//! docs/metadata.md; change both together.

use super::runtime::Runtime;
use super::{warn, ContainerError, Context};
use crate::record::{Action, Method, Record};
use crate::safe_text::Escaped;
use crate::stack::{Entry, Stack};
use serde::Serialize;
use std::collections::BTreeMap;

/// Bumped when the JSON shape changes incompatibly.
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub report_version: u32,
    pub meta_dir: String,
    pub runtime: Runtime,
    /// The effective method of every action, by action key; `null` when
    /// no image declares one.
    pub methods: BTreeMap<&'static str, Option<EffectiveMethod<'a>>>,
    /// Every image whose record parsed, oldest first.
    pub images: Vec<ImageReport<'a>>,
    /// Records that could not be used.
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct EffectiveMethod<'a> {
    pub method: &'a Method,
    pub timeout_seconds: Option<u64>,
    /// The image that declared it.
    pub source: ImageRef<'a>,
}

#[derive(Debug, Serialize)]
pub struct ImageRef<'a> {
    pub position: Option<u32>,
    pub file: &'a str,
    pub project: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ImageReport<'a> {
    pub position: Option<u32>,
    pub file: &'a str,
    pub record: &'a Record,
}

#[derive(Debug, Serialize)]
pub struct Problem {
    pub file: String,
    pub path: String,
    pub error: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl<'a> Report<'a> {
    pub fn gather(ctx: &Context, stack: &'a Stack) -> Report<'a> {
        let mut warnings = schema_warnings(stack);
        let state = ctx.state_dir.read().unwrap_or_else(|reason| {
            warnings.push(reason);
            None
        });
        let methods = Action::ALL
            .iter()
            .map(|&action| {
                let effective =
                    stack
                        .effective_method(action)
                        .map(|(method, entry)| EffectiveMethod {
                            method,
                            timeout_seconds: stack.effective_timeout(action),
                            source: ImageRef::of(entry),
                        });
                (action.key(), effective)
            })
            .collect();
        Report {
            report_version: REPORT_VERSION,
            meta_dir: stack.dir.display().to_string(),
            runtime: Runtime::gather(state, |var| std::env::var(var).ok()),
            methods,
            images: stack
                .images()
                .map(|(entry, record)| ImageReport {
                    position: entry.position,
                    file: &entry.file_name,
                    record,
                })
                .collect(),
            problems: stack
                .bad_entries()
                .map(|(entry, error)| Problem {
                    file: entry.file_name.clone(),
                    path: entry.path.display().to_string(),
                    error: error.to_string(),
                    line: error.position().map(|p| p.0),
                    column: error.position().map(|p| p.1),
                })
                .collect(),
            warnings,
        }
    }
}

impl<'a> ImageRef<'a> {
    fn of(entry: &'a Entry) -> ImageRef<'a> {
        ImageRef {
            position: entry.position,
            file: &entry.file_name,
            project: entry.record().map_or("", |r| r.project.as_str()),
        }
    }
}

fn schema_warnings(stack: &Stack) -> Vec<String> {
    let newer = stack.images().filter_map(|(entry, record)| {
        record
            .newer_schema_warning()
            .map(|w| format!("`{}`: {w}", entry.path.display()))
    });
    let skipped = stack
        .skipped
        .iter()
        .map(|(name, why)| format!("`{}` in the metadata directory: {why}", name));
    newer.chain(skipped).collect()
}

/// Names every bad record and every warning on stderr, for commands that
/// print something other than the full report.
pub fn warn_about(stack: &Stack) {
    for warning in schema_warnings(stack) {
        warn(warning);
    }
    for (entry, error) in stack.bad_entries() {
        print_problem(entry.path.display(), error);
    }
}

/// `container: error: failed to read metadata record `…`: …` on stderr,
/// with control characters in the file name and the error escaped.
pub fn print_problem(path: impl std::fmt::Display, error: impl std::fmt::Display) {
    crate::output::stderr_line(format_args!(
        "container: error: {}",
        Escaped(format_args!(
            "failed to read metadata record `{path}`: {error}"
        ))
    ));
}

/// The error that sets exit code 65 once the good records are shown.
pub fn fail_on_bad_records(stack: &Stack) -> Result<(), ContainerError> {
    match stack.bad_entries().count() {
        0 => Ok(()),
        count => Err(ContainerError::BadRecords {
            dir: stack.dir.clone(),
            count,
        }),
    }
}
