//! `container --metadata`: the effective metadata as JSON.
//!
//! Prints the merged record (the leaf-most value of each field), or with
//! `--all` every record oldest first. Bad records are named on stderr and
//! make the exit code 65, but never hide the good ones.

use super::problems::warn_about;
use super::{ContainerError, Context};
use crate::exit;
use crate::record::Record;
use crate::stack::Stack;

pub fn run(ctx: &Context, all: bool) -> Result<u8, ContainerError> {
    let stack = Stack::load(&ctx.meta_dir)?;
    warn_about(&stack);
    if all {
        let records: Vec<&Record> = stack.images().map(|(_, r)| r).collect();
        print_json(&records)?;
    } else {
        match stack.merged() {
            Some(merged) => print_json(&merged)?,
            // Every record is bad: an empty object, and exit 65 below.
            None => print_json(&serde_json::Map::new())?,
        }
    }
    let outcome = super::problems::fail_on_bad_records(&stack).map(|()| exit::OK);
    // The process exits next: freeing every record one by one would cost
    // more than a tenth of the command's time (docs/benchmarks.md).
    std::mem::forget(stack);
    outcome
}

/// Pretty JSON on stdout, with a final newline, in one write: stdout is
/// line-buffered, and a system call per line would cost more than
/// everything else `--metadata` does. JSON is exact: record text is not
/// escaped beyond what JSON itself requires.
pub(super) fn print_json(json: &impl serde::Serialize) -> Result<(), ContainerError> {
    let mut text = serde_json::to_vec_pretty(json)
        .map_err(|e| ContainerError::Output(std::io::Error::from(e)))?;
    text.push(b'\n');
    crate::output::stdout(&text).map_err(ContainerError::Output)
}
