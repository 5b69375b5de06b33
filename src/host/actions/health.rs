//! `--wait-healthy`: after an UPDATE, wait until Docker's HEALTHCHECK
//! reports the container healthy from a probe that ran after the UPDATE
//! began, within `--health-timeout`. A status left over from before the
//! update does not count, so the probe seen before the step starts is
//! remembered and a newer one awaited.

use super::outcome::{Outcome, StepKind};
use super::plan::Target;
use super::report::StepResult;
use super::step::Context;
use crate::host::engine::{EngineError, RunState};
use std::time::{Duration, Instant};

/// How often the engine is asked while waiting.
const POLL: Duration = Duration::from_millis(500);

/// The newest probe before the UPDATE: None when the container has no
/// health check (or the engine cannot say), which skips the wait.
pub(super) async fn probe_before(target: &Target) -> Option<Option<String>> {
    if !target.has_health_check {
        return None;
    }
    match target.engine.engine.health(&target.id).await {
        Ok(health) if health.status.is_some() => Some(health.last_probe),
        _ => Some(None),
    }
}

/// Waits for a healthy report from a probe other than `before`.
pub(super) async fn wait_healthy(
    ctx: &Context<'_>,
    target: &Target,
    before: Option<String>,
    batch: Option<usize>,
) -> StepResult {
    let step = StepKind::WaitHealthy;
    ctx.observer.started(target, step);
    let started = Instant::now();
    let limit = ctx.options.health_timeout;
    let mut last_status;
    let (outcome, reason) = loop {
        match target.engine.engine.health(&target.id).await {
            Ok(health) if health.state != RunState::Running => {
                break (
                    Outcome::Error,
                    Some(format!(
                        "the container stopped while waiting for it to be healthy (now {})",
                        health.state
                    )),
                )
            }
            Ok(health) => {
                let status = health.status.clone().unwrap_or_else(|| "none".into());
                let fresh = health.last_probe.is_some() && health.last_probe != before;
                if fresh && status == "healthy" {
                    break (Outcome::Done, None);
                }
                last_status = match (&health.last_exit, &health.last_output) {
                    (Some(code), Some(output)) if fresh && code != &0 => {
                        format!("{status}; the last probe exited {code}: {}", output.trim())
                    }
                    _ => status,
                };
            }
            Err(EngineError::NotFound { .. }) => {
                break (
                    Outcome::Error,
                    Some("the container was removed while waiting for it".to_owned()),
                )
            }
            Err(e) => last_status = format!("the engine did not answer: {e}"),
        }
        if ctx.stop.is_stopped() {
            break (
                Outcome::NotReached,
                Some("interrupted while waiting for the container to be healthy".to_owned()),
            );
        }
        if started.elapsed() >= limit {
            break (
                Outcome::Failed,
                Some(format!(
                    "not healthy within {} s (last: {last_status})",
                    limit.as_secs()
                )),
            );
        }
        tokio::time::sleep(POLL).await;
    };
    let mut result = StepResult::new(target, step, batch, outcome);
    result.reason = reason;
    result.duration = started.elapsed();
    result
}
