//! The records of a service whose image the manager does not have.
//!
//! A service's records come from the manager's copy of its image
//! ([`super::services`]). A manager may lack the image (a service pinned
//! to workers, `--no-resolve-image`, an image loaded only where it runs):
//! then the records are read on a node that runs a task of it, from the
//! image there or, failing that, from the task container's own labels
//! (which carry the image's labels), and the service says where they
//! came from ([`super::ServiceView::records_from`]). Only a manager's
//! "no such image" falls back; a bad label stays an error.

use super::discover::stack_from_label;
use super::error::DiscoveryError;
use super::nodes::reach_nodes;
use super::services::{SwarmView, SwarmsFound};
use super::target::EngineTarget;
use crate::host::endpoint::SwarmSettings;
use crate::host::engine::{Engine, EngineError};
use crate::record::stack_label::STACK_LABEL;
use crate::report::{Report, Runtime};
use std::collections::BTreeMap;

/// For every service of `found` whose manager lacks its image, the
/// records as a node running one of its tasks has them (nodes reached
/// by the rules of [`super::nodes`] among `given`), noted in
/// `records_from`; a service no node could help keeps its error.
pub async fn records_from_nodes(
    found: &mut SwarmsFound,
    settings: &SwarmSettings,
    given: &[EngineTarget],
) {
    for swarm in &mut found.swarms {
        if !swarm
            .services
            .iter()
            .any(|v| manager_lacks_image(&v.records))
        {
            continue;
        }
        let Some(manager) = given.iter().find(|t| t.name == swarm.manager) else {
            continue;
        };
        fill_swarm(swarm, &manager.engine, settings, given).await;
    }
}

/// Whether the error is the manager's "no such image".
fn manager_lacks_image(records: &Result<Report, DiscoveryError>) -> bool {
    matches!(
        records,
        Err(DiscoveryError::ServiceImage { source, .. })
            if matches!(**source, DiscoveryError::Engine(EngineError::NotFound { .. }))
    )
}

async fn fill_swarm(
    swarm: &mut SwarmView,
    manager: &Engine,
    settings: &SwarmSettings,
    given: &[EngineTarget],
) {
    // (service index, running tasks' (node id, container id)).
    let mut wanted: Vec<(usize, Vec<(String, String)>)> = Vec::new();
    for (index, view) in swarm.services.iter().enumerate() {
        if !manager_lacks_image(&view.records) {
            continue;
        }
        // A listing without tasks asks the manager for this service's.
        let tasks = if view.tasks.is_empty() {
            manager
                .list_tasks(Some(&view.service.id))
                .await
                .unwrap_or_default()
        } else {
            view.tasks.clone()
        };
        let running: Vec<(String, String)> = tasks
            .into_iter()
            .filter(|t| t.is_running())
            .filter_map(|t| Some((t.node_id?, t.container_id?)))
            .collect();
        wanted.push((index, running));
    }
    let mut node_ids: Vec<String> = wanted
        .iter()
        .flat_map(|(_, tasks)| tasks.iter().map(|(node, _)| node.clone()))
        .collect();
    node_ids.sort();
    node_ids.dedup();
    if node_ids.is_empty() {
        return;
    }
    let engines = reach_nodes(&swarm.nodes, &node_ids, settings, given).await;
    for (index, tasks) in wanted {
        let image = swarm.services[index].service.image.clone();
        // The first node that has the records, in task order.
        for (node_id, container) in &tasks {
            let Some(reach) = engines.get(node_id) else {
                continue;
            };
            let Ok(target) = &reach.outcome else {
                continue;
            };
            let Some((report, from)) = read_on_node(&target.engine, &image, container).await else {
                continue;
            };
            let view = &mut swarm.services[index];
            view.records = Ok(report);
            view.records_from = Some(format!(
                "{from} on node {} (engine {}): the manager `{}` lacks the image",
                reach.hostname, target.name, swarm.manager
            ));
            break;
        }
    }
}

/// The records on one node: its copy of the image, else the container's
/// labels; with which of the two it was.
async fn read_on_node(
    engine: &Engine,
    image: &str,
    container: &str,
) -> Option<(Report, &'static str)> {
    let from_image = match engine.inspect_image(image).await {
        Err(EngineError::NotFound { .. }) if image.contains('@') => {
            let name = image.split('@').next().unwrap_or(image);
            engine.inspect_image(name).await
        }
        other => other,
    };
    if let Ok(details) = from_image {
        if let Some(report) = report_of(&details.labels, image) {
            return Some((report, "the image"));
        }
    }
    let details = engine.inspect_container(container).await.ok()?;
    report_of(&details.labels, image).map(|r| (r, "the task container's labels"))
}

fn report_of(labels: &BTreeMap<String, String>, image: &str) -> Option<Report> {
    let stack = stack_from_label(labels.get(STACK_LABEL)?, image).ok()?;
    Some(Report::from_stack(&stack, Runtime::default(), Vec::new()))
}
