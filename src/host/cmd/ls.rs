//! `waybill ls`: every container (or image) that carries waybill records,
//! as a table fitted to the terminal or as JSON (schema in docs/ls.md).
//!
//! Only arguments and output live here: discovery is
//! [`crate::host::fleet`], filters are [`crate::host::fleet::select`].
//! Every text that comes from a container, an image or a record passes
//! through [`crate::safe_text`] before it reaches the terminal.

use super::record_facts::{warnings_of, RecordFacts};
use super::select_args::SelectArgs;
use crate::exit;
use crate::host::age::age;
use crate::host::endpoint::{self, EndpointArgs};
use crate::host::engine::Listing;
use crate::host::env::Env;
use crate::host::fleet::select::{Candidate, Selector};
use crate::host::fleet::{self, connect_all, stack_from_label, EngineTarget, Options, Source};
use crate::host::HostError;
use crate::record::stack_label::STACK_LABEL;
use crate::report::{ActionResult, Report};
use crate::safe_text::escape;
use clap::Args;
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;
use std::collections::BTreeMap;

/// Bumped when the JSON shape changes incompatibly (docs/ls.md).
pub const LS_VERSION: u32 = 1;

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Stopped containers too.
    #[arg(long, short = 'a')]
    pub all: bool,
    /// List images instead of containers (from their labels).
    #[arg(long, conflicts_with_all = ["all", "state"])]
    pub images: bool,
    /// Also fetch runtime state: the last UPDATE and VALIDATE.
    #[arg(long)]
    pub state: bool,
    /// Print JSON (schema in docs/ls.md) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// List Swarm services (from the managers among the engines) instead
    /// of containers; see docs/swarm.md.
    #[arg(long, conflicts_with_all = ["images", "state"])]
    pub services: bool,
    /// With --services: each task's node, state and container (with
    /// --all, the tasks' history too).
    #[arg(long, short = 't', requires = "services")]
    pub tasks: bool,
    /// Which engines to ask (default: as the docker CLI chooses one).
    #[command(flatten)]
    pub engines: EndpointArgs,
}

/// One output row; its JSON form is the documented schema.
#[derive(Debug, Default, Serialize)]
struct Row {
    engine: String,
    /// None in an image listing.
    container: Option<String>,
    id: String,
    image: String,
    image_id: String,
    state: Option<String>,
    health: Option<String>,
    source: Option<Source>,
    /// project, gitref, git_branch, source_url, build_time, actions.
    #[serde(flatten)]
    facts: RecordFacts,
    /// With --state: the latest result of each action that has run.
    #[serde(skip_serializing_if = "Option::is_none")]
    last: Option<BTreeMap<String, ActionResult>>,
    warnings: Vec<String>,
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct EngineErrorRow {
    engine: String,
    error: String,
}

#[derive(Serialize)]
struct LsOutput {
    ls_version: u32,
    rows: Vec<Row>,
    engine_errors: Vec<EngineErrorRow>,
}

pub async fn run(args: LsArgs, env: &Env) -> Result<u8, HostError> {
    let endpoints = endpoint::resolve(&args.engines, env)?;
    let (targets, unreached) = connect_all(&endpoints).await;
    let selector = args.select.selector();
    if args.services {
        let listing = super::ls_services::ServiceListing {
            tasks: args.tasks,
            all: args.all,
            json: args.json,
        };
        let settings = endpoint::swarm_settings(&args.engines, env)?;
        return super::ls_services::run(listing, &selector, &settings, &targets, unreached).await;
    }

    let (rows, mut engine_errors) = if args.images {
        image_rows(&targets, &selector).await
    } else {
        container_rows(&targets, &selector, &args).await
    };
    // Engines that could not be reached come first, in the order given.
    engine_errors.splice(
        0..0,
        unreached.into_iter().map(|u| EngineErrorRow {
            engine: u.name,
            error: u.error.to_string(),
        }),
    );
    let listing = LsOutput {
        ls_version: LS_VERSION,
        rows,
        engine_errors,
    };
    if args.json {
        let mut text = serde_json::to_string_pretty(&listing)
            .map_err(|e| HostError::Stdout(std::io::Error::other(e)))?;
        text.push('\n');
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
    } else if !listing.rows.is_empty() {
        let text = table(&listing.rows, args.state, args.images);
        crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)?;
    }
    for e in &listing.engine_errors {
        // Every engine error names its engine itself.
        crate::output::stderr_line(format_args!("waybill: error: {}", escape(&e.error)));
    }
    if !args.json {
        for row in &listing.rows {
            if let Some(error) = &row.error {
                crate::output::stderr_line(format_args!(
                    "waybill: {}/{}: {}",
                    escape(&row.engine),
                    escape(row.container.as_deref().unwrap_or(&row.image)),
                    escape(error)
                ));
            }
        }
    }
    if !args.json && listing.rows.is_empty() && !selector.is_filtering() && !targets.is_empty() {
        crate::output::stderr_line(format_args!(
            "waybill: {}",
            nothing_found(&args, targets.len())
        ));
    }
    if !listing.engine_errors.is_empty() {
        return Ok(exit::UNAVAILABLE);
    }
    if listing.rows.is_empty() && selector.is_filtering() {
        let what = if args.images { "image" } else { "container" };
        crate::output::stderr_line(format_args!(
            "waybill: no {what} matches the given names and filters{}",
            if args.all || args.images {
                ""
            } else {
                " (stopped ones are listed with --all)"
            }
        ));
        return Ok(exit::NOINPUT);
    }
    Ok(exit::OK)
}

/// What an unfiltered listing that found nothing on the engines it
/// reached says on stderr, so an empty table is not mistaken for a hang
/// or a failure (stdout stays empty; `--json` prints its empty `rows`).
fn nothing_found(args: &LsArgs, engines: usize) -> String {
    let on = if engines == 1 {
        "the engine".to_owned()
    } else {
        format!("the {engines} engines")
    };
    if args.images {
        format!("no image on {on} carries waybill records")
    } else if args.all {
        format!("no containers on {on}")
    } else {
        format!("no running containers on {on} (stopped ones are listed with --all)")
    }
}

async fn container_rows(
    targets: &[EngineTarget],
    selector: &Selector,
    args: &LsArgs,
) -> (Vec<Row>, Vec<EngineErrorRow>) {
    let options = Options {
        listing: if args.all {
            Listing::All
        } else {
            Listing::Running
        },
        state: args.state,
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for answer in fleet::discover(targets, options, selector).await {
        let found = match answer.outcome {
            Ok(found) => found,
            Err(e) => {
                errors.push(EngineErrorRow {
                    engine: answer.engine,
                    error: e.to_string(),
                });
                continue;
            }
        };
        for d in found {
            let report = d.outcome.as_ref().ok().map(|f| &f.report);
            let candidate = Candidate {
                name: &d.summary.name,
                id: &d.summary.id,
                labels: &d.summary.labels,
                record: report.and_then(|r| r.images.last()).map(|i| &i.record),
            };
            if !selector.matches(&candidate) {
                continue;
            }
            let mut row = Row {
                engine: d.engine.clone(),
                container: Some(d.summary.name.clone()),
                id: d.summary.id.clone(),
                image: d.summary.image.clone(),
                image_id: d.summary.image_id.clone(),
                state: Some(d.summary.state.to_string()),
                health: d.summary.health.clone(),
                ..Row::default()
            };
            match &d.outcome {
                Ok(found) => {
                    row.source = Some(found.source);
                    fill_from_report(&mut row, &found.report, args.state);
                }
                Err(e) => row.error = Some(e.to_string()),
            }
            rows.push(row);
        }
    }
    (rows, errors)
}

async fn image_rows(
    targets: &[EngineTarget],
    selector: &Selector,
) -> (Vec<Row>, Vec<EngineErrorRow>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for target in targets {
        let images = match target.engine.list_images().await {
            Ok(images) => images,
            Err(e) => {
                errors.push(EngineErrorRow {
                    engine: target.name.clone(),
                    error: e.to_string(),
                });
                continue;
            }
        };
        for image in images {
            let Some(label) = image.labels.get(STACK_LABEL) else {
                continue;
            };
            let name = image
                .tags
                .first()
                .cloned()
                .unwrap_or_else(|| image.id.clone());
            let described = stack_from_label(label, &name)
                .map(|stack| Report::from_stack(&stack, Default::default(), Vec::new()));
            let candidate = Candidate {
                name: &name,
                id: image.id.strip_prefix("sha256:").unwrap_or(&image.id),
                labels: &image.labels,
                record: described
                    .as_ref()
                    .ok()
                    .and_then(|r| r.images.last())
                    .map(|i| &i.record),
            };
            if !selector.matches(&candidate) {
                continue;
            }
            let mut row = Row {
                engine: target.name.clone(),
                container: None,
                id: image.id.clone(),
                image: name.clone(),
                image_id: image.id.clone(),
                source: Some(Source::Labels),
                ..Row::default()
            };
            match &described {
                Ok(report) => fill_from_report(&mut row, report, false),
                Err(e) => {
                    row.source = None;
                    row.error = Some(e.to_string());
                }
            }
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| (&a.engine, &a.image).cmp(&(&b.engine, &b.image)));
    (rows, errors)
}

/// The facts of the container's own image (the newest record).
fn fill_from_report(row: &mut Row, report: &Report, state: bool) {
    row.facts = RecordFacts::of(report);
    if state {
        row.last = Some(report.runtime.last.clone());
    }
    row.warnings = warnings_of(report);
}

fn table(rows: &[Row], state: bool, images: bool) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let mut header = vec!["ENGINE"];
    if !images {
        header.push("CONTAINER");
    }
    header.extend(["IMAGE", "PROJECT", "REF", "BRANCH", "BUILT", "ACTIONS"]);
    if !images {
        header.push("HEALTH");
    }
    header.push("SOURCE");
    if state {
        header.extend(["LAST UPDATE", "LAST VALIDATE"]);
    }
    table.set_header(header);
    let text = |s: Option<&str>| escape(s.unwrap_or("-")).into_owned();
    for row in rows {
        let mut cells = vec![text(Some(&row.engine))];
        if !images {
            cells.push(text(row.container.as_deref()));
        }
        cells.push(text(Some(&row.image)));
        if let Some(error) = &row.error {
            cells.push(format!("error: {}", escape(error)));
        } else {
            cells.push(text(row.facts.project.as_deref()));
        }
        cells.push(text(row.facts.gitref.as_deref().map(short_ref)));
        cells.push(text(row.facts.git_branch.as_deref()));
        cells.push(row.facts.build_time.map_or("-".into(), |t| age(now - t)));
        cells.push(if row.facts.actions.is_empty() {
            "-".into()
        } else {
            row.facts.actions.join(",")
        });
        if !images {
            let health = row
                .health
                .clone()
                .or_else(|| row.state.clone().filter(|s| s != "running"));
            cells.push(text(health.as_deref()));
        }
        cells.push(row.source.map_or("error".into(), |s| s.to_string()));
        if state {
            for action in ["update", "validate"] {
                let last = row.last.as_ref().and_then(|l| l.get(action));
                cells.push(last.map_or("-".into(), |r| {
                    format!("{} {} ago", r.outcome.as_str(), age(now - r.at))
                }));
            }
        }
        table.add_row(cells);
    }
    let mut out = table.to_string();
    out.push('\n');
    out
}

/// The first 12 characters of a commit, as `docker` shortens ids.
fn short_ref(gitref: &str) -> &str {
    gitref.get(..12).unwrap_or(gitref)
}
