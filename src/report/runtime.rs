//! Runtime facts about a container, as the examine report carries them.
//!
//! Only the model: the container side fills it from the runtime state
//! file, the kernel (hostname) and documented environment variables a
//! deploy tool sets ([`crate::container::runtime`]). The types here are
//! owned so that the host can read them back from
//! `container --examine --json`.

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
