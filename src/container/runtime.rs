//! Runtime facts about this container, for the examine report.
//!
//! They come from the runtime state file (starts and action results), the
//! kernel (hostname) and documented environment variables that a deploy
//! tool sets on the container. The environment is read through a function
//! so tests can supply their own.

use super::state::{ActionResult, State};
use crate::record::Action;
use serde::Serialize;
use std::collections::BTreeMap;

/// The environment variables a deploy tool may set, with their report
/// labels. Documented in docs/metadata.md.
pub const DEPLOY_VARS: [(&str, &str); 5] = [
    ("WAYBILL_DEPLOYED_AT", "Deployed At"),
    ("WAYBILL_DEPLOYED_BY", "Deployed By"),
    ("WAYBILL_DEPLOY_REASON", "Deploy Reason"),
    ("WAYBILL_DEPLOY_NODE", "Deploy Node"),
    ("WAYBILL_DEPLOY_ENV", "Environment"),
];

#[derive(Debug, Default, Serialize)]
pub struct Runtime {
    pub hostname: Option<String>,
    pub first_started_at: Option<i64>,
    pub last_started_at: Option<i64>,
    pub start_count: u64,
    /// The latest result of each action that has run, by action key.
    pub last: BTreeMap<&'static str, ActionResult>,
    /// Deploy facts from the environment, by variable name.
    pub deploy: BTreeMap<&'static str, String>,
}

impl Runtime {
    pub fn gather(state: Option<State>, env: impl Fn(&str) -> Option<String>) -> Runtime {
        let state = state.unwrap_or_default();
        Runtime {
            hostname: nix::unistd::gethostname()
                .ok()
                .map(|h| h.to_string_lossy().into_owned()),
            first_started_at: state.first_started_at,
            last_started_at: state.last_started_at,
            start_count: state.start_count,
            last: Action::ALL
                .iter()
                .filter_map(|&a| state.last(a).map(|r| (a.key(), r.clone())))
                .collect(),
            deploy: DEPLOY_VARS
                .iter()
                .filter_map(|&(var, _)| env(var).filter(|v| !v.is_empty()).map(|v| (var, v)))
                .collect(),
        }
    }
}
