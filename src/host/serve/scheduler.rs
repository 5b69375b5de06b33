//! When jobs run: one lane per target set, and coalescing within it.
//!
//! A push's lane is its hook plus the pushed repository and branch, so
//! pushes that would update the same containers share it. While a lane
//! runs a job, the first push to arrive queues one follow-up job; later
//! ones only replace that follow-up's revision (and count as coalesced),
//! so a burst of pushes gives exactly one more run, with the newest
//! revision. Operator jobs get a lane of their own. Jobs run as tokio
//! tasks tracked here, so shutdown can wait for them and then cut them.

use super::job::Trigger;
use super::State;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;

#[derive(Default)]
pub struct Scheduler {
    lanes: Mutex<HashMap<String, Lane>>,
    tasks: Mutex<JoinSet<()>>,
    idle: tokio::sync::Notify,
    closed: AtomicBool,
}

#[derive(Default)]
struct Lane {
    running: Option<u64>,
    pending: Option<u64>,
}

/// What became of a submitted job.
pub struct Submitted {
    pub id: u64,
    /// Folded into a follow-up job that was already queued.
    pub coalesced: bool,
}

/// A job to file: its action, trigger and selection.
pub struct Request {
    pub lane: String,
    pub action: &'static str,
    pub trigger: Trigger,
    pub selection: super::job::Selection,
}

impl Scheduler {
    /// Files `request` as a job, or folds it into its lane's queued one;
    /// `None` once shutdown has begun.
    pub fn submit(&self, state: &Arc<State>, request: Request) -> Option<Submitted> {
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        let mut lanes = lock(&self.lanes);
        let lane = lanes.entry(request.lane.clone()).or_default();
        if lane.running.is_none() {
            let job = state.history.create(
                request.action,
                request.trigger,
                request.selection,
                super::now(),
            );
            lane.running = Some(job.id);
            let state = state.clone();
            let key = request.lane;
            let mut tasks = lock(&self.tasks);
            // Reap finished tasks so the set stays as small as the work.
            while tasks.try_join_next().is_some() {}
            tasks.spawn(run_lane(state, key, job.id));
            return Some(Submitted {
                id: job.id,
                coalesced: false,
            });
        }
        if let Some(pending) = lane.pending {
            let newest = request.trigger;
            state.history.update(pending, |job| {
                let folded = job.trigger.coalesced + 1;
                job.trigger = Trigger {
                    coalesced: folded,
                    ..newest
                };
            });
            return Some(Submitted {
                id: pending,
                coalesced: true,
            });
        }
        let job = state.history.create(
            request.action,
            request.trigger,
            request.selection,
            super::now(),
        );
        lane.pending = Some(job.id);
        Some(Submitted {
            id: job.id,
            coalesced: false,
        })
    }

    /// Refuses new jobs from now on.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Resolves once no lane runs a job.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if lock(&self.lanes).is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Cuts every job task still running.
    pub fn abort_all(&self) {
        lock(&self.tasks).abort_all();
    }
}

/// Runs a lane's jobs one after another until none is queued.
async fn run_lane(state: Arc<State>, key: String, first: u64) {
    let mut id = first;
    loop {
        super::execute::execute(&state, id).await;
        let mut lanes = lock(&state.scheduler.lanes);
        let Some(lane) = lanes.get_mut(&key) else {
            return;
        };
        match lane.pending.take() {
            Some(next) => {
                lane.running = Some(next);
                id = next;
            }
            None => {
                lanes.remove(&key);
                if lanes.is_empty() {
                    state.scheduler.idle.notify_waiters();
                }
                return;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
