//! Node → engine: which engine runs the containers of a Swarm node.
//!
//! A manager knows every task and its node, but a task's container can
//! only be reached through its node's own engine; Swarm has no
//! cross-node exec. Each node is mapped by the first rule that names an
//! engine for it (docs/swarm.md):
//!
//! 1. an `[[engine]]` of the hosts file with `swarm_node` equal to the
//!    node's id or hostname;
//! 2. the hosts file's `[swarm] node_host` template, filled with the
//!    node's advertised address (or hostname);
//! 3. an engine the command was given (`-H`, `--context`, the hosts
//!    file) whose `docker info` reports the node's id.
//!
//! Whichever rule names it, the engine must report the node's id itself
//! before anything is run there: a template or mapping that points at the
//! wrong machine is an error naming both nodes, never an exec in the
//! wrong place. A node that cannot be reached is an error naming the node
//! and the endpoint tried; the other nodes go on. Nothing here starts a
//! container on a node or mounts a socket anywhere: an engine is reached
//! only over its own API.

use super::target::EngineTarget;
use crate::host::endpoint::{Endpoint, EndpointError, SwarmSettings};
use crate::host::engine::{Engine, EngineError, NodeSummary, SwarmMembership};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Which rule mapped a node to its engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// `swarm_node` in a hosts-file `[[engine]]`.
    HostsFile,
    /// The hosts file's `[swarm] node_host` template.
    Template,
    /// An engine given to the command that reports the node's id.
    NodeId,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::HostsFile => "hosts file",
            Route::Template => "node_host template",
            Route::NodeId => "node id",
        })
    }
}

/// Why a node's engine cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(
        "no engine known for node `{hostname}` ({node_id}): no hosts-file `swarm_node` names \
         it, no `[swarm] node_host` template is set, and no engine given reports its node id"
    )]
    NoRoute { node_id: String, hostname: String },

    #[error(
        "node `{hostname}` ({node_id}) advertises no address to fill the `node_host` template"
    )]
    NoAddress { node_id: String, hostname: String },

    #[error("node `{hostname}`: the `node_host` template gives no usable address: {source}")]
    BadTemplate {
        hostname: String,
        source: EndpointError,
    },

    #[error(
        "node `{hostname}` is unreachable through {endpoint} (from the {route}): {}",
        short_reason(source)
    )]
    Unreachable {
        hostname: String,
        endpoint: String,
        route: Route,
        source: EngineError,
    },

    #[error(
        "node `{hostname}` ({node_id}): {endpoint} (from the {route}) is the engine of {found}, \
         not of this node; nothing is run there"
    )]
    WrongNode {
        node_id: String,
        hostname: String,
        endpoint: String,
        route: Route,
        found: String,
    },
}

/// What went wrong, without the engine's name and address that the
/// message has already given.
fn short_reason(error: &EngineError) -> String {
    match error {
        EngineError::EngineUnreachable { reason, .. } => reason.clone(),
        EngineError::TlsRefused { reason, .. } => format!("TLS refused: {reason}"),
        EngineError::TlsUnsupported { reason, .. } => format!("unusable TLS settings: {reason}"),
        EngineError::VersionRejected { reason, .. } => {
            format!("the API version was rejected: {reason}")
        }
        EngineError::SshFailed { reason, .. } => format!("ssh failed: {reason}"),
        other => other.to_string(),
    }
}

/// The engine of one node, or why there is none.
pub struct NodeEngine {
    pub node_id: String,
    pub hostname: String,
    /// The rule that named the engine; None when none did.
    pub route: Option<Route>,
    /// The endpoint tried, as `NAME (URL)`; None when none was.
    pub endpoint: Option<String>,
    pub outcome: Result<EngineTarget, NodeError>,
}

/// The engines of the nodes `wanted` (node ids) of a Swarm whose nodes
/// are `nodes`, connected and checked concurrently, by node id.
pub async fn reach_nodes(
    nodes: &[NodeSummary],
    wanted: &[String],
    settings: &SwarmSettings,
    given: &[EngineTarget],
) -> BTreeMap<String, NodeEngine> {
    // Rule 3 needs each given engine's node id; asked once, all at once.
    let memberships: Vec<Option<SwarmMembership>> = futures_util::future::join_all(
        given
            .iter()
            .map(|t| async move { t.engine.swarm_membership().await.ok() }),
    )
    .await;
    let reached = futures_util::future::join_all(wanted.iter().map(|id| {
        let node = nodes.iter().find(|n| &n.id == id);
        reach_one(id, node, settings, given, &memberships)
    }))
    .await;
    reached
        .into_iter()
        .map(|n| (n.node_id.clone(), n))
        .collect()
}

async fn reach_one(
    node_id: &str,
    node: Option<&NodeSummary>,
    settings: &SwarmSettings,
    given: &[EngineTarget],
    memberships: &[Option<SwarmMembership>],
) -> NodeEngine {
    let hostname = node.map_or_else(|| node_id.to_owned(), |n| n.hostname.clone());
    let mut reach = NodeEngine {
        node_id: node_id.to_owned(),
        hostname: hostname.clone(),
        route: None,
        endpoint: None,
        outcome: Err(NodeError::NoRoute {
            node_id: node_id.to_owned(),
            hostname: hostname.clone(),
        }),
    };
    let mapped = settings
        .nodes
        .iter()
        .find(|(key, _)| key == node_id || (!hostname.is_empty() && key == &hostname));
    let endpoint = if let Some((_, endpoint)) = mapped {
        Some((Route::HostsFile, endpoint.clone()))
    } else if let Some(template) = &settings.template {
        let addr = node.and_then(|n| n.addr.as_deref());
        let filled = match addr {
            Some(addr) => template
                .endpoint(&hostname, addr, &hostname)
                .map_err(|source| NodeError::BadTemplate {
                    hostname: hostname.clone(),
                    source,
                }),
            // `{hostname}` alone needs no address.
            None if !template.host.contains("{addr}") => template
                .endpoint(&hostname, "", &hostname)
                .map_err(|source| NodeError::BadTemplate {
                    hostname: hostname.clone(),
                    source,
                }),
            None => Err(NodeError::NoAddress {
                node_id: node_id.to_owned(),
                hostname: hostname.clone(),
            }),
        };
        match filled {
            Ok(endpoint) => Some((Route::Template, endpoint)),
            Err(e) => {
                reach.route = Some(Route::Template);
                reach.outcome = Err(e);
                return reach;
            }
        }
    } else {
        None
    };
    if let Some((route, endpoint)) = endpoint {
        reach.route = Some(route);
        reach.endpoint = Some(format!("engine `{}` ({})", endpoint.name, endpoint.url));
        reach.outcome = connect_checked(&endpoint, route, node_id, &hostname, given).await;
        return reach;
    }
    let same = given.iter().zip(memberships).find(|(_, m)| {
        m.as_ref()
            .and_then(|m| m.node_id.as_deref())
            .is_some_and(|id| id == node_id)
    });
    if let Some((target, _)) = same {
        reach.route = Some(Route::NodeId);
        reach.endpoint = Some(format!(
            "engine `{}` ({})",
            target.name,
            target.engine.url()
        ));
        reach.outcome = Ok(EngineTarget {
            name: target.name.clone(),
            engine: target.engine.clone(),
        });
    }
    reach
}

/// Connects to `endpoint` (or reuses the given engine of that name and
/// address) and checks that it is the engine of node `node_id`.
async fn connect_checked(
    endpoint: &Endpoint,
    route: Route,
    node_id: &str,
    hostname: &str,
    given: &[EngineTarget],
) -> Result<EngineTarget, NodeError> {
    let shown = format!("engine `{}` ({})", endpoint.name, endpoint.url);
    let unreachable = |source| NodeError::Unreachable {
        hostname: hostname.to_owned(),
        endpoint: shown.clone(),
        route,
        source,
    };
    let reused = given
        .iter()
        .find(|t| t.name == endpoint.name && t.engine.url() == endpoint.url);
    let engine = match reused {
        Some(target) => target.engine.clone(),
        None => Engine::connect(endpoint).await.map_err(unreachable)?,
    };
    let membership = engine.swarm_membership().await.map_err(unreachable)?;
    match membership.node_id.as_deref() {
        Some(id) if id == node_id => Ok(EngineTarget {
            name: endpoint.name.clone(),
            engine,
        }),
        other => Err(NodeError::WrongNode {
            node_id: node_id.to_owned(),
            hostname: hostname.to_owned(),
            endpoint: shown,
            route,
            found: other.map_or_else(|| "no Swarm node".to_owned(), |id| format!("node {id}")),
        }),
    }
}
