//! Describing containers, cheapest source first:
//!
//! 1. the `io.waybill.stack` label (containers inherit their image's
//!    labels): the engine's one container listing, nothing per container,
//!    and it works for stopped containers;
//! 2. no label, running: one exec of `container --metadata --json --all`
//!    (or `container examine --json` when runtime state is asked for);
//! 3. no label, stopped, or the exec refused because the container is
//!    paused or has just stopped: the metadata directory read through
//!    the engine's archive endpoint.
//!
//! Every record, whichever the source, passes the same record reader as
//! a file. Runtime state (the state file) is fetched only when asked.
//! Engines are asked concurrently, and the containers of one engine a
//! few at a time. A listing says all that `ls` needs of a container
//! (name, image, labels, state, health), so `ls` inspects none; only
//! [`discover_one`] (`examine`) does, for the times only an inspect tells.

use super::error::DiscoveryError;
use super::select::Selector;
use super::source::Source;
use super::target::EngineTarget;
use crate::container::state::{State, MAX_STATE_BYTES};
use crate::host::engine::{
    ArchiveLimits, ContainerDetails, ContainerSummary, Engine, EngineError, ExecOutcome,
    ExecRequest, Listing, RunState,
};
use crate::record::stack_label::{self, STACK_LABEL};
use crate::record::{Record, MAX_RECORD_BYTES};
use crate::report::{Report, Runtime};
use crate::stack::{position_of, Entry, EntryError, Stack, DEFAULT_META_DIR};
use futures_util::stream::{self, StreamExt};
use std::time::Duration;

/// The largest `io.waybill.stack` label read: a stack is a handful of
/// records of a few kilobytes; one record may be up to 1 MiB.
pub const MAX_LABEL_BYTES: usize = MAX_RECORD_BYTES as usize;
/// The most output kept from one exec of the tool.
const MAX_EXEC_OUTPUT: usize = 16 * 1024 * 1024;
const EXEC_DEADLINE: Duration = Duration::from_secs(30);
/// Containers of one engine described at once.
const PER_ENGINE: usize = 8;
const STATE_DIR: &str = "/var/lib/waybill";

const METADATA_COMMAND: [&str; 4] = ["container", "--metadata", "--json", "--all"];
const EXAMINE_COMMAND: [&str; 3] = ["container", "examine", "--json"];

/// What to discover.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub listing: Listing,
    /// Fetch runtime state (last UPDATE/VALIDATE…) too.
    pub state: bool,
}

/// One container, as the engine listed it, and what came of describing
/// it.
#[derive(Debug)]
pub struct Discovered {
    pub engine: String,
    pub summary: ContainerSummary,
    pub outcome: Result<Found, DiscoveryError>,
}

/// A description and where it came from.
#[derive(Debug)]
pub struct Found {
    pub source: Source,
    pub report: Report,
}

/// One engine's answer: its containers, or why it could not be listed.
#[derive(Debug)]
pub struct EngineAnswer {
    pub engine: String,
    pub outcome: Result<Vec<Discovered>, EngineError>,
}

/// Every container of every engine whose name and labels `selector`
/// accepts ([`Selector::matches_listing`]), engines concurrently. Within
/// an engine the rows are sorted by container name. Filters on records
/// are the caller's to apply to the descriptions.
pub async fn discover(
    targets: &[EngineTarget],
    options: Options,
    selector: &Selector,
) -> Vec<EngineAnswer> {
    futures_util::future::join_all(targets.iter().map(|target| async move {
        EngineAnswer {
            engine: target.name.clone(),
            outcome: discover_engine(target, options, selector).await,
        }
    }))
    .await
}

async fn discover_engine(
    target: &EngineTarget,
    options: Options,
    selector: &Selector,
) -> Result<Vec<Discovered>, EngineError> {
    let mut list = target.engine.list_containers(options.listing).await?;
    list.retain(|c| selector.matches_listing(&c.name, &c.id, &c.labels));
    let mut rows: Vec<Discovered> = stream::iter(list)
        .map(|summary| async move {
            let outcome = describe(&target.engine, &summary, options.state).await;
            Discovered {
                engine: target.name.clone(),
                summary,
                outcome,
            }
        })
        .buffer_unordered(PER_ENGINE)
        .collect()
        .await;
    rows.sort_by(|a, b| a.summary.name.cmp(&b.summary.name));
    Ok(rows)
}

/// One container, named by name or id (prefix), on one engine.
pub async fn discover_one(
    target: &EngineTarget,
    container: &str,
    state: bool,
) -> Result<(ContainerDetails, Result<Found, DiscoveryError>), EngineError> {
    let details = target.engine.inspect_container(container).await?;
    let outcome = describe(&target.engine, &details, state).await;
    Ok((details, outcome))
}

/// The cheapest description of one listed (or inspected) container.
async fn describe(
    engine: &Engine,
    details: &ContainerSummary,
    state: bool,
) -> Result<Found, DiscoveryError> {
    if let Some(label) = details.labels.get(STACK_LABEL) {
        let stack = stack_from_label(label, &details.name)?;
        let mut warnings = Vec::new();
        let runtime = if state {
            runtime_of(engine, details).await.unwrap_or_else(|e| {
                warnings.push(format!("runtime state unavailable: {e}"));
                Runtime::default()
            })
        } else {
            Runtime::default()
        };
        return Ok(Found {
            source: Source::Labels,
            report: Report::from_stack(&stack, runtime, warnings),
        });
    }
    let mut warnings = Vec::new();
    if matches!(
        details.state,
        RunState::Running | RunState::Restarting | RunState::Paused
    ) {
        match by_exec(engine, &details.id, state).await {
            Err(DiscoveryError::NotRunning { reason }) => {
                // Paused, or stopped since it was listed: the files are
                // still there to read.
                warnings.push(format!(
                    "exec refused ({}); read the metadata directory instead",
                    reason.trim()
                ));
            }
            other => return other,
        }
    }
    let stack = stack_from_archive(engine, &details.id).await?;
    let runtime = if state {
        runtime_from_archive(engine, &details.id)
            .await
            .unwrap_or_else(|e| {
                warnings.push(format!("runtime state unavailable: {e}"));
                Runtime::default()
            })
    } else {
        Runtime::default()
    };
    Ok(Found {
        source: Source::Archive,
        report: Report::from_stack(&stack, runtime, warnings),
    })
}

/// The stack a label describes, every record through the record reader.
pub fn stack_from_label(label: &str, container: &str) -> Result<Stack, DiscoveryError> {
    if label.len() > MAX_LABEL_BYTES {
        return Err(DiscoveryError::LabelTooLarge {
            size: label.len(),
            limit: MAX_LABEL_BYTES,
        });
    }
    let records = stack_label::parse(label).map_err(DiscoveryError::BadLabel)?;
    Stack::from_records(format!("label {STACK_LABEL} of {container}"), records)
        .map_err(|_| DiscoveryError::EmptyLabel)
}

async fn run_tool(
    engine: &Engine,
    container: &str,
    command: &[&str],
) -> Result<Vec<u8>, DiscoveryError> {
    let request = ExecRequest {
        cmd: command.iter().map(|s| s.to_string()).collect(),
        deadline: EXEC_DEADLINE,
        max_output: MAX_EXEC_OUTPUT,
        env: Vec::new(),
    };
    let text = command.join(" ");
    match engine.exec(container, &request).await? {
        ExecOutcome::NotRunning { reason } => Err(DiscoveryError::NotRunning { reason }),
        ExecOutcome::NoSuchProgram { message } => Err(DiscoveryError::NoTool {
            message: message.trim().to_owned(),
        }),
        ExecOutcome::Finished(done) => {
            if done.stdout.truncated {
                return Err(DiscoveryError::OutputTooLarge {
                    command: text,
                    limit: MAX_EXEC_OUTPUT,
                });
            }
            if done.stdout.bytes.trim_ascii().is_empty() {
                return Err(DiscoveryError::EmptyOutput {
                    command: text,
                    exit_code: done.exit_code,
                    stderr: String::from_utf8_lossy(&done.stderr.bytes).into_owned(),
                });
            }
            Ok(done.stdout.bytes)
        }
    }
}

/// Asks the tool inside a running container.
async fn by_exec(engine: &Engine, container: &str, state: bool) -> Result<Found, DiscoveryError> {
    if state {
        let out = run_tool(engine, container, &EXAMINE_COMMAND).await?;
        let report = Report::from_json(&out).map_err(|source| DiscoveryError::BadReport {
            command: EXAMINE_COMMAND.join(" "),
            source,
        })?;
        return Ok(Found {
            source: Source::Exec,
            report,
        });
    }
    let out = run_tool(engine, container, &METADATA_COMMAND).await?;
    let text = String::from_utf8_lossy(&out);
    let command = METADATA_COMMAND.join(" ");
    // The same array-of-records reader as the stack label: each record
    // cut out as text and read by `Record::from_slice`.
    let records = stack_label::parse(&text).map_err(|source| DiscoveryError::BadRecords {
        command: command.clone(),
        source,
    })?;
    let stack =
        Stack::from_records(format!("`{command}` in the container"), records).map_err(|_| {
            DiscoveryError::EmptyOutput {
                command,
                exit_code: 0,
                stderr: String::new(),
            }
        })?;
    Ok(Found {
        source: Source::Exec,
        report: Report::from_stack(&stack, Runtime::default(), Vec::new()),
    })
}

fn archive_limits(max_file: u64) -> ArchiveLimits {
    ArchiveLimits {
        max_total: 64 * 1024 * 1024,
        max_file,
        deadline: EXEC_DEADLINE,
    }
}

/// Reads the metadata directory of a container that need not be running.
async fn stack_from_archive(engine: &Engine, container: &str) -> Result<Stack, DiscoveryError> {
    let files = match engine
        .read_directory(
            container,
            DEFAULT_META_DIR,
            archive_limits(MAX_RECORD_BYTES),
        )
        .await
    {
        Err(EngineError::NoSuchPath { .. }) => {
            return Err(DiscoveryError::NoRecords {
                dir: DEFAULT_META_DIR.to_owned(),
            })
        }
        other => other?,
    };
    let mut entries: Vec<Entry> = files
        .into_iter()
        .map(|file| Entry {
            path: std::path::Path::new(DEFAULT_META_DIR).join(&file.name),
            position: position_of(&file.name),
            outcome: Record::from_slice(&file.bytes).map_err(EntryError::Record),
            file_name: file.name,
        })
        .collect();
    // The directory's own order: by position, then by name.
    entries.sort_by(|a, b| {
        (a.position.unwrap_or(u32::MAX), &a.file_name)
            .cmp(&(b.position.unwrap_or(u32::MAX), &b.file_name))
    });
    if entries.is_empty() {
        return Err(DiscoveryError::NoRecords {
            dir: DEFAULT_META_DIR.to_owned(),
        });
    }
    Ok(Stack {
        dir: DEFAULT_META_DIR.into(),
        entries,
        skipped: Vec::new(),
    })
}

/// Runtime facts of a labelled container: by exec when it runs, else
/// from its state file through the archive.
async fn runtime_of(
    engine: &Engine,
    details: &ContainerSummary,
) -> Result<Runtime, DiscoveryError> {
    if details.state.is_running() {
        match by_exec(engine, &details.id, true).await {
            Ok(found) => return Ok(found.report.runtime),
            Err(DiscoveryError::NotRunning { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    runtime_from_archive(engine, &details.id).await
}

async fn runtime_from_archive(engine: &Engine, container: &str) -> Result<Runtime, DiscoveryError> {
    let path = format!("{STATE_DIR}/state.json");
    let files = match engine
        .read_directory(container, STATE_DIR, archive_limits(MAX_STATE_BYTES))
        .await
    {
        Err(EngineError::NoSuchPath { .. }) => return Ok(Runtime::default()),
        other => other?,
    };
    let Some(file) = files.into_iter().find(|f| f.name == "state.json") else {
        return Ok(Runtime::default());
    };
    let state: State =
        serde_json::from_slice(&file.bytes).map_err(|e| DiscoveryError::BadState {
            path,
            reason: e.to_string(),
        })?;
    Ok(Runtime {
        hostname: None,
        first_started_at: state.first_started_at,
        last_started_at: state.last_started_at,
        start_count: state.start_count,
        last: state.actions,
        deploy: Default::default(),
    })
}
