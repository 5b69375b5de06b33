//! `waybill examine SERVICE`: a Swarm service's facts, its image's full
//! report (records from the image's `io.waybill.stack` label, printed by
//! the shared renderer), and its current tasks with the engine of each
//! task's node.
//!
//! `cmd/examine.rs` comes here when TARGET is neither a container nor an
//! image; finding the service is [`crate::host::fleet::find_services`],
//! the node engines [`crate::host::fleet::resolve_tasks`].

use crate::exit;
use crate::host::endpoint::SwarmSettings;
use crate::host::fleet::select::Selector;
use crate::host::fleet::{
    find_services, records_from_nodes, resolve_tasks, DiscoveryError, EngineTarget, Source,
    SwarmView, TaskListing, TaskOutcome,
};
use crate::host::HostError;
use crate::report;
use crate::safe_text::escape;
use std::fmt::Write;

/// Examines the service named `name` (exact name or id prefix) if one of
/// the Swarms that `targets` manage has it; None when none does.
pub async fn run(
    name: &str,
    json: bool,
    settings: &SwarmSettings,
    targets: &[EngineTarget],
) -> Result<Option<u8>, HostError> {
    // A glob is not a service name here: examine names one thing.
    if name.contains(['*', '?']) {
        return Ok(None);
    }
    let mut found = find_services(
        targets,
        &Selector::new(vec![name.to_owned()]),
        TaskListing::Current,
    )
    .await;
    records_from_nodes(&mut found, settings, targets).await;
    // (swarm, service) indices of the matches; an exact name wins over
    // id prefixes.
    let mut matches: Vec<(usize, usize)> = Vec::new();
    for (si, swarm) in found.swarms.iter().enumerate() {
        matches.extend((0..swarm.services.len()).map(|i| (si, i)));
    }
    let named = |&(si, i): &(usize, usize)| found.swarms[si].services[i].service.name == name;
    if matches.iter().any(named) {
        matches.retain(named);
    }
    let (si, index) = match matches.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        several => {
            return Err(HostError::AmbiguousTarget {
                target: name.to_owned(),
                matches: several
                    .iter()
                    .map(|&(si, i)| {
                        let swarm = &found.swarms[si];
                        format!(
                            "service {}/{}",
                            swarm.manager, swarm.services[i].service.name
                        )
                    })
                    .collect(),
            })
        }
    };
    let swarm = &mut found.swarms[si];
    // Taken out (the listing is not shown), so the error keeps its type.
    let records = std::mem::replace(
        &mut swarm.services[index].records,
        Err(DiscoveryError::NoLabel),
    );
    let report = records.map_err(|source| HostError::Examine {
        target: name.to_owned(),
        source: Box::new(source),
    })?;
    let swarm: &SwarmView = swarm;
    let view = &swarm.services[index];
    if json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(|e| HostError::Stdout(std::io::Error::other(e)))?;
        text.push('\n');
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
    } else {
        let s = &view.service;
        let replicas = match (s.running_tasks, s.desired_tasks) {
            (Some(r), Some(d)) => format!("{r}/{d}"),
            _ => "-".to_owned(),
        };
        let mut text = String::new();
        let mut fact = |label: &str, value: &str| {
            let _ = writeln!(text, "{label:>24}: {}", escape(value));
        };
        fact("Engine", &swarm.manager);
        fact("Service", &s.name);
        fact("Service Id", &s.id);
        fact("Image", &s.image);
        fact("Mode", &s.mode.to_string());
        fact("Replicas", &replicas);
        if let Some(state) = &s.update_state {
            fact("Update State", state);
        }
        fact("Source", Source::Labels.as_str());
        if let Some(from) = &view.records_from {
            fact("Records From", from);
        }
        text.push('\n');
        text.push_str(&report::render(&report));
        let _ = writeln!(text, "\nTasks:");
        for task in resolve_tasks(swarm, settings, targets).await {
            if task.service != s.name {
                continue;
            }
            let t = &task.task;
            let name = match t.slot {
                Some(slot) if slot > 0 => format!("{}.{slot}", s.name),
                _ => format!("{}.{}", s.name, t.node_id.as_deref().unwrap_or(&t.id)),
            };
            let how = match &task.outcome {
                TaskOutcome::Runnable { engine, route, .. } => {
                    format!("engine {} (by {route})", engine.name)
                }
                TaskOutcome::NotRunning { reason } | TaskOutcome::NodeError { reason } => {
                    reason.clone()
                }
            };
            let container = t
                .container_id
                .as_deref()
                .map_or("-", |c| c.get(..12).unwrap_or(c));
            let _ = writeln!(
                text,
                "  {} on {}: {} (desired {}), container {}, {}",
                escape(&name),
                escape(task.node.as_deref().unwrap_or("-")),
                escape(&t.state),
                escape(&t.desired_state),
                escape(container),
                escape(&how)
            );
        }
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
        for warning in &report.warnings {
            crate::host::warn(warning);
        }
    }
    Ok(Some(if report.problems.is_empty() {
        exit::OK
    } else {
        exit::DATAERR
    }))
}
