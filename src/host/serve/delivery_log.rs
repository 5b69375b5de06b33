//! The recent webhook deliveries of each hook, for the hooks page:
//! accepted, duplicate, ignored and refused ones with the reason.
//!
//! Fed where [`super::http`] decides each request's outcome. A ring of
//! [`PER_HOOK`] entries per configured hook, in memory only (the
//! lasting records are the log line and `deliveries.log`); a request to
//! a hook that is not configured is not kept, so a stranger cannot grow
//! it.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Deliveries kept per hook.
pub const PER_HOOK: usize = 50;

/// One delivery as the hooks page shows it. Every text field came from
/// the request and is untrusted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    /// Epoch seconds.
    pub at: i64,
    pub forge: String,
    pub delivery: Option<String>,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// `job 12`, `duplicate`, `ignored: …`, or why it was refused.
    pub outcome: String,
}

impl Delivery {
    pub fn refused(&self) -> bool {
        self.status >= 400
    }
}

/// One ring per configured hook, in the config's order.
pub struct DeliveryLog {
    rings: Vec<Mutex<VecDeque<Delivery>>>,
}

impl DeliveryLog {
    pub fn new(hooks: usize) -> DeliveryLog {
        DeliveryLog {
            rings: (0..hooks).map(|_| Mutex::new(VecDeque::new())).collect(),
        }
    }

    /// Files a delivery for hook `index`; the oldest goes past the bound.
    pub fn record(&self, index: usize, delivery: Delivery) {
        let Some(ring) = self.rings.get(index) else {
            return;
        };
        let mut ring = ring.lock().unwrap_or_else(|p| p.into_inner());
        if ring.len() >= PER_HOOK {
            ring.pop_front();
        }
        ring.push_back(delivery);
    }

    /// Hook `index`'s deliveries, newest first.
    pub fn recent(&self, index: usize) -> Vec<Delivery> {
        self.rings.get(index).map_or_else(Vec::new, |ring| {
            let ring = ring.lock().unwrap_or_else(|p| p.into_inner());
            ring.iter().rev().cloned().collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(n: i64) -> Delivery {
        Delivery {
            at: n,
            forge: "github".into(),
            delivery: None,
            repository: None,
            git_ref: None,
            status: 202,
            outcome: format!("job {n}"),
        }
    }

    #[test]
    fn each_hook_keeps_its_newest_deliveries_first_and_bounded() {
        let log = DeliveryLog::new(2);
        for n in 0..(PER_HOOK as i64 + 3) {
            log.record(0, delivery(n));
        }
        log.record(7, delivery(0));
        let recent = log.recent(0);
        assert_eq!(recent.len(), PER_HOOK);
        assert_eq!(recent[0].at, PER_HOOK as i64 + 2);
        assert!(log.recent(1).is_empty());
    }
}
