//! Everything that can go wrong in the `container` tool, and the exit
//! code each one maps to.
//!
//! An action's own non-zero exit is not an error: it is passed through as
//! the tool's exit code. These are the failures of the tool itself.

use crate::exit;
use crate::record::{Action, RecordError};
use crate::stack::StackError;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// The stack's own message, with what a `container` user can do.
    #[error("{0}{hint}", hint = stack_hint(.0))]
    Stack(#[from] StackError),

    #[error("{count} malformed record(s) in `{}`; the report above shows every good one", dir.display())]
    BadRecords { dir: PathBuf, count: usize },

    #[error("failed to read record file `{}`: {source}", path.display())]
    ReadRecordFile { path: PathBuf, source: io::Error },

    #[error("refusing record `{}`: {source}", path.display())]
    InvalidRecord { path: PathBuf, source: RecordError },

    #[error("failed to file record in `{}`: {source}", dir.display())]
    WriteRecord { dir: PathBuf, source: io::Error },

    #[error(
        "cannot file a record in `{}`: no position is left after `{file}` \
         (positions end at {})",
        dir.display(),
        u32::MAX
    )]
    NoPositionLeft { dir: PathBuf, file: String },

    #[error(
        "cannot file a record in `{}`: another `container record` held the directory's \
         lock for over {seconds}s; try again",
        dir.display()
    )]
    FilingLocked { dir: PathBuf, seconds: u64 },

    #[error(
        "this image declares no {action} method (no record sets `{}`); \
         `container --examine` lists the methods it has",
        action.method_field()
    )]
    NotDeclared { action: Action },

    #[error("cannot run the {action} method `{program}`: {source}{hint}")]
    MethodNotExecutable {
        action: Action,
        program: String,
        source: io::Error,
        hint: &'static str,
    },

    #[error("failed to run the {action} method `{program}`: {source}")]
    Spawn {
        action: Action,
        program: String,
        source: io::Error,
    },

    #[error("another UPDATE is running ({holder}); try again later or pass --wait SECONDS")]
    UpdateLocked { holder: String },

    #[error(
        "not updating: this container already has revision `{revision}`, which the \
         latest UPDATE brought at {at}"
    )]
    AlreadyUpdated { revision: String, at: String },

    #[error("failed to take the update lock `{}`: {source}", path.display())]
    Lock { path: PathBuf, source: io::Error },

    #[error("the {action} method ran past its {seconds}s timeout; its process group was killed")]
    Timeout { action: Action, seconds: u64 },

    #[error(
        "the METRICS method's output is not Prometheus text exposition: line {line}: {reason}"
    )]
    BadMetrics { line: usize, reason: String },

    /// METRICS or MONITOR output past its cap.
    #[error("the {action} method printed more than {limit} bytes; its process group was killed")]
    OutputTooLarge { action: Action, limit: usize },

    #[error("the MONITOR method's performance data is malformed: line {line}: {reason}")]
    BadPerfdata { line: usize, reason: String },

    #[error("failed to write to standard output: {0}")]
    Output(#[source] io::Error),

    #[error("{operation} failed: {source}")]
    Os {
        operation: &'static str,
        source: io::Error,
    },
}

/// The advice `container` adds to a stack error: the stack layer does
/// not know how its directory was chosen, or how records are filed.
fn stack_hint(error: &StackError) -> &'static str {
    match error {
        StackError::Missing { .. } => {
            "; is this a waybill image? (set --meta-dir or CONTAINER_META_DIR to read another \
             directory)"
        }
        StackError::Empty { .. } => "; file one at build time with `container record FILE`",
        _ => "",
    }
}

impl ContainerError {
    /// The one place that decides the tool's exit codes.
    pub fn exit_code(&self) -> u8 {
        match self {
            ContainerError::Stack(StackError::Unreadable { .. })
            | ContainerError::Stack(StackError::Missing { .. })
            | ContainerError::Stack(StackError::NotADirectory { .. })
            | ContainerError::Stack(StackError::SymlinkLoop { .. })
            | ContainerError::Stack(StackError::Empty { .. })
            | ContainerError::Stack(StackError::NoRecords { .. })
            | ContainerError::ReadRecordFile { .. } => exit::NOINPUT,
            ContainerError::BadRecords { .. } | ContainerError::InvalidRecord { .. } => {
                exit::DATAERR
            }
            ContainerError::WriteRecord { .. } | ContainerError::NoPositionLeft { .. } => {
                exit::CANTCREAT
            }
            ContainerError::FilingLocked { .. } => exit::TEMPFAIL,
            ContainerError::NotDeclared { .. } => exit::UNAVAILABLE,
            ContainerError::MethodNotExecutable { .. } => exit::CONFIG,
            ContainerError::Spawn { .. } | ContainerError::Os { .. } => exit::OSERR,
            ContainerError::UpdateLocked { .. } | ContainerError::AlreadyUpdated { .. } => {
                exit::TEMPFAIL
            }
            ContainerError::Lock { .. } => exit::CANTCREAT,
            ContainerError::Timeout { .. } => exit::TIMEOUT,
            ContainerError::BadPerfdata { .. }
            | ContainerError::OutputTooLarge {
                action: Action::Monitor,
                ..
            } => exit::nagios::UNKNOWN,
            ContainerError::BadMetrics { .. } | ContainerError::OutputTooLarge { .. } => {
                exit::PROTOCOL
            }
            ContainerError::Output(_) => exit::IOERR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_adds_its_own_advice_to_stack_errors() {
        let missing = ContainerError::from(StackError::Missing { dir: "/m".into() });
        assert_eq!(
            missing.to_string(),
            "metadata directory `/m` does not exist; is this a waybill image? (set --meta-dir \
             or CONTAINER_META_DIR to read another directory)"
        );
        let empty = ContainerError::from(StackError::Empty { dir: "/m".into() });
        assert_eq!(
            empty.to_string(),
            "metadata directory `/m` holds no image records; file one at build time with \
             `container record FILE`"
        );
    }
}
