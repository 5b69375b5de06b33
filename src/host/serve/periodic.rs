//! `[[schedule]]` entries: VALIDATE or MONITOR on a selection every
//! interval, plus up to the jitter, as jobs with trigger `schedule`.
//!
//! Each entry has its own lane in the [`super::scheduler`], so a run
//! still going when the next is due queues one follow-up rather than a
//! pile; the runner's per-engine exec cap bounds each run. The latest
//! result per container is the newest such job in `/jobs` (and the
//! container's own runtime state).

use super::job::{Selection, Trigger};
use super::scheduler::{Refused, Request};
use super::State;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Starts one local task per schedule; they run until aborted or the
/// server refuses jobs.
pub(crate) fn start(state: &Arc<State>) -> Vec<JoinHandle<()>> {
    (0..state.config.schedules.len())
        .map(|index| tokio::task::spawn_local(run(state.clone(), index)))
        .collect()
}

async fn run(state: Arc<State>, index: usize) {
    let schedule = state.config.schedules[index].clone();
    loop {
        tokio::time::sleep(schedule.interval + jitter(schedule.jitter)).await;
        let request = Request {
            lane: format!("schedule\0{index}"),
            action: schedule.action,
            trigger: Trigger {
                kind: "schedule".into(),
                ..Trigger::default()
            },
            selection: Selection {
                project: schedule.select.project.clone(),
                labels: schedule.select.labels.clone(),
                services: schedule.select.services.clone(),
                all: schedule.all,
                ..Selection::default()
            },
            batch: None,
        };
        match state.scheduler.submit(&state, request) {
            Ok(job) => tracing::info!(schedule = index, job = job.id, "scheduled run filed"),
            Err(Refused::ShuttingDown) => return,
            Err(why) => tracing::warn!(schedule = index, "scheduled run skipped: {}", why.as_str()),
        }
    }
}

/// A random duration up to `max` (whole milliseconds).
fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let millis = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return Duration::ZERO;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(super::unique_number());
    Duration::from_millis(h.finish() % (millis + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_bound() {
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(50)) <= Duration::from_millis(50));
        }
    }
}
