//! Swarm tasks: the replicas of a service, each on one node, with the
//! state the manager wants (desired) and the state it has (current), and
//! the container that runs it on its node.
//!
//! A manager knows every task; the container id it reports is only
//! meaningful on the task's own node, whose engine is found elsewhere
//! (`crate::host::fleet::nodes`).

use super::deadline::{within, CALL_DEADLINE};
use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use bollard::models::Task;
use bollard::query_parameters::ListTasksOptions;
use std::collections::HashMap;

/// One task of a service.
#[derive(Debug, Clone)]
pub struct TaskSummary {
    pub id: String,
    pub service_id: String,
    /// The replica number of a replicated service; None for a global one.
    pub slot: Option<i64>,
    /// The node the scheduler gave it; None while it is unassigned.
    pub node_id: Option<String>,
    /// What the manager wants: `running`, `shutdown`, `remove`…
    pub desired_state: String,
    /// What it is: `new` … `preparing`, `starting`, `running`,
    /// `complete`, `failed`, `shutdown`, `rejected`, `orphaned`…
    pub state: String,
    /// The manager's note on the current state (`started`, an error).
    pub message: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The container on its node, once one was created.
    pub container_id: Option<String>,
    /// RFC 3339: when the current state was reached.
    pub since: Option<String>,
}

impl TaskSummary {
    /// Whether the manager wants it running and it runs: the only tasks
    /// an action is run in.
    pub fn is_running(&self) -> bool {
        self.desired_state == "running" && self.state == "running"
    }
}

fn summary(task: Task) -> TaskSummary {
    let status = task.status.unwrap_or_default();
    TaskSummary {
        id: task.id.unwrap_or_default(),
        service_id: task.service_id.unwrap_or_default(),
        slot: task.slot,
        node_id: task.node_id.filter(|n| !n.is_empty()),
        desired_state: task
            .desired_state
            .map(|s| s.to_string())
            .unwrap_or_default(),
        state: status.state.map(|s| s.to_string()).unwrap_or_default(),
        message: status.message.filter(|m| !m.is_empty()),
        error: status.err.filter(|e| !e.is_empty()),
        container_id: status
            .container_status
            .and_then(|c| c.container_id)
            .filter(|c| !c.is_empty()),
        since: status.timestamp.map(|t| t.to_string()),
    }
}

impl Engine {
    /// The tasks of the service `service` (a name or id), or of every
    /// service when None, old ones (shut down, failed) included, as
    /// `docker service ps` shows them.
    pub async fn list_tasks(&self, service: Option<&str>) -> Result<Vec<TaskSummary>, EngineError> {
        let name = service.unwrap_or("*");
        let filters = service.map(|s| HashMap::from([("service".to_owned(), vec![s.to_owned()])]));
        let options = ListTasksOptions { filters };
        let list = within(
            CALL_DEADLINE,
            &self.name,
            "list",
            ObjectKind::Task,
            name,
            async {
                self.docker
                    .list_tasks(Some(options))
                    .await
                    .map_err(|e| classify(e, &self.name, "list", ObjectKind::Task, name))
            },
        )
        .await?;
        Ok(list.into_iter().map(summary).collect())
    }
}
