//! What `container` says on stderr about records it could not use, and
//! the exit code they cause.
//!
//! Bad records never hide good ones: reports show the good ones, name the
//! bad ones here with the `container:` prefix, and exit 65 afterwards.

use super::{warn, ContainerError};
use crate::safe_text::Escaped;
use crate::stack::Stack;

/// A warning for each record of a newer schema and each directory entry
/// passed over.
pub fn schema_warnings(stack: &Stack) -> Vec<String> {
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
