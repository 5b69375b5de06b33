//! Which Swarm task a container is, from the labels Swarm puts on every
//! task container (`com.docker.swarm.service.name`,
//! `com.docker.swarm.task.id`, `com.docker.swarm.node.id`), so a
//! container seen on a node's engine (an engine event, a listing) can be
//! named by its service and node without asking a manager.
//!
//! The labels are only read, never trusted for anything but naming: a
//! container anyone labelled so is named so, and nothing is run because
//! of them.

use std::collections::BTreeMap;

pub const SERVICE_NAME_LABEL: &str = "com.docker.swarm.service.name";
pub const TASK_ID_LABEL: &str = "com.docker.swarm.task.id";
pub const NODE_ID_LABEL: &str = "com.docker.swarm.node.id";

/// The Swarm task a container runs, as its labels say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmTaskOf {
    pub service: String,
    pub task: Option<String>,
    pub node_id: Option<String>,
}

impl SwarmTaskOf {
    /// The task `labels` describe; None for a container Swarm did not
    /// start (no service name label).
    pub fn from_labels(labels: &BTreeMap<String, String>) -> Option<SwarmTaskOf> {
        let non_empty = |key: &str| labels.get(key).filter(|v| !v.is_empty()).cloned();
        Some(SwarmTaskOf {
            service: non_empty(SERVICE_NAME_LABEL)?,
            task: non_empty(TASK_ID_LABEL),
            node_id: non_empty(NODE_ID_LABEL),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_container_is_named_by_its_labels_and_others_are_not_tasks() {
        let labels: BTreeMap<String, String> = [
            (SERVICE_NAME_LABEL, "web"),
            (TASK_ID_LABEL, "t1"),
            (NODE_ID_LABEL, "n1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let task = SwarmTaskOf::from_labels(&labels).expect("a task");
        assert_eq!(task.service, "web");
        assert_eq!(task.task.as_deref(), Some("t1"));
        assert_eq!(task.node_id.as_deref(), Some("n1"));
        assert_eq!(SwarmTaskOf::from_labels(&BTreeMap::new()), None);
    }
}
