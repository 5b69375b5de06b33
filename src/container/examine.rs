//! `container --examine`: gathers the report in this container and prints
//! it as text or JSON.
//!
//! The model and the text renderer are shared with the host
//! ([`crate::report`]); this module only gathers (the metadata directory,
//! the state file, the environment) and prints, with the `container:`
//! prefix on the warnings and problems it names on stderr.

use super::problems::{fail_on_bad_records, print_problem, schema_warnings};
use super::{ContainerError, Context};
use crate::record::Action;
use crate::report::{
    self, EffectiveMethod, ImageRef, ImageReport, Problem, Report, REPORT_VERSION,
};
use crate::stack::{Entry, Stack};
use crate::{exit, output};

pub fn run(ctx: &Context, json: bool) -> Result<u8, ContainerError> {
    let stack = Stack::load(&ctx.meta_dir)?;
    let report = gather(ctx, &stack);
    if json {
        super::metadata::print_json(&report)?;
    } else {
        output::stdout(report::render(&report).as_bytes()).map_err(ContainerError::Output)?;
        for warning in &report.warnings {
            super::warn(warning);
        }
        for problem in &report.problems {
            print_problem(&problem.path, &problem.error);
        }
    }
    fail_on_bad_records(&stack)?;
    Ok(exit::OK)
}

/// The report of `stack` and this container's runtime facts.
pub fn gather(ctx: &Context, stack: &Stack) -> Report {
    let mut warnings = schema_warnings(stack);
    let state = ctx.state_dir.read().unwrap_or_else(|reason| {
        warnings.push(reason);
        None
    });
    let methods = Action::ALL
        .iter()
        .map(|&action| {
            let effective = stack
                .effective_method(action)
                .map(|(method, entry)| EffectiveMethod {
                    method: method.clone(),
                    timeout_seconds: stack.effective_timeout(action),
                    source: image_ref(entry),
                });
            (action.key().to_owned(), effective)
        })
        .collect();
    Report {
        report_version: REPORT_VERSION,
        meta_dir: stack.dir.display().to_string(),
        runtime: super::runtime::gather(state, |var| std::env::var(var).ok()),
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

fn image_ref(entry: &Entry) -> ImageRef {
    ImageRef {
        position: entry.position,
        file: entry.file_name.clone(),
        project: entry
            .record()
            .map_or_else(String::new, |r| r.project.clone()),
    }
}
