//! Stopping a run early: once [`Stop::stop`] is called no new step
//! starts (those left are `not_reached`); steps already running go on to
//! their end or their deadline. Cloned handles share one flag, so a
//! signal handler, a server's shutdown or a test can each hold one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Asks the run to start nothing new.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
