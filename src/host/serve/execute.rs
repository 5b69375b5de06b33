//! Running one job through the fleet action runner, the same
//! [`crate::host::actions`] code `waybill update` uses: connect to the
//! configured engines, select with the fleet's selector, run the plan,
//! and file the per-container results. A selection naming Swarm services
//! goes through [`actions::select_service_tasks`], as `--service` does,
//! and rolls node by node.
//!
//! A push's UPDATE exec carries the pushed repository, ref and revision
//! in the environment (`WAYBILL_PUSH_REPOSITORY`, `WAYBILL_PUSH_REF`,
//! `WAYBILL_PUSH_REVISION`); VALIDATE gets none of them. They are exec
//! environment data, never part of a command line or a shell.
//!
//! While it runs, every output line, step and batch also goes to the
//! job's bounded live buffer ([`super::live`]), which the job page
//! follows over server-sent events; the buffer is closed before the
//! final record is filed, so a follower that sees the job final has
//! seen every line.

use super::job::{EngineFailure, Job, Selection, Status, StepRecord};
use super::live::JobLive;
use super::State;
use crate::host::actions::{self, Observer, Plan, RunOptions, StepKind, StepResult, Target};
use crate::host::engine::StreamKind;
use crate::host::fleet::connect_all;
use crate::host::fleet::select::Selector;
use crate::record::Action;
use std::sync::Arc;

/// The environment variables an UPDATE started by a push gets, named
/// once for both programs: `container --update` records them.
pub use crate::report::{
    PUSH_REF_VAR as ENV_REF, PUSH_REPOSITORY_VAR as ENV_REPOSITORY,
    PUSH_REVISION_VAR as ENV_REVISION,
};

/// Output kept of each stream of each step in the job record.
const TAIL_BYTES: usize = 4 * 1024;

pub(crate) async fn execute(state: &Arc<State>, id: u64) {
    let started = super::now();
    let Some(job) = state.history.update(id, |job| {
        job.status = Status::Running;
        job.started = Some(started);
    }) else {
        return;
    };
    tracing::info!(job = id, action = %job.action, "job started");
    let action = match job.action.as_str() {
        "update" => Action::Update,
        "validate" => Action::Validate,
        "monitor" => Action::Monitor,
        _ => return fail(state, id, "unknown action".into()),
    };
    let endpoints: Vec<_> = state
        .config
        .endpoints
        .iter()
        .filter(|e| {
            job.selection.engine.is_none() || job.selection.engine.as_deref() == Some(&e.name)
        })
        .cloned()
        .collect();
    if endpoints.is_empty() {
        if let Some(engine) = &job.selection.engine {
            let error = format!(
                "no configured engine is named `{}`",
                crate::safe_text::escape(engine)
            );
            return fail(state, id, error);
        }
    }
    let (reached, unreached) = connect_all(&endpoints).await;
    let now = super::now();
    for t in &reached {
        state.metrics.engine(&t.name, true, now);
    }
    for u in &unreached {
        state.metrics.engine(&u.name, false, now);
    }
    let services = !job.selection.services.is_empty();
    let selection = if services {
        // The same service selection as `waybill update --service`.
        actions::select_service_tasks(
            reached,
            unreached,
            &selector(&job.selection),
            &state.config.swarm,
            false,
        )
        .await
    } else {
        actions::select_targets(reached, unreached, &selector(&job.selection)).await
    };
    let mut options = options(state, &job);
    // A service rolls node by node, as `--service` does by default.
    options.batch_by_engine = services;
    let plan = Plan {
        action,
        targets: selection.targets,
        options,
        engine_errors: selection.engine_errors,
    };
    let report = actions::run(plan, &LiveOutput(state.live.job(id))).await;
    let results: Vec<StepRecord> = report
        .results
        .iter()
        .map(|r| StepRecord {
            engine: r.engine.clone(),
            container: r.container.clone(),
            action: r.step.to_string(),
            outcome: r.outcome.to_string(),
            exit_code: r.exit_code,
            reason: r.reason.clone(),
            duration_ms: u64::try_from(r.duration.as_millis()).unwrap_or(u64::MAX),
            stdout_tail: tail(&r.stdout.bytes),
            stderr_tail: tail(&r.stderr.bytes),
        })
        .collect();
    let engine_errors: Vec<EngineFailure> = report
        .engine_errors
        .iter()
        .map(|e| EngineFailure {
            engine: e.engine.clone(),
            error: e.error.clone(),
        })
        .collect();
    let failed = report.results.iter().any(|r| r.outcome.is_failure()) || !engine_errors.is_empty();
    let status = if failed { Status::Failed } else { Status::Done };
    finish(state, id, status, results, engine_errors, None);
}

/// Ends a job that could not run at all, saying why.
fn fail(state: &State, id: u64, error: String) {
    finish(
        state,
        id,
        Status::Failed,
        Vec::new(),
        Vec::new(),
        Some(error),
    );
}

fn finish(
    state: &State,
    id: u64,
    status: Status,
    results: Vec<StepRecord>,
    engine_errors: Vec<EngineFailure>,
    error: Option<String>,
) {
    let finished = super::now();
    let steps = results.len();
    state.live.job(id).finish();
    let job = state.history.update(id, |job| {
        job.status = status;
        job.finished = Some(finished);
        job.results = results;
        job.engine_errors = engine_errors;
        job.error = error;
    });
    if let Some(job) = job {
        state
            .metrics
            .job(&job.action, status, &job.results, finished);
        if let (Some(service), "validate") = (&job.trigger.service, job.action.as_str()) {
            let ok = status == Status::Done;
            state.metrics.service_task_validated(service, ok, finished);
        }
    }
    tracing::info!(job = id, status = ?status, steps, "job finished");
}

/// The fleet selector a job's selection stands for: its names are the
/// services' when it names services.
fn selector(selection: &Selection) -> Selector {
    let names = if selection.services.is_empty() {
        selection.names.clone()
    } else {
        selection.services.clone()
    };
    let mut selector = Selector::new(names).with_source(selection.source.clone());
    selector.project = selection.project.clone();
    selector.labels = selection.labels.clone();
    selector.branch = selection.branch.clone();
    selector
}

/// The run options: the hook's batch and validate-after; for a push,
/// the revision's environment for UPDATE.
fn options(state: &State, job: &Job) -> RunOptions {
    let mut options = RunOptions {
        max_output: 16 * 1024,
        ..RunOptions::default()
    };
    let hook = job
        .trigger
        .hook
        .as_ref()
        .and_then(|name| state.config.hooks.iter().find(|h| &h.name == name));
    if let Some(hook) = hook {
        options.batch = hook.batch;
        options.validate_after_update = hook.validate;
    } else {
        options.batch = job.batch;
    }
    let t = &job.trigger;
    if let (Some(repository), Some(git_ref), Some(revision)) =
        (&t.repository, &t.git_ref, &t.revision)
    {
        options.update_env = vec![
            (ENV_REPOSITORY.to_owned(), repository.clone()),
            (ENV_REF.to_owned(), git_ref.clone()),
            (ENV_REVISION.to_owned(), revision.clone()),
        ];
    }
    options
}

/// The last [`TAIL_BYTES`] of a stream, as text.
fn tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(TAIL_BYTES);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// The job page's live view of a run: every output line, each step's
/// start and end and each batch, into the job's bounded live buffer
/// ([`super::live`]). Text stays raw here; the page escapes it.
struct LiveOutput(Arc<JobLive>);

impl Observer for LiveOutput {
    fn started(&self, target: &Target, step: StepKind) {
        let line = format!("==> {step} on {}/{}", target.engine.name, target.container);
        self.0.push(line.as_bytes());
    }

    fn line(&self, target: &Target, stream: StreamKind, line: &[u8]) {
        let mut text = target.container.as_bytes().to_vec();
        text.extend_from_slice(match stream {
            StreamKind::Stderr => b" ! ",
            _ => b" | ",
        });
        text.extend_from_slice(line);
        self.0.push(&text);
    }

    fn finished(&self, result: &StepResult) {
        let mut line = format!(
            "<== {} on {}/{}: {}",
            result.step, result.engine, result.container, result.outcome
        );
        if let Some(code) = result.exit_code {
            line.push_str(&format!(" (exit {code})"));
        }
        if let Some(reason) = &result.reason {
            line.push_str(&format!(": {reason}"));
        }
        self.0.push(line.as_bytes());
    }

    fn batch(&self, number: usize, count: usize, size: usize) {
        let line = format!("=== batch {number} of {count}: {size} containers");
        self.0.push(line.as_bytes());
    }
}
