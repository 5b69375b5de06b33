//! Why one container could not be described. Each is shown as that
//! container's error row; none stops the others.

use crate::host::engine::EngineError;
use crate::record::stack_label::StackLabelError;
use crate::report::ReportError;

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("label `io.waybill.stack` is {size} bytes, over the limit of {limit} bytes")]
    LabelTooLarge { size: usize, limit: usize },

    #[error("label `io.waybill.stack` is not usable: {0}")]
    BadLabel(StackLabelError),

    #[error("label `io.waybill.stack` holds no records")]
    EmptyLabel,

    #[error("no container tool in this image ({message})")]
    NoTool { message: String },

    #[error("container is not running, so nothing can be asked inside it: {reason}")]
    NotRunning { reason: String },

    #[error(
        "`{command}` printed nothing on standard output (exit {exit_code}){}",
        stderr_note(stderr)
    )]
    EmptyOutput {
        command: String,
        exit_code: i64,
        stderr: String,
    },

    #[error("`{command}` printed unusable records: {source}")]
    BadRecords {
        command: String,
        source: StackLabelError,
    },

    #[error("`{command}`: {source}")]
    BadReport {
        command: String,
        source: ReportError,
    },

    #[error("`{command}` output is over the limit of {limit} bytes")]
    OutputTooLarge { command: String, limit: usize },

    #[error("no waybill records: no labels, and no `{dir}` in the container")]
    NoRecords { dir: String },

    #[error("the image has no `io.waybill.stack` label")]
    NoLabel,

    #[error("no records for image `{image}` on the manager: {source}")]
    ServiceImage {
        image: String,
        source: Box<DiscoveryError>,
    },

    #[error("the state file `{path}` is not usable: {reason}")]
    BadState { path: String, reason: String },

    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn stderr_note(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        String::new()
    } else {
        format!("; stderr: {stderr}")
    }
}

impl DiscoveryError {
    /// The exit code when this stops a command about one container
    /// (`waybill examine`); `waybill ls` shows it as a row instead.
    pub fn exit_code(&self) -> u8 {
        use crate::exit;
        match self {
            DiscoveryError::NoTool { .. }
            | DiscoveryError::NoRecords { .. }
            | DiscoveryError::NoLabel => exit::NOINPUT,
            DiscoveryError::NotRunning { .. } => exit::UNAVAILABLE,
            DiscoveryError::ServiceImage { source, .. } => source.exit_code(),
            DiscoveryError::Engine(EngineError::NotFound { .. }) => exit::NOINPUT,
            DiscoveryError::Engine(_) => exit::UNAVAILABLE,
            _ => exit::DATAERR,
        }
    }
}
