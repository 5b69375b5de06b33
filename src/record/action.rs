//! The five lifecycle actions an image can declare a method for.
//!
//! This module only names the actions and the record fields that carry
//! them; running an action lives in `container::action_run`.

use std::fmt;

/// A lifecycle action, in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Start,
    Update,
    Validate,
    Monitor,
    Metrics,
}

impl Action {
    /// Every action, in report order.
    pub const ALL: [Action; 5] = [
        Action::Start,
        Action::Update,
        Action::Validate,
        Action::Monitor,
        Action::Metrics,
    ];

    /// The upper-case name used in reports: `START`, `UPDATE`, ...
    pub fn label(self) -> &'static str {
        match self {
            Action::Start => "START",
            Action::Update => "UPDATE",
            Action::Validate => "VALIDATE",
            Action::Monitor => "MONITOR",
            Action::Metrics => "METRICS",
        }
    }

    /// The lower-case name used in JSON output and the state file.
    pub fn key(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Update => "update",
            Action::Validate => "validate",
            Action::Monitor => "monitor",
            Action::Metrics => "metrics",
        }
    }

    /// The record field holding this action's method, e.g. `update_method`.
    pub fn method_field(self) -> &'static str {
        match self {
            Action::Start => "start_method",
            Action::Update => "update_method",
            Action::Validate => "validate_method",
            Action::Monitor => "monitor_method",
            Action::Metrics => "metrics_method",
        }
    }

    /// The record field holding this action's timeout in seconds, e.g.
    /// `update_timeout`. START has none: it runs for the container's life.
    pub fn timeout_field(self) -> Option<&'static str> {
        match self {
            Action::Start => None,
            Action::Update => Some("update_timeout"),
            Action::Validate => Some("validate_timeout"),
            Action::Monitor => Some("monitor_timeout"),
            Action::Metrics => Some("metrics_timeout"),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
