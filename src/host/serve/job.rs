//! One job: what triggered it, what it ran and how each container went.
//!
//! This is the wire form of `GET /jobs/{id}` and the line format of the
//! history file (docs/serve.md documents both); nothing else defines it.

use serde::{Deserialize, Serialize};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Running,
    /// Every step ended done (or skipped).
    Done,
    /// At least one step did not end done, or the job could not run.
    Failed,
    /// The server stopped before the job finished.
    Interrupted,
}

impl Status {
    pub fn is_final(self) -> bool {
        matches!(self, Status::Done | Status::Failed | Status::Interrupted)
    }
}

/// What started a job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    /// `hook`, `operator`, `engine event` or `schedule`.
    pub kind: String,
    pub hook: Option<String>,
    /// The forge detected from the request's headers.
    pub forge: Option<String>,
    pub delivery: Option<String>,
    pub repository: Option<String>,
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub revision: Option<String>,
    /// Further pushes folded into this job while another ran.
    #[serde(default)]
    pub coalesced: u32,
    /// An engine event of a Swarm task's container: the task's service
    /// (`com.docker.swarm.service.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// ... the task's id (`com.docker.swarm.task.id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// ... and the node it runs on (its hostname, or its id when the
    /// node's engine does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

/// Which containers a job acts on: the selector fields of the fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Swarm services by name or glob: their running tasks, on the
    /// nodes' engines (docs/swarm.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Only this engine (by its configured name); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// Every container with records (only with nothing else given).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
            && self.services.is_empty()
            && self.project.is_none()
            && self.labels.is_empty()
            && self.source.is_none()
            && self.branch.is_none()
    }
}

/// One step on one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub engine: String,
    pub container: String,
    pub action: String,
    /// As the runner reports it: done, failed, skipped, timed_out,
    /// no_tool, error, not_reached.
    pub outcome: String,
    pub exit_code: Option<i64>,
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub stdout_tail: String,
    pub stderr_tail: String,
}

/// An engine that could not be reached for this job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineFailure {
    pub engine: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: u64,
    pub status: Status,
    /// `update`, `validate` or `monitor`.
    pub action: String,
    pub trigger: Trigger,
    pub selection: Selection,
    /// Epoch seconds.
    pub created: i64,
    pub started: Option<i64>,
    pub finished: Option<i64>,
    #[serde(default)]
    pub results: Vec<StepRecord>,
    #[serde(default)]
    pub engine_errors: Vec<EngineFailure>,
    /// Why the job failed as a whole (no runner result), or was cut.
    pub error: Option<String>,
    /// Containers acted on at a time (a rolling run) for a job by hand;
    /// a hook's jobs take the hook's `batch`. Absent: all at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
}
