//! The jobs pages: the history (`GET /jobs` for a browser) and one job
//! (`GET /jobs/{id}`), whose output the page's script keeps appending
//! from `GET /jobs/{id}/events` while the job runs. Without JavaScript
//! the job page shows the state at load time.
//!
//! `GET /jobs` and `GET /jobs/{id}` answer JSON to API clients; this is
//! only the HTML form ([`crate::host::serve::http`] negotiates).

use super::auth::require_view;
use super::layout::{ago, document, message, respond, shown, Viewer};
use crate::host::serve::job::{Job, Selection, Status};
use crate::host::serve::State;
use crate::report::{shown_lines, time_text};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use maud::{html, Markup};

pub fn status_text(status: Status) -> &'static str {
    match status {
        Status::Queued => "queued",
        Status::Running => "running",
        Status::Done => "done",
        Status::Failed => "failed",
        Status::Interrupted => "interrupted",
    }
}

/// What a job's trigger says, in a few words.
fn trigger_text(job: &Job) -> String {
    let t = &job.trigger;
    let mut text = t.kind.clone();
    if let Some(hook) = &t.hook {
        text.push_str(&format!(" {hook}"));
    }
    if let Some(forge) = &t.forge {
        text.push_str(&format!(" ({forge})"));
    }
    if t.coalesced > 0 {
        text.push_str(&format!(", {} pushes coalesced", t.coalesced));
    }
    text
}

/// A job's selection, in a few words.
pub fn selection_text(s: &Selection) -> String {
    let mut parts = Vec::new();
    if s.all {
        parts.push("all containers".to_owned());
    }
    if !s.names.is_empty() {
        let names: Vec<&str> = s.names.iter().map(|n| n.get(..12).unwrap_or(n)).collect();
        parts.push(names.join(", "));
    }
    if !s.services.is_empty() {
        parts.push(format!("services {}", s.services.join(", ")));
    }
    if let Some(p) = &s.project {
        parts.push(format!("project {p}"));
    }
    for (k, v) in &s.labels {
        parts.push(format!("label {k}={v}"));
    }
    if let Some(src) = &s.source {
        parts.push(format!("source {src}"));
    }
    if let Some(b) = &s.branch {
        parts.push(format!("branch {b}"));
    }
    if let Some(e) = &s.engine {
        parts.push(format!("on {e}"));
    }
    parts.join("; ")
}

/// The history as a page, newest first.
pub fn render_list(
    jobs: &[Job],
    next: Option<u64>,
    limit: usize,
    viewer: &Viewer,
    now: i64,
) -> Markup {
    document(
        "Jobs",
        viewer,
        html! {
            h1 { "Jobs" }
            table #jobs {
                thead { tr { th { "Job" } th { "Action" } th { "Trigger" } th { "Targets" } th { "Status" } th { "Created" } th { "Steps" } } }
                tbody {
                    @for job in jobs {
                        tr.job data-id=(job.id) data-status=(status_text(job.status)) {
                            td { a href={ "/jobs/" (job.id) } { "#" (job.id) } }
                            td.action { (shown(&job.action)) }
                            td.trigger { (shown(&trigger_text(job))) }
                            td.targets { (shown(&selection_text(&job.selection))) }
                            td.status data-status=(status_text(job.status)) { (status_text(job.status)) }
                            td { (ago(Some(job.created), now)) }
                            td.steps {
                                (job.results.iter().filter(|r| r.outcome == "done").count()) " done / " (job.results.len())
                            }
                        }
                    }
                }
            }
            @if jobs.is_empty() { p.none { "No jobs yet." } }
            @if let Some(before) = next {
                p { a #older href={ "/jobs?before=" (before) "&limit=" (limit) } { "Older jobs" } }
            }
        },
    )
}

/// One job. `live` is the output seen so far and the position after it
/// while the job may still run; a finished job shows its steps' output.
pub fn render_job(
    job: &Job,
    live: Option<(Vec<String>, u64)>,
    viewer: &Viewer,
    now: i64,
) -> Markup {
    let running = !job.status.is_final();
    let (output, next) = match (&live, running) {
        (Some((lines, next)), true) => (lines.join("\n"), *next),
        _ => (final_output(job), 0),
    };
    document(
        &format!("Job {}", job.id),
        viewer,
        html! {
            h1 { "Job #" (job.id) ": " (shown(&job.action)) }
            dl #job {
                dt { "Status" }
                dd #job-status data-status=(status_text(job.status)) { (status_text(job.status)) }
                dt { "Trigger" } dd { (shown(&trigger_text(job))) }
                @if let Some(d) = &job.trigger.delivery { dt { "Delivery" } dd { code { (shown(d)) } } }
                @if let Some(r) = &job.trigger.repository { dt { "Repository" } dd { (shown(r)) } }
                @if let Some(r) = &job.trigger.git_ref { dt { "Ref" } dd { (shown(r)) } }
                @if let Some(r) = &job.trigger.revision { dt { "Revision" } dd { code { (shown(r)) } } }
                dt { "Targets" } dd { (shown(&selection_text(&job.selection))) }
                @if let Some(b) = job.batch { dt { "Batch" } dd { (b) } }
                dt { "Created" } dd { (time_text(job.created)) " (" (ago(Some(job.created), now)) ")" }
                @if let Some(at) = job.started { dt { "Started" } dd { (time_text(at)) } }
                @if let Some(at) = job.finished { dt { "Finished" } dd { (time_text(at)) } }
                @if let Some(e) = &job.error { dt { "Error" } dd.error { (shown(e)) } }
            }
            @if !job.engine_errors.is_empty() {
                ul.engine-errors {
                    @for e in &job.engine_errors { li.error { code { (shown(&e.engine)) } ": " (shown(&e.error)) } }
                }
            }
            @if !job.results.is_empty() {
                table #steps {
                    thead { tr { th { "Container" } th { "Step" } th { "Outcome" } th { "Exit" } th { "Time" } th { "Reason" } } }
                    tbody {
                        @for r in &job.results {
                            tr.step data-outcome=(r.outcome) {
                                td { (shown(&r.engine)) "/" (shown(&r.container)) }
                                td { (shown(&r.action)) }
                                td.outcome { (shown(&r.outcome)) }
                                td { @if let Some(c) = r.exit_code { (c) } @else { "-" } }
                                td { (r.duration_ms) " ms" }
                                td { (shown(r.reason.as_deref().unwrap_or(""))) }
                            }
                        }
                    }
                }
            }
            h2 { "Output" }
            pre #output data-live=(if running { "true" } else { "false" }) data-events={ "/jobs/" (job.id) "/events" } data-next=(next) {
                (shown_lines(&output))
            }
        },
    )
}

/// A finished job's output: each step's kept stdout and stderr tails.
fn final_output(job: &Job) -> String {
    let mut out = String::new();
    for r in &job.results {
        for (stream, tail) in [("|", &r.stdout_tail), ("!", &r.stderr_tail)] {
            for line in tail.lines() {
                out.push_str(&format!("{} {stream} {line}\n", r.container));
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// `GET /jobs` for a browser.
pub fn jobs_page(
    state: &State,
    headers: &HeaderMap,
    uri: &Uri,
    before: Option<u64>,
    limit: usize,
) -> Response {
    let viewer = match require_view(state, headers, uri) {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let (jobs, next) = state.history.page(before, limit);
    respond(
        StatusCode::OK,
        render_list(&jobs, next, limit, &viewer, crate::host::serve::now()),
    )
}

/// `GET /jobs/{id}` for a browser.
pub fn job_page(state: &State, headers: &HeaderMap, uri: &Uri, job: Option<Job>) -> Response {
    let viewer = match require_view(state, headers, uri) {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let Some(job) = job else {
        return message(
            StatusCode::NOT_FOUND,
            &viewer,
            "No such job",
            "There is no job with this id (old jobs are forgotten).",
        );
    };
    let live = state.live.existing(job.id).map(|l| {
        let seen = l.since(0);
        (seen.lines, seen.next)
    });
    respond(
        StatusCode::OK,
        render_job(&job, live, &viewer, crate::host::serve::now()),
    )
}

/// Recent jobs that touched one container, for its page.
pub fn recent_for(state: &State, engine: &str, name: &str, max: usize) -> Vec<Job> {
    let mut found = Vec::new();
    state.history.visit(|job| {
        if job
            .results
            .iter()
            .any(|r| r.engine == engine && r.container == name)
        {
            found.push(job.clone());
        }
        found.len() < max
    });
    found
}

/// The recent-jobs table of a container page.
pub fn recent_table(jobs: &[Job], engine: &str, name: &str, now: i64) -> Markup {
    html! {
        table #recent-jobs {
            thead { tr { th { "Job" } th { "Action" } th { "Trigger" } th { "Outcome" } th { "When" } } }
            tbody {
                @for job in jobs {
                    @let outcome = job.results.iter().rev().find(|r| r.engine == engine && r.container == name).map_or("-", |r| r.outcome.as_str());
                    tr.job data-id=(job.id) {
                        td { a href={ "/jobs/" (job.id) } { "#" (job.id) } }
                        td { (shown(&job.action)) }
                        td { (shown(&trigger_text(job))) }
                        td data-outcome=(outcome) { (shown(outcome)) }
                        td { (ago(job.finished.or(Some(job.created)), now)) }
                    }
                }
            }
        }
        @if jobs.is_empty() { p.none { "No job of this server has acted on this container yet." } }
    }
}
