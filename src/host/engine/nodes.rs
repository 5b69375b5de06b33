//! Swarm nodes, and this engine's own place in a Swarm.
//!
//! [`Engine::list_nodes`] asks a manager for every node: id, hostname,
//! the address it advertises, availability and role.
//! [`Engine::swarm_membership`] asks any engine (`docker info`) whether
//! it is in a Swarm, whether it manages it, and its own node id — which
//! is how an engine is matched to a node of the Swarm.

use super::deadline::{within, CALL_DEADLINE};
use super::error::{classify, EngineError, ObjectKind};
use super::Engine;
use bollard::models::Node;
use bollard::query_parameters::ListNodesOptions;

/// One node of a Swarm.
#[derive(Debug, Clone)]
pub struct NodeSummary {
    pub id: String,
    /// The hostname of the node's machine, as its engine reported it.
    pub hostname: String,
    /// The address other nodes reach it at (no port); None when the
    /// manager reports none or only `0.0.0.0`.
    pub addr: Option<String>,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `ready`, `down`, `unknown`, `disconnected`.
    pub state: String,
}

/// What `docker info` says about the engine's Swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmMembership {
    /// `inactive` (no Swarm), `pending`, `active`, `error`, `locked`.
    pub state: String,
    /// This engine's node id; None outside a Swarm.
    pub node_id: Option<String>,
    /// Whether this engine is a manager (can list services and tasks).
    pub is_manager: bool,
    /// The id of the Swarm (only a manager reports it).
    pub cluster_id: Option<String>,
    /// The engine's host name (`docker info`'s Name), which is the
    /// node's hostname in a Swarm.
    pub hostname: Option<String>,
}

/// A usable address: a manager may report `0.0.0.0` for itself when it
/// listens everywhere; its manager address then names the host.
fn address_of(node: &Node) -> Option<String> {
    let usable = |a: &str| !a.is_empty() && a != "0.0.0.0" && a != "::";
    let status = node
        .status
        .as_ref()
        .and_then(|s| s.addr.clone())
        .filter(|a| usable(a));
    status.or_else(|| {
        let manager = node.manager_status.as_ref()?.addr.as_deref()?;
        let host = manager
            .rsplit_once(':')
            .map_or(manager, |(host, _)| host)
            .trim_start_matches('[')
            .trim_end_matches(']');
        usable(host).then(|| host.to_owned())
    })
}

fn summary(node: Node) -> NodeSummary {
    let addr = address_of(&node);
    let spec = node.spec.unwrap_or_default();
    NodeSummary {
        id: node.id.unwrap_or_default(),
        hostname: node
            .description
            .and_then(|d| d.hostname)
            .unwrap_or_default(),
        addr,
        availability: spec.availability.map(|a| a.to_string()).unwrap_or_default(),
        role: spec.role.map(|r| r.to_string()).unwrap_or_default(),
        state: node
            .status
            .and_then(|s| s.state)
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

impl Engine {
    /// Every node of the Swarm this engine manages, sorted by hostname.
    pub async fn list_nodes(&self) -> Result<Vec<NodeSummary>, EngineError> {
        let list = within(
            CALL_DEADLINE,
            &self.name,
            "list",
            ObjectKind::Node,
            "*",
            async {
                self.docker
                    .list_nodes(None::<ListNodesOptions>)
                    .await
                    .map_err(|e| classify(e, &self.name, "list", ObjectKind::Node, "*"))
            },
        )
        .await?;
        let mut nodes: Vec<NodeSummary> = list.into_iter().map(summary).collect();
        nodes.sort_by(|a, b| (&a.hostname, &a.id).cmp(&(&b.hostname, &b.id)));
        Ok(nodes)
    }

    /// This engine's Swarm state and node id, from `docker info`.
    pub async fn swarm_membership(&self) -> Result<SwarmMembership, EngineError> {
        let info = within(
            CALL_DEADLINE,
            &self.name,
            "describe",
            ObjectKind::Node,
            "self",
            async {
                self.docker
                    .info()
                    .await
                    .map_err(|e| classify(e, &self.name, "describe", ObjectKind::Node, "self"))
            },
        )
        .await?;
        let swarm = info.swarm.unwrap_or_default();
        Ok(SwarmMembership {
            state: swarm
                .local_node_state
                .map(|s| s.to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "inactive".to_owned()),
            node_id: swarm.node_id.filter(|id| !id.is_empty()),
            is_manager: swarm.control_available.unwrap_or(false),
            cluster_id: swarm.cluster.and_then(|c| c.id).filter(|id| !id.is_empty()),
            hostname: info.name.filter(|n| !n.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ManagerStatus, NodeStatus};

    #[test]
    fn a_manager_reporting_0_0_0_0_is_addressed_by_its_manager_address() {
        let node = Node {
            status: Some(NodeStatus {
                addr: Some("0.0.0.0".into()),
                ..Default::default()
            }),
            manager_status: Some(ManagerStatus {
                addr: Some("10.201.3.11:2377".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(address_of(&node).as_deref(), Some("10.201.3.11"));
        let worker = Node {
            status: Some(NodeStatus {
                addr: Some("10.201.3.12".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(address_of(&worker).as_deref(), Some("10.201.3.12"));
        assert_eq!(address_of(&Node::default()), None);
    }
}
