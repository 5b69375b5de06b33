//! The `--json` document of the action commands: one object on stdout,
//! its schema in docs/fleet-actions.md. Output tails are the bytes the
//! runner kept, as UTF-8 with invalid sequences replaced; nothing else is
//! changed (JSON output is exact, never terminal-escaped).

use crate::host::actions::{EngineFailure, Outcome, RunReport, StepKind, Summary};
use serde::Serialize;

/// Bumped when the document's shape changes incompatibly.
pub const ACTIONS_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    actions_version: u32,
    action: &'static str,
    results: Vec<Row<'a>>,
    engine_errors: &'a [EngineFailure],
    summary: Summary,
    interrupted: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    engine: &'a str,
    container: &'a str,
    id: &'a str,
    image: &'a str,
    project: Option<&'a str>,
    action: StepKind,
    outcome: Outcome,
    exit_code: Option<i64>,
    reason: Option<&'a str>,
    duration_ms: u64,
    batch: Option<usize>,
    stdout_tail: String,
    stderr_tail: String,
    stdout_truncated: bool,
    stderr_truncated: bool,
}

/// The document for `report`, as text with a final newline.
pub fn document(report: &RunReport) -> serde_json::Result<String> {
    let doc = Document {
        actions_version: ACTIONS_VERSION,
        action: report.action.key(),
        results: report
            .results
            .iter()
            .map(|r| Row {
                engine: &r.engine,
                container: &r.container,
                id: &r.id,
                image: &r.image,
                project: r.project.as_deref(),
                action: r.step,
                outcome: r.outcome,
                exit_code: r.exit_code,
                reason: r.reason.as_deref(),
                duration_ms: u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
                batch: r.batch,
                stdout_tail: String::from_utf8_lossy(&r.stdout.bytes).into_owned(),
                stderr_tail: String::from_utf8_lossy(&r.stderr.bytes).into_owned(),
                stdout_truncated: r.stdout.truncated,
                stderr_truncated: r.stderr.truncated,
            })
            .collect(),
        engine_errors: &report.engine_errors,
        summary: report.summary(),
        interrupted: report.interrupted,
    };
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

pub fn print(report: &RunReport) -> std::io::Result<()> {
    let text = document(report).map_err(std::io::Error::other)?;
    crate::output::stdout(text.as_bytes())
}
