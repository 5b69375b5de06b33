//! Services resolved to the tasks an action may run in.
//!
//! A task is a target only when the manager wants it running and it runs
//! (desired and current state both `running`) and it has a container; a
//! task that is starting, shutting down, failed or rejected is reported
//! with its state, never exec'd. A runnable task's container is reached
//! through its node's engine ([`super::nodes`]); a node without a usable
//! engine makes each of its tasks an error row naming the node and the
//! endpoint tried.

use super::nodes::{reach_nodes, Route};
use super::services::SwarmView;
use super::target::EngineTarget;
use crate::host::endpoint::SwarmSettings;
use crate::host::engine::TaskSummary;
use std::collections::BTreeSet;

/// One task of a selected service and what can be done with it.
pub struct ResolvedTask {
    /// The manager (engine name) that reported it.
    pub manager: String,
    pub service: String,
    /// The service's image reference.
    pub image: String,
    pub task: TaskSummary,
    /// The node's hostname (its id when the manager does not know it).
    pub node: Option<String>,
    pub outcome: TaskOutcome,
}

/// Whether an action can run in a task.
pub enum TaskOutcome {
    /// Running, with its container reached through `engine`.
    Runnable {
        engine: EngineTarget,
        container_id: String,
        route: Route,
    },
    /// Not desired running, or not running now: reported, not exec'd.
    NotRunning { reason: String },
    /// Running, but its node's engine is not usable: the reason names the
    /// node and the endpoint tried.
    NodeError { reason: String },
}

impl ResolvedTask {
    /// The engine's name for the task's node, when it was reached.
    pub fn engine(&self) -> Option<&EngineTarget> {
        match &self.outcome {
            TaskOutcome::Runnable { engine, .. } => Some(engine),
            _ => None,
        }
    }
}

/// Every listed task of the services of `swarm`, each with its outcome;
/// the engines of the nodes running runnable tasks are found by the
/// rules of [`super::nodes`], concurrently.
pub async fn resolve_tasks(
    swarm: &SwarmView,
    settings: &SwarmSettings,
    given: &[EngineTarget],
) -> Vec<ResolvedTask> {
    let wanted: BTreeSet<String> = swarm
        .services
        .iter()
        .flat_map(|s| &s.tasks)
        .filter(|t| t.is_running() && t.container_id.is_some())
        .filter_map(|t| t.node_id.clone())
        .collect();
    let wanted: Vec<String> = wanted.into_iter().collect();
    let engines = reach_nodes(&swarm.nodes, &wanted, settings, given).await;
    let mut resolved = Vec::new();
    for view in &swarm.services {
        for task in &view.tasks {
            let node = task.node_id.as_deref().map(|id| {
                swarm
                    .node(id)
                    .map_or_else(|| id.to_owned(), |n| n.hostname.clone())
            });
            let outcome = match (&task.node_id, &task.container_id) {
                _ if !task.is_running() => TaskOutcome::NotRunning {
                    reason: not_running(task),
                },
                (Some(node_id), Some(container)) => match engines.get(node_id) {
                    Some(reach) => match &reach.outcome {
                        Ok(engine) => TaskOutcome::Runnable {
                            engine: EngineTarget {
                                name: engine.name.clone(),
                                engine: engine.engine.clone(),
                            },
                            container_id: container.clone(),
                            route: reach.route.unwrap_or(Route::NodeId),
                        },
                        Err(e) => TaskOutcome::NodeError {
                            reason: e.to_string(),
                        },
                    },
                    None => TaskOutcome::NodeError {
                        reason: format!("node {node_id} was not looked up"),
                    },
                },
                _ => TaskOutcome::NotRunning {
                    reason: "the manager reports no node or container for it yet".to_owned(),
                },
            };
            resolved.push(ResolvedTask {
                manager: swarm.manager.clone(),
                service: view.service.name.clone(),
                image: view.service.image.clone(),
                task: task.clone(),
                node,
                outcome,
            });
        }
    }
    resolved
}

/// Why a task is not a target, in Swarm's words.
fn not_running(task: &TaskSummary) -> String {
    let mut reason = format!(
        "task is {} (desired {}), not running",
        task.state, task.desired_state
    );
    if let Some(error) = &task.error {
        reason.push_str(": ");
        reason.push_str(error);
    }
    reason
}
