//! What one step in one container came to, and which step it was.

use crate::record::Action;
use serde::{Serialize, Serializer};
use std::fmt;

/// The result of one step in one container (docs/fleet-actions.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The method ran and `container` exited 0.
    Done,
    /// `container` exited non-zero (MONITOR: WARNING, CRITICAL or
    /// UNKNOWN): its exit code says why.
    Failed,
    /// Not run, and not a failure: `container` exited 75 (another UPDATE
    /// holds the lock, the container already has the pushed revision, or
    /// the method asked to skip), or the engine
    /// refused the exec because the container is stopped, paused or
    /// restarting.
    Skipped,
    /// No result within the host-side deadline, or `container`'s own
    /// action timeout stopped the method (exit 124).
    TimedOut,
    /// The image has no `container` tool.
    NoTool,
    /// The engine failed, or the container went away during the step.
    Error,
    /// Never started: the rollout stopped, or the run was interrupted.
    NotReached,
}

impl Outcome {
    /// Every outcome, in the order summaries list them.
    pub const ALL: [Outcome; 7] = [
        Outcome::Done,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::TimedOut,
        Outcome::NoTool,
        Outcome::Error,
        Outcome::NotReached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::TimedOut => "timed_out",
            Outcome::NoTool => "no_tool",
            Outcome::Error => "error",
            Outcome::NotReached => "not_reached",
        }
    }

    /// Whether this outcome makes the run fail (exit 1) and counts
    /// against `--max-failures`.
    pub fn is_failure(self) -> bool {
        !matches!(self, Outcome::Done | Outcome::Skipped)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which step of a container's run a result is about: the action the
/// command names, VALIDATE after UPDATE, or the wait for Docker's
/// HEALTHCHECK to say healthy again (`--wait-healthy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    Action(Action),
    WaitHealthy,
}

impl StepKind {
    /// As JSON and the summary table name it: `update`, `validate`,
    /// `monitor`, `metrics`, `health`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Action(action) => action.key(),
            StepKind::WaitHealthy => "health",
        }
    }
}

impl fmt::Display for StepKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StepKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
