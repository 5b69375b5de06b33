//! `GET /metrics`: what the server has seen, in Prometheus text.
//!
//! A small hand-written registry: counters of webhook requests (by
//! forge) and of rejections (by forge and reason), of finished jobs (by
//! action and result), a histogram of step durations (by action and
//! outcome), execs and exec errors by engine, each engine's connection
//! state as last learned (from `/healthz` or a job's connect), and per
//! container the last VALIDATE and MONITOR a job of this server ran,
//! with its age; per Swarm service, the validations of its new tasks
//! after Swarm started them, and whether the newest passed.
//! docs/serve.md lists every series.
//!
//! Why no Prometheus client crate: the output must pass our own reader
//! ([`crate::prometheus::validate`], checked in the tests below, and
//! `promtool` in tests/serve_metrics.rs), label values are escaped with
//! the one escape the merged exposition uses
//! ([`crate::host::metrics::escape_value`]), and a few counters behind
//! one mutex need no dependency.
//!
//! Every label set is bounded: forges, reasons, actions, outcomes and
//! results are fixed sets; engines come from the config; containers are
//! capped at [`MAX_CONTAINERS`] (the oldest result is forgotten first),
//! services at [`MAX_SERVICES`].
//! Not covered: containers no job of this server touched (no engine
//! events or schedules yet), and engines not yet checked.

use super::job::{Status, StepRecord};
use crate::host::metrics::escape_value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// The most containers whose last VALIDATE or MONITOR is kept.
pub const MAX_CONTAINERS: usize = 10_000;
/// The most Swarm services whose new tasks' validations are kept.
pub const MAX_SERVICES: usize = 1_000;

/// Upper bounds of the step-duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// Why a webhook request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reject {
    UnknownHook,
    BodyRefused,
    InvalidSignature,
    BadDeliveryId,
    RateLimited,
    BadPayload,
    Unavailable,
}

impl Reject {
    pub fn as_str(self) -> &'static str {
        match self {
            Reject::UnknownHook => "unknown_hook",
            Reject::BodyRefused => "body_refused",
            Reject::InvalidSignature => "invalid_signature",
            Reject::BadDeliveryId => "bad_delivery_id",
            Reject::RateLimited => "rate_limited",
            Reject::BadPayload => "bad_payload",
            Reject::Unavailable => "unavailable",
        }
    }
}

#[derive(Default)]
struct Histogram {
    /// Per bucket of [`BUCKETS`], not cumulative.
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// The last result of one action in one container.
struct Last {
    ok: bool,
    exit_code: Option<i64>,
    /// Epoch seconds.
    at: i64,
}

#[derive(Default)]
struct Inner {
    received: BTreeMap<&'static str, u64>,
    rejected: BTreeMap<(&'static str, Reject), u64>,
    jobs: BTreeMap<(String, &'static str), u64>,
    durations: BTreeMap<(String, String), Histogram>,
    /// Engine → (execs, errors).
    execs: BTreeMap<String, (u64, u64)>,
    /// Engine → (up, epoch seconds when learned).
    engines: BTreeMap<String, (bool, i64)>,
    /// (engine, container, action) → last result.
    containers: BTreeMap<(String, String, String), Last>,
    /// Swarm service → its new tasks' validations.
    services: BTreeMap<String, ServiceTasks>,
}

/// The validations of one Swarm service's new tasks (engine events).
#[derive(Default)]
struct ServiceTasks {
    done: u64,
    failed: u64,
    /// Whether the newest ended done.
    last_ok: bool,
    /// Epoch seconds of the newest.
    at: i64,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A webhook request arrived (`forge` is `none` for an unknown hook).
    pub fn received(&self, forge: &'static str) {
        *self.lock().received.entry(forge).or_default() += 1;
    }

    pub fn rejected(&self, forge: &'static str, reason: Reject) {
        *self.lock().rejected.entry((forge, reason)).or_default() += 1;
    }

    /// What was just learned of an engine's connection.
    pub fn engine(&self, name: &str, up: bool, now: i64) {
        let mut inner = self.lock();
        match inner.engines.get_mut(name) {
            Some(state) => *state = (up, now),
            None => {
                inner.engines.insert(name.to_owned(), (up, now));
            }
        }
    }

    /// A job ended with `status`; its steps, when it ran any.
    pub fn job(&self, action: &str, status: Status, steps: &[StepRecord], now: i64) {
        let result = match status {
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
            Status::Queued | Status::Running => return,
        };
        let mut inner = self.lock();
        *inner.jobs.entry((action.to_owned(), result)).or_default() += 1;
        for step in steps {
            let not_run = step.outcome == "not_reached";
            if !not_run {
                inner
                    .durations
                    .entry((step.action.clone(), step.outcome.clone()))
                    .or_default()
                    .observe(step.duration_ms as f64 / 1000.0);
                let execs = inner.execs.entry(step.engine.clone()).or_default();
                execs.0 += 1;
                if step.outcome == "error" {
                    execs.1 += 1;
                }
            }
            if not_run || !(step.action == "validate" || step.action == "monitor") {
                continue;
            }
            let key = (
                step.engine.clone(),
                step.container.clone(),
                step.action.clone(),
            );
            if !inner.containers.contains_key(&key) && inner.containers.len() >= MAX_CONTAINERS {
                let oldest = inner
                    .containers
                    .iter()
                    .min_by_key(|(_, last)| last.at)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    inner.containers.remove(&oldest);
                }
            }
            inner.containers.insert(
                key,
                Last {
                    ok: step.outcome == "done",
                    exit_code: step.exit_code,
                    at: now,
                },
            );
        }
    }

    /// A VALIDATE of a new task of Swarm service `service` (filed by an
    /// engine event) ended: `ok` when every step was done.
    pub fn service_task_validated(&self, service: &str, ok: bool, now: i64) {
        let mut inner = self.lock();
        if !inner.services.contains_key(service) && inner.services.len() >= MAX_SERVICES {
            let oldest = inner
                .services
                .iter()
                .min_by_key(|(_, s)| s.at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                inner.services.remove(&oldest);
            }
        }
        let entry = inner.services.entry(service.to_owned()).or_default();
        if ok {
            entry.done += 1;
        } else {
            entry.failed += 1;
        }
        entry.last_ok = ok;
        entry.at = now;
    }

    /// The exposition, ages taken at `now` (epoch seconds).
    pub fn render(&self, now: i64) -> String {
        let inner = self.lock();
        let mut out = String::new();
        family(
            &mut out,
            "waybill_serve_hooks_received_total",
            "counter",
            "Webhook requests received, by detected forge (none for an unknown hook).",
        );
        for (forge, n) in &inner.received {
            sample(
                &mut out,
                "waybill_serve_hooks_received_total",
                &[("forge", forge)],
                n,
            );
        }
        family(
            &mut out,
            "waybill_serve_hooks_rejected_total",
            "counter",
            "Webhook requests refused, by detected forge and reason.",
        );
        for ((forge, reason), n) in &inner.rejected {
            sample(
                &mut out,
                "waybill_serve_hooks_rejected_total",
                &[("forge", forge), ("reason", reason.as_str())],
                n,
            );
        }
        family(
            &mut out,
            "waybill_serve_jobs_total",
            "counter",
            "Jobs finished, by action and result (done, failed, interrupted).",
        );
        for ((action, result), n) in &inner.jobs {
            sample(
                &mut out,
                "waybill_serve_jobs_total",
                &[("action", action), ("result", result)],
                n,
            );
        }
        let name = "waybill_serve_action_duration_seconds";
        family(
            &mut out,
            name,
            "histogram",
            "How long each step of a job took, by action and outcome.",
        );
        for ((action, outcome), h) in &inner.durations {
            let labels = [("action", action.as_str()), ("outcome", outcome.as_str())];
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                cumulative += n;
                let le = bound.to_string();
                let with_le = [labels[0], labels[1], ("le", le.as_str())];
                sample(&mut out, &format!("{name}_bucket"), &with_le, cumulative);
            }
            let inf = [labels[0], labels[1], ("le", "+Inf")];
            sample(&mut out, &format!("{name}_bucket"), &inf, h.count);
            sample(&mut out, &format!("{name}_sum"), &labels, h.sum);
            sample(&mut out, &format!("{name}_count"), &labels, h.count);
        }
        family(
            &mut out,
            "waybill_serve_execs_total",
            "counter",
            "Steps run in containers by jobs of this server, by engine.",
        );
        for (engine, (n, _)) in &inner.execs {
            sample(
                &mut out,
                "waybill_serve_execs_total",
                &[("engine", engine)],
                n,
            );
        }
        family(
            &mut out,
            "waybill_serve_exec_errors_total",
            "counter",
            "Steps that ended in an engine error (outcome error), by engine.",
        );
        for (engine, (_, n)) in &inner.execs {
            sample(
                &mut out,
                "waybill_serve_exec_errors_total",
                &[("engine", engine)],
                n,
            );
        }
        family(
            &mut out,
            "waybill_serve_engine_up",
            "gauge",
            "1 if the engine answered when last asked (by /healthz or a job), else 0.",
        );
        for (engine, (up, _)) in &inner.engines {
            sample(
                &mut out,
                "waybill_serve_engine_up",
                &[("engine", engine)],
                u8::from(*up),
            );
        }
        family(
            &mut out,
            "waybill_serve_engine_checked_age_seconds",
            "gauge",
            "Seconds since the engine's connection state was last learned.",
        );
        for (engine, (_, at)) in &inner.engines {
            sample(
                &mut out,
                "waybill_serve_engine_checked_age_seconds",
                &[("engine", engine)],
                (now - at).max(0),
            );
        }
        for (name, help) in [
            (
                "waybill_serve_container_last_success",
                "1 if the container's last VALIDATE or MONITOR run by this server ended done, else 0.",
            ),
            (
                "waybill_serve_container_last_exit_code",
                "The exit code of the container's last VALIDATE or MONITOR run by this server, when it ran to an end.",
            ),
            (
                "waybill_serve_container_last_age_seconds",
                "Seconds since the container's last VALIDATE or MONITOR run by this server.",
            ),
        ] {
            family(&mut out, name, "gauge", help);
            for ((engine, container, action), last) in &inner.containers {
                let labels = [
                    ("engine", engine.as_str()),
                    ("container", container.as_str()),
                    ("action", action.as_str()),
                ];
                match name {
                    "waybill_serve_container_last_success" => {
                        sample(&mut out, name, &labels, u8::from(last.ok));
                    }
                    "waybill_serve_container_last_exit_code" => {
                        if let Some(code) = last.exit_code {
                            sample(&mut out, name, &labels, code);
                        }
                    }
                    _ => sample(&mut out, name, &labels, (now - last.at).max(0)),
                }
            }
        }
        let name = "waybill_serve_swarm_task_validations_total";
        family(
            &mut out,
            name,
            "counter",
            "VALIDATE runs of new Swarm tasks after their start (engine events), by service and result (done, failed).",
        );
        for (service, tasks) in &inner.services {
            for (result, n) in [("done", tasks.done), ("failed", tasks.failed)] {
                sample(
                    &mut out,
                    name,
                    &[("service", service), ("result", result)],
                    n,
                );
            }
        }
        let name = "waybill_serve_swarm_service_last_validate_success";
        family(
            &mut out,
            name,
            "gauge",
            "1 if the newest VALIDATE of a new task of the Swarm service ended done, else 0.",
        );
        for (service, tasks) in &inner.services {
            sample(
                &mut out,
                name,
                &[("service", service)],
                u8::from(tasks.last_ok),
            );
        }
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(label);
            out.push_str("=\"");
            escape_value(out, value);
            out.push('"');
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prometheus::{lint, validate, Item, Parser};

    fn step(engine: &str, container: &str, action: &str, outcome: &str) -> StepRecord {
        StepRecord {
            engine: engine.into(),
            container: container.into(),
            action: action.into(),
            outcome: outcome.into(),
            exit_code: (outcome == "done").then_some(0).or(Some(2)),
            reason: None,
            duration_ms: 1500,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
        }
    }

    #[test]
    fn an_empty_registry_is_a_valid_exposition() {
        let text = Metrics::default().render(0);
        assert_eq!(validate(text.as_bytes()), Ok(()));
        assert_eq!(lint(text.as_bytes()).unwrap(), vec![]);
    }

    #[test]
    fn every_series_is_valid_and_hostile_names_are_escaped() {
        let m = Metrics::default();
        m.received("github");
        m.received("none");
        m.rejected("github", Reject::InvalidSignature);
        m.rejected("none", Reject::UnknownHook);
        m.engine("tcp://a\"b\\c\nd", true, 100);
        m.engine("down", false, 90);
        let evil = "web\"1\\\n} 9\n# TYPE x counter";
        m.job(
            "update",
            Status::Done,
            &[
                step("e1", evil, "update", "done"),
                step("e1", evil, "validate", "done"),
                step("e1", "db", "monitor", "failed"),
                step("e1", "db", "validate", "not_reached"),
                step("e2", "x", "update", "error"),
            ],
            100,
        );
        m.job("validate", Status::Interrupted, &[], 100);
        m.service_task_validated("web", true, 100);
        m.service_task_validated("web", false, 110);
        m.service_task_validated(evil, true, 110);
        let text = m.render(130);
        assert_eq!(validate(text.as_bytes()), Ok(()), "{text}");
        assert_eq!(lint(text.as_bytes()).unwrap(), vec![], "{text}");
        // The hostile name comes back whole, as one label value.
        let containers: Vec<String> = Parser::new(text.as_bytes())
            .filter_map(|l| match l.unwrap().item {
                Item::Sample(s) if s.name == "waybill_serve_container_last_success" => s
                    .labels
                    .iter()
                    .find(|l| l.name == "container")
                    .map(|l| l.value().into_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(containers, vec!["db".to_owned(), evil.to_owned()]);
        for line in [
            "waybill_serve_hooks_rejected_total{forge=\"github\",reason=\"invalid_signature\"} 1",
            "waybill_serve_jobs_total{action=\"update\",result=\"done\"} 1",
            "waybill_serve_jobs_total{action=\"validate\",result=\"interrupted\"} 1",
            "waybill_serve_action_duration_seconds_bucket{action=\"update\",outcome=\"done\",le=\"1\"} 0",
            "waybill_serve_action_duration_seconds_bucket{action=\"update\",outcome=\"done\",le=\"2.5\"} 1",
            "waybill_serve_action_duration_seconds_bucket{action=\"update\",outcome=\"done\",le=\"+Inf\"} 1",
            "waybill_serve_action_duration_seconds_sum{action=\"update\",outcome=\"done\"} 1.5",
            "waybill_serve_execs_total{engine=\"e1\"} 3",
            "waybill_serve_exec_errors_total{engine=\"e2\"} 1",
            "waybill_serve_engine_up{engine=\"down\"} 0",
            "waybill_serve_engine_up{engine=\"tcp://a\\\"b\\\\c\\nd\"} 1",
            "waybill_serve_engine_checked_age_seconds{engine=\"down\"} 40",
            "waybill_serve_container_last_success{engine=\"e1\",container=\"db\",action=\"monitor\"} 0",
            "waybill_serve_container_last_exit_code{engine=\"e1\",container=\"db\",action=\"monitor\"} 2",
            "waybill_serve_container_last_age_seconds{engine=\"e1\",container=\"db\",action=\"monitor\"} 30",
            "waybill_serve_swarm_task_validations_total{service=\"web\",result=\"done\"} 1",
            "waybill_serve_swarm_task_validations_total{service=\"web\",result=\"failed\"} 1",
            "waybill_serve_swarm_service_last_validate_success{service=\"web\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing `{line}`:\n{text}");
        }
        // A step never reached leaves no last result behind.
        assert!(!text.contains("container=\"db\",action=\"validate\""));
    }

    #[test]
    fn containers_are_bounded_oldest_first() {
        let m = Metrics::default();
        for i in 0..MAX_CONTAINERS + 5 {
            let s = step("e", &format!("c{i}"), "validate", "done");
            m.job("validate", Status::Done, &[s], i as i64);
        }
        let inner = m.lock();
        assert_eq!(inner.containers.len(), MAX_CONTAINERS);
        assert!(!inner
            .containers
            .contains_key(&("e".into(), "c0".into(), "validate".into())));
    }
}
