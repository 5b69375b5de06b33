//! A report from a stack of records and runtime facts, wherever they
//! came from: a metadata directory inside the container, or (on the
//! host) an image's stack label or a directory read through the engine.
//! No I/O: gathering the stack and the runtime is the caller's.

use super::{EffectiveMethod, ImageRef, ImageReport, Problem, Report, Runtime, REPORT_VERSION};
use crate::record::Action;
use crate::stack::{Entry, Stack};
use std::collections::BTreeMap;

impl Report {
    /// The report of `stack` with `runtime` facts and `warnings`.
    pub fn from_stack(stack: &Stack, runtime: Runtime, warnings: Vec<String>) -> Report {
        // Inserted one by one: collecting into a map sorts first, and each
        // sort's code costs the static `container` kilobytes.
        let mut methods = BTreeMap::new();
        for action in Action::ALL {
            let effective = stack
                .effective_method(action)
                .map(|(method, entry)| EffectiveMethod {
                    method: method.clone(),
                    timeout_seconds: stack.effective_timeout(action),
                    source: image_ref(entry),
                });
            methods.insert(action.key().to_owned(), effective);
        }
        Report {
            report_version: REPORT_VERSION,
            meta_dir: stack.dir.display().to_string(),
            runtime,
            methods,
            images: stack
                .images()
                .map(|(entry, record)| ImageReport {
                    position: entry.position,
                    file: entry.file_name.clone(),
                    record: record.clone(),
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

fn image_ref(entry: &Entry) -> ImageRef {
    ImageRef {
        position: entry.position,
        file: entry.file_name.clone(),
        project: entry
            .record()
            .map_or_else(String::new, |r| r.project.clone()),
    }
}
