//! Runtime facts about a container, as the examine report carries them.
//!
//! Only the model: the container side fills it from the runtime state
//! file, the kernel (hostname) and documented environment variables a
//! deploy tool sets ([`crate::container::runtime`]). The types here are
//! owned so that the host can read them back from
//! `container --examine --json`. An UPDATE's result carries the push it
//! was run for, so the report shows which revision a container was last
//! updated to.

use serde::{Deserialize, Serialize};
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

/// The environment variables `waybill serve` gives an UPDATE a push
/// started: the pushed repository, ref and revision. Documented in
/// docs/serve.md and docs/actions.md.
pub const PUSH_REPOSITORY_VAR: &str = "WAYBILL_PUSH_REPOSITORY";
pub const PUSH_REF_VAR: &str = "WAYBILL_PUSH_REF";
pub const PUSH_REVISION_VAR: &str = "WAYBILL_PUSH_REVISION";

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runtime {
    pub hostname: Option<String>,
    pub first_started_at: Option<i64>,
    pub last_started_at: Option<i64>,
    pub start_count: u64,
    /// The latest result of each action that has run, by action key.
    pub last: BTreeMap<String, ActionResult>,
    /// Deploy facts from the environment, by variable name.
    pub deploy: BTreeMap<String, String>,
}

/// How the latest run of an action ended. The state file stores it as
/// it is, so its JSON shape is part of both formats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// Epoch seconds when it finished.
    pub at: i64,
    pub outcome: Outcome,
    /// The exit code `container` reported for it.
    pub exit_code: u8,
    pub duration_ms: u64,
    /// UPDATE only: the pushed revision it was run for, and its ref and
    /// repository, from the `PUSH_*_VAR` environment; absent when it was
    /// run by hand. Flat rather than one nested object: a second struct's
    /// reader costs the static `container` some 2 KB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The method exited 0.
    Ok,
    /// The method exited non-zero, or its output was rejected.
    Failed,
    /// The method ran past its timeout and was killed.
    TimedOut,
    /// The method was killed by a signal.
    Killed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed out",
            Outcome::Killed => "killed",
        }
    }
}
