//! `container --examine`: gathers the report in this container and prints
//! it as text or JSON.
//!
//! The model and the text renderer are shared with the host
//! ([`crate::report`]); this module only gathers (the metadata directory,
//! the state file, the environment) and prints, with the `container:`
//! prefix on the warnings and problems it names on stderr.

use super::problems::{fail_on_bad_records, print_problem, schema_warnings};
use super::{ContainerError, Context};
use crate::report::{self, Report};
use crate::stack::Stack;
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
    let runtime = super::runtime::gather(state, |var| std::env::var(var).ok());
    Report::from_stack(stack, runtime, warnings)
}
