//! `[metrics] containers = true`: the containers' own METRICS, merged
//! the way `waybill metrics` merges them ([`crate::host::metrics::fleet`]:
//! the same plan, runner and merge, with the MONITOR and VALIDATE status
//! gauges), appended to `GET /metrics`.
//!
//! A scrape never execs. One background task refreshes the merge every
//! `interval_secs`, one refresh at a time (the next wait starts when a
//! refresh ends), each exec bounded by the runner's per-engine cap and
//! the record's METRICS timeout; `/metrics` serves the latest merge as
//! it is, with its age, so a scraper sees how stale it is. Until the
//! first refresh ends, only the server's own series are served.
//!
//! The server's own families are `waybill_serve_*`: a container family
//! with that prefix would clash with them, so it is left out of the
//! merge (and logged). Other merge problems (a TYPE conflict, output
//! that does not parse) are logged as `waybill metrics` reports them on
//! stderr; the containers' METRICS are never a job and never in
//! `/jobs`.

use super::config::HookSelect;
use super::State;
use crate::host::actions::{self, RunOptions, Silent};
use crate::host::fleet::connect_all;
use crate::host::fleet::select::Selector;
use crate::host::metrics::fleet;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// The prefix of the server's own families, reserved in the merge.
const RESERVED_PREFIX: &str = "waybill_serve_";

/// The latest merge.
struct Snapshot {
    /// The merged exposition, reserved families removed.
    text: String,
    /// Epoch seconds when the refresh ended.
    at: i64,
    /// Containers whose METRICS ran to `done`.
    merged: usize,
    /// Containers selected but not merged (failed, left out).
    not_merged: usize,
}

/// What `/metrics` appends; empty until the first refresh.
#[derive(Default)]
pub(crate) struct ContainerMetrics {
    latest: Mutex<Option<Snapshot>>,
}

impl ContainerMetrics {
    /// The series this part adds to `/metrics`: its own gauges, then the
    /// merged exposition. Empty when off or not yet refreshed.
    pub(crate) fn render(&self, now: i64) -> String {
        let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        let Some(snapshot) = latest.as_ref() else {
            return String::new();
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP waybill_serve_container_metrics_age_seconds Seconds since the containers' METRICS were last merged.\n\
             # TYPE waybill_serve_container_metrics_age_seconds gauge\n\
             waybill_serve_container_metrics_age_seconds {}",
            (now - snapshot.at).max(0)
        );
        let _ = writeln!(
            out,
            "# HELP waybill_serve_container_metrics_containers Containers in the last merge of METRICS, by whether their output was merged.\n\
             # TYPE waybill_serve_container_metrics_containers gauge\n\
             waybill_serve_container_metrics_containers{{merged=\"true\"}} {}\n\
             waybill_serve_container_metrics_containers{{merged=\"false\"}} {}",
            snapshot.merged, snapshot.not_merged
        );
        out.push_str(&snapshot.text);
        out
    }

    fn store(&self, snapshot: Snapshot) {
        *self.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(snapshot);
    }
}

/// Starts the refresh task when the config turns it on.
pub(crate) fn start(state: &Arc<State>) -> Option<JoinHandle<()>> {
    state
        .config
        .metrics
        .containers
        .then(|| tokio::task::spawn_local(run(state.clone())))
}

async fn run(state: Arc<State>) {
    loop {
        refresh(&state).await;
        tokio::time::sleep(state.config.metrics.interval).await;
    }
}

/// One scrape of the selected containers, stored for `/metrics`.
async fn refresh(state: &State) {
    let (reached, unreached) = connect_all(&state.config.endpoints).await;
    let now = super::now();
    for t in &reached {
        state.metrics.engine(&t.name, true, now);
    }
    for u in &unreached {
        state.metrics.engine(&u.name, false, now);
    }
    let selector = selector(&state.config.metrics.select);
    let selection = actions::select_targets_with_state(reached, unreached, &selector, true).await;
    let (plan, book) = fleet::plan(selection, RunOptions::default());
    let report = actions::run(plan, &Silent).await;
    let scrape = fleet::merge(&report, &book);
    for problem in &scrape.merged.problems {
        tracing::warn!("container metrics: {}", crate::safe_text::Escaped(problem));
    }
    for step in &scrape.not_done {
        tracing::warn!(
            engine = %crate::safe_text::escape(&step.engine),
            container = %crate::safe_text::escape(&step.container),
            outcome = %step.outcome,
            "container metrics: METRICS did not finish; left out"
        );
    }
    for failure in &report.engine_errors {
        tracing::warn!(
            engine = %crate::safe_text::escape(&failure.engine),
            "container metrics: {}",
            crate::safe_text::escape(&failure.error)
        );
    }
    let (text, reserved) = without_reserved(&scrape.merged.text);
    for family in reserved {
        tracing::warn!(
            family = %crate::safe_text::escape(&family),
            "container metrics: a container's family uses the server's prefix `{RESERVED_PREFIX}`; left out"
        );
    }
    let not_merged = scrape.not_done.len();
    state.container_metrics.store(Snapshot {
        text,
        at: super::now(),
        merged: report.results.len().saturating_sub(not_merged),
        not_merged,
    });
}

/// The selector of the `[metrics]` table: every container with records
/// when it names neither a project nor labels.
fn selector(select: &HookSelect) -> Selector {
    let mut selector = Selector::new(Vec::new());
    selector.project = select.project.clone();
    selector.labels = select.labels.clone();
    selector
}

/// `text` (a merged exposition: each family's HELP and TYPE lines, then
/// its samples, every line starting with the metric's name) without the
/// families whose names start with [`RESERVED_PREFIX`], and their names.
fn without_reserved(text: &str) -> (String, Vec<String>) {
    let mut kept = String::with_capacity(text.len());
    let mut dropped: Vec<String> = Vec::new();
    for line in text.lines() {
        let name = line
            .strip_prefix("# HELP ")
            .or_else(|| line.strip_prefix("# TYPE "))
            .unwrap_or(line);
        let name = name.split(['{', ' ']).next().unwrap_or("");
        if name.starts_with(RESERVED_PREFIX) {
            if line.starts_with("# TYPE ") && !dropped.iter().any(|d| d == name) {
                dropped.push(name.to_owned());
            }
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    (kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_family_with_the_servers_prefix_is_left_out() {
        let text =
            "# HELP waybill_serve_jobs_total forged\n# TYPE waybill_serve_jobs_total counter\n\
                    waybill_serve_jobs_total{engine=\"e\"} 9\n\
                    # HELP shop_orders_total Orders.\n# TYPE shop_orders_total counter\n\
                    shop_orders_total{engine=\"e\"} 3\n";
        let (kept, dropped) = without_reserved(text);
        assert_eq!(
            kept,
            "# HELP shop_orders_total Orders.\n# TYPE shop_orders_total counter\n\
             shop_orders_total{engine=\"e\"} 3\n"
        );
        assert_eq!(dropped, ["waybill_serve_jobs_total"]);
    }

    #[test]
    fn nothing_is_served_before_the_first_refresh_and_the_age_after() {
        let metrics = ContainerMetrics::default();
        assert_eq!(metrics.render(100), "");
        metrics.store(Snapshot {
            text: "# TYPE up_total counter\nup_total 1\n".into(),
            at: 90,
            merged: 1,
            not_merged: 0,
        });
        let text = metrics.render(100);
        assert!(
            text.contains("waybill_serve_container_metrics_age_seconds 10\n"),
            "{text}"
        );
        assert!(text.ends_with("up_total 1\n"), "{text}");
        crate::prometheus::validate(text.as_bytes()).expect("a valid exposition");
    }
}
