//! `waybill examine TARGET`: one container's (or image's) full report,
//! printed by the same renderer as `container --examine`, after the
//! engine's facts about it and the source the report came from.
//!
//! TARGET is a container name, a container id prefix, an image, or a
//! Swarm service (`cmd/examine_service.rs`), looked for in that order, so
//! a container wins over an image or service of the same name; an id
//! prefix shared by several containers is refused with the list. Only
//! arguments, target
//! resolution and printing live here; describing is
//! [`crate::host::fleet`].

use crate::exit;
use crate::host::endpoint::{self, Endpoint, EndpointArgs};
use crate::host::engine::{ContainerSummary, Engine, EngineError, Listing};
use crate::host::env::Env;
use crate::host::fleet::{connect_all, discover_one, stack_from_label, EngineTarget, Source};
use crate::host::HostError;
use crate::record::stack_label::STACK_LABEL;
use crate::report::{self, Report};
use crate::safe_text::escape;
use clap::Args;
use std::fmt::Write;

#[derive(Debug, Args)]
pub struct ExamineArgs {
    /// A container (name or id prefix), running or stopped, an image, or a
    /// Swarm service (looked for in that order).
    pub target: String,
    /// Also fetch runtime state (starts, last actions) from the container.
    #[arg(long)]
    pub state: bool,
    /// Print the report as JSON: the schema of `container --examine --json`.
    #[arg(long)]
    pub json: bool,
    /// Which engines to look in (default: as the docker CLI chooses one).
    /// With several, TARGET may be written `ENGINE/NAME`.
    #[command(flatten)]
    pub engines: EndpointArgs,
}

/// The engine's facts shown above the report.
struct Facts {
    lines: Vec<(&'static str, String)>,
}

pub async fn run(mut args: ExamineArgs, env: &Env) -> Result<u8, HostError> {
    let endpoints = endpoint::resolve(&args.engines, env)?;
    let endpoints = match engine_prefix(&args.target, &endpoints) {
        Some((named, rest)) => {
            let named = named.clone();
            args.target = rest.to_owned();
            vec![named]
        }
        None => endpoints,
    };
    let (targets, unreached) = connect_all(&endpoints).await;
    if let Some(first) = unreached.into_iter().next() {
        // Looking on fewer engines than asked could pick the wrong one.
        return Err(first.error.into());
    }
    let (target, container) = find_container(&targets, &args.target).await?;
    let (facts, source, report) = match container {
        Some(container) => {
            let (details, outcome) = discover_one(target, &container.id, args.state).await?;
            let found = outcome.map_err(|source| HostError::Examine {
                target: args.target.clone(),
                source: Box::new(source),
            })?;
            let mut lines = vec![
                ("Engine", target.name.clone()),
                ("Container", details.name.clone()),
                ("Container Id", details.id.clone()),
                ("Image", details.image.clone()),
                ("Image Id", details.image_id.clone()),
                ("State", details.state.to_string()),
                (
                    "Health",
                    details
                        .health
                        .clone()
                        .unwrap_or_else(|| "no health check".into()),
                ),
            ];
            if let Some(created) = &details.created {
                lines.push(("Created", created.clone()));
            }
            if let Some(started) = &details.started_at {
                lines.push(("Started", started.clone()));
            }
            (Facts { lines }, found.source, found.report)
        }
        None => {
            let image = match target.engine.inspect_image(&args.target).await {
                Ok(image) => image,
                Err(EngineError::NotFound { .. }) => {
                    // Neither a container nor an image: a Swarm service?
                    let settings = endpoint::swarm_settings(&args.engines, env)?;
                    let service =
                        super::examine_service::run(&args.target, args.json, &settings, &targets);
                    if let Some(code) = service.await? {
                        return Ok(code);
                    }
                    return Err(HostError::NoSuchTarget {
                        target: args.target.clone(),
                    });
                }
                Err(e) => return Err(e.into()),
            };
            let label =
                image
                    .labels
                    .get(STACK_LABEL)
                    .ok_or_else(|| HostError::ImageUnlabelled {
                        image: args.target.clone(),
                    })?;
            let stack =
                stack_from_label(label, &args.target).map_err(|source| HostError::Examine {
                    target: args.target.clone(),
                    source: Box::new(source),
                })?;
            let lines = vec![
                ("Engine", target.name.clone()),
                ("Image", args.target.clone()),
                ("Image Id", image.id.clone()),
            ];
            (
                Facts { lines },
                Source::Labels,
                Report::from_stack(&stack, Default::default(), Vec::new()),
            )
        }
    };
    if args.json {
        let mut text = serde_json::to_string_pretty(&report)
            .map_err(|e| HostError::Stdout(std::io::Error::other(e)))?;
        text.push('\n');
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
    } else {
        let mut text = String::new();
        for (label, value) in &facts.lines {
            let _ = writeln!(text, "{label:>24}: {}", escape(value));
        }
        let _ = writeln!(text, "{:>24}: {source}\n", "Source");
        text.push_str(&report::render(&report));
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
        for warning in &report.warnings {
            crate::host::warn(warning);
        }
        for problem in &report.problems {
            crate::output::stderr_line(format_args!(
                "waybill: error: {}: {}",
                escape(&problem.path),
                escape(&problem.error)
            ));
        }
    }
    Ok(if report.problems.is_empty() {
        exit::OK
    } else {
        exit::DATAERR
    })
}

/// `ENGINE/NAME` when ENGINE is one of the endpoints' names: that
/// endpoint and NAME. Engine names may hold `/` (a `--host` URL), so the
/// split is at the last one.
fn engine_prefix<'a>(
    target: &'a str,
    endpoints: &'a [Endpoint],
) -> Option<(&'a Endpoint, &'a str)> {
    let (engine, name) = target.rsplit_once('/')?;
    let endpoint = endpoints.iter().find(|e| e.name == engine)?;
    (!name.is_empty()).then_some((endpoint, name))
}

/// The engine and container TARGET names, looking on every engine: one
/// match is the answer; matches on several engines are refused with the
/// list (`ENGINE/NAME` picks one). With no container match, the first
/// engine is returned to look for an image there.
async fn find_container<'a>(
    targets: &'a [EngineTarget],
    target: &str,
) -> Result<(&'a EngineTarget, Option<ContainerSummary>), HostError> {
    let mut found = Vec::new();
    for engine in targets {
        if let Some(container) = pick_container(&engine.engine, target).await? {
            found.push((engine, container));
        }
    }
    if found.len() > 1 {
        return Err(HostError::AmbiguousTarget {
            target: target.to_owned(),
            matches: found
                .iter()
                .map(|(e, c)| format!("{}/{}", e.name, c.name))
                .collect(),
        });
    }
    match found.pop() {
        Some((engine, container)) => Ok((engine, Some(container))),
        None => targets
            .first()
            .map(|first| (first, None))
            .ok_or_else(|| HostError::NoSuchTarget {
                target: target.to_owned(),
            }),
    }
}

/// The container TARGET names: an exact name or id first, else the one
/// container whose id starts with it; None when no container matches.
async fn pick_container(
    engine: &Engine,
    target: &str,
) -> Result<Option<ContainerSummary>, HostError> {
    let list = engine.list_containers(Listing::All).await?;
    let name = target.strip_prefix('/').unwrap_or(target);
    if let Some(exact) = list.iter().find(|c| c.name == name || c.id == target) {
        return Ok(Some(exact.clone()));
    }
    let prefixed: Vec<&ContainerSummary> = list
        .iter()
        .filter(|c| !target.is_empty() && c.id.starts_with(target))
        .collect();
    match prefixed.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some((*one).clone())),
        several => Err(HostError::AmbiguousTarget {
            target: target.to_owned(),
            matches: several
                .iter()
                .map(|c| format!("{} ({})", c.name, c.id.get(..12).unwrap_or(&c.id)))
                .collect(),
        }),
    }
}
