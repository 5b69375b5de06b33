//! waybill's own gauges: each container's last MONITOR and VALIDATE
//! results, from its runtime state (the same state `waybill ls --state`
//! shows, fetched by [`crate::host::fleet::discover`]).
//!
//! A container that never ran an action has no sample for it: absence
//! says "never ran", which no value could say without lying.

use super::merge::{Merger, Origin};
use crate::exit::nagios;
use crate::record::Action;
use crate::report::{ActionResult, Outcome};
use std::collections::BTreeMap;

pub const MONITOR_STATUS: &str = "waybill_monitor_status";
pub const MONITOR_LAST_RUN: &str = "waybill_monitor_last_run_timestamp_seconds";
pub const VALIDATE_OK: &str = "waybill_validate_ok";
pub const VALIDATE_LAST_RUN: &str = "waybill_validate_last_run_timestamp_seconds";

/// The status families and their HELP, in the order printed.
pub(super) const FAMILIES: [(&str, &str); 4] = [
    (
        MONITOR_STATUS,
        "Nagios code of the container's last MONITOR run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    ),
    (
        MONITOR_LAST_RUN,
        "When the container's last MONITOR run finished, in seconds since the epoch.",
    ),
    (
        VALIDATE_OK,
        "1 if the container's last VALIDATE run succeeded, else 0.",
    ),
    (
        VALIDATE_LAST_RUN,
        "When the container's last VALIDATE run finished, in seconds since the epoch.",
    ),
];

/// The Nagios code a MONITOR result stands for: its exit code when that
/// is one (the tool maps others to UNKNOWN already), else UNKNOWN (a
/// timeout or a method that could not start).
pub fn monitor_code(result: &ActionResult) -> u8 {
    if result.exit_code <= nagios::UNKNOWN {
        result.exit_code
    } else {
        nagios::UNKNOWN
    }
}

/// Whether a VALIDATE result is a success.
pub fn validate_ok(result: &ActionResult) -> bool {
    result.outcome == Outcome::Ok && result.exit_code == 0
}

impl Merger {
    /// Adds the status gauges of one container from the last result of
    /// each action (by action key, as the state file stores them).
    pub fn add_status(&mut self, origin: &Origin, last: &BTreeMap<String, ActionResult>) {
        if let Some(monitor) = last.get(Action::Monitor.key()) {
            self.add_own(MONITOR_STATUS, origin, &monitor_code(monitor).to_string());
            self.add_own(MONITOR_LAST_RUN, origin, &monitor.at.to_string());
        }
        if let Some(validate) = last.get(Action::Validate.key()) {
            let ok = if validate_ok(validate) { "1" } else { "0" };
            self.add_own(VALIDATE_OK, origin, ok);
            self.add_own(VALIDATE_LAST_RUN, origin, &validate.at.to_string());
        }
    }
}
