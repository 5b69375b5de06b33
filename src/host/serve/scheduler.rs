//! When jobs run: one lane per target set, and coalescing within it.
//!
//! A push's lane is its hook plus the pushed repository and branch, so
//! pushes that would update the same containers share it. While a lane
//! runs a job, the first push to arrive queues one follow-up job; later
//! ones only replace that follow-up's revision (and count as coalesced),
//! so a burst of pushes gives exactly one more run, with the newest
//! revision. Operator jobs get a lane of their own. Lanes run as local
//! tasks of the server ([`super::run`]), which waits for them at shutdown
//! and then cuts them.

use super::job::Trigger;
use super::State;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

#[derive(Default)]
pub struct Scheduler {
    lanes: Mutex<HashMap<String, Lane>>,
    /// Hands a lane's first job to the task that runs lanes (the
    /// runner's futures are not `Send`, so they run on a `LocalSet`).
    starter: Mutex<Option<UnboundedSender<(String, u64)>>>,
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

/// Why a job was not filed (503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    ShuttingDown,
    /// [`MAX_LANES`] lanes are busy already.
    Busy,
}

impl Refused {
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::ShuttingDown => "the server is shutting down",
            Refused::Busy => "too many jobs are running; retry later",
        }
    }
}

/// Lanes that may run at once: distinct repositories, branches and
/// operator jobs. Past it new work is refused rather than queued without
/// bound (the runner's exec caps still bound each lane's execs).
pub const MAX_LANES: usize = 64;

/// A job to file: its action, trigger and selection.
pub struct Request {
    pub lane: String,
    pub action: &'static str,
    pub trigger: Trigger,
    pub selection: super::job::Selection,
    /// A job by hand: containers at a time (see [`super::job::Job::batch`]).
    pub batch: Option<usize>,
}

impl Scheduler {
    /// Files `request` as a job, or folds it into its lane's queued one.
    pub fn submit(&self, state: &Arc<State>, request: Request) -> Result<Submitted, Refused> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Refused::ShuttingDown);
        }
        let mut lanes = lock(&self.lanes);
        if !lanes.contains_key(&request.lane) && lanes.len() >= MAX_LANES {
            return Err(Refused::Busy);
        }
        let lane = lanes.entry(request.lane.clone()).or_default();
        if lane.running.is_none() {
            let job = state.history.create(
                request.action,
                request.trigger,
                request.selection,
                request.batch,
                super::now(),
            );
            lane.running = Some(job.id);
            let sent = lock(&self.starter)
                .as_ref()
                .is_some_and(|tx| tx.send((request.lane.clone(), job.id)).is_ok());
            if !sent {
                lanes.remove(&request.lane);
                return Err(Refused::ShuttingDown);
            }
            return Ok(Submitted {
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
            return Ok(Submitted {
                id: pending,
                coalesced: true,
            });
        }
        let job = state.history.create(
            request.action,
            request.trigger,
            request.selection,
            request.batch,
            super::now(),
        );
        lane.pending = Some(job.id);
        Ok(Submitted {
            id: job.id,
            coalesced: false,
        })
    }

    /// Where lanes are started from; set once by the server.
    pub fn set_starter(&self, tx: UnboundedSender<(String, u64)>) {
        *lock(&self.starter) = Some(tx);
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

    /// Stops handing out lanes.
    pub fn drop_starter(&self) {
        lock(&self.starter).take();
    }
}

/// Runs a lane's jobs one after another until none is queued.
pub async fn run_lane(state: Arc<State>, key: String, first: u64) {
    let mut id = first;
    loop {
        super::execute::execute(&state, id).await;
        let mut lanes = lock(&state.scheduler.lanes);
        let Some(lane) = lanes.get_mut(&key) else {
            return;
        };
        // Once shutdown has begun a queued follow-up does not start: it
        // is recorded interrupted with the rest.
        let closing = state.scheduler.closed.load(Ordering::SeqCst);
        match lane.pending.take().filter(|_| !closing) {
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
