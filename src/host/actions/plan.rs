//! What a run is asked to do: the action, the containers, and how.

use super::report::EngineFailure;
use crate::host::engine::RunState;
use crate::host::fleet::EngineTarget;
use crate::record::Action;
use crate::report::{ActionResult, Report};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// One selected container, with what the runner needs to know of it.
#[derive(Clone)]
pub struct Target {
    /// The engine it lives on; shared by every target there.
    pub engine: Arc<EngineTarget>,
    pub container: String,
    pub id: String,
    pub image: String,
    /// The project of the container's own image's record, when known.
    pub project: Option<String>,
    /// Its state when selected: only a running container is exec'd.
    pub state: RunState,
    /// Whether its image has a Docker HEALTHCHECK.
    pub has_health_check: bool,
    /// Each action's effective timeout in seconds, from its records.
    pub timeouts: BTreeMap<Action, u64>,
    /// The latest result of each action that has run, by action key,
    /// from its runtime state: empty unless selected with state
    /// ([`super::select_targets_with_state`]; `waybill metrics`' status
    /// gauges).
    pub last: BTreeMap<String, ActionResult>,
}

/// Each action's effective timeout in seconds, from a report's methods
/// (none without a report, or for a method without a timeout).
pub fn timeouts_of(report: Option<&Report>) -> BTreeMap<Action, u64> {
    let Some(report) = report else {
        return BTreeMap::new();
    };
    Action::ALL
        .iter()
        .filter_map(|action| {
            let method = report.methods.get(action.key())?.as_ref()?;
            Some((*action, method.timeout_seconds?))
        })
        .collect()
}

impl Target {
    /// The engine's name, as every output row shows it.
    pub fn engine_name(&self) -> &str {
        &self.engine.name
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("engine", &self.engine.name)
            .field("container", &self.container)
            .field("id", &self.id)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// How to run: concurrency, rollout, deadlines, output bounds.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Execs running at once over all engines.
    pub parallel: usize,
    /// Execs running at once on one engine (the engine slows down past
    /// 16-20 concurrent execs).
    pub per_engine: usize,
    /// A rolling rollout, this many containers at a time, in the order
    /// engine name then container name; None runs every target at once
    /// (within the caps).
    pub batch: Option<usize>,
    /// With `batch`: count engines, not containers: each batch is every
    /// target of `batch` engines (a Swarm rollout node by node, each
    /// node's engine being one).
    pub batch_by_engine: bool,
    /// After a done UPDATE, run VALIDATE in the same container.
    pub validate_after_update: bool,
    /// After a done UPDATE (and its VALIDATE), wait for a container with
    /// a HEALTHCHECK to report healthy from a probe run after the UPDATE.
    pub wait_healthy: bool,
    pub health_timeout: Duration,
    /// Failed containers a rollout tolerates; one more stops it.
    pub max_failures: usize,
    /// The host-side deadline of each exec; None: the record's action
    /// timeout plus [`RunOptions::margin`], or
    /// [`RunOptions::undeclared_deadline`] when the record has none.
    pub timeout: Option<Duration>,
    pub margin: Duration,
    pub undeclared_deadline: Duration,
    /// Bytes kept of each stream of each exec (the tail).
    pub max_output: usize,
    /// Environment given to each UPDATE exec (not to VALIDATE or the
    /// others): `waybill serve` passes the pushed repository, ref and
    /// revision this way (docs/serve.md).
    pub update_env: Vec<(String, String)>,
}

/// Defaults of the command line (docs/fleet-actions.md).
pub const DEFAULT_PARALLEL: usize = 32;
pub const DEFAULT_PER_ENGINE: usize = 8;
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(120);
/// Over the record's timeout: `container` sends TERM at the timeout and
/// KILL 3 s later, then reports; the engine adds its own latency.
pub const DEFAULT_MARGIN: Duration = Duration::from_secs(15);
/// When no record declares a timeout for the action, `container` sets
/// none; the host still stops waiting after this long.
pub const UNDECLARED_DEADLINE: Duration = Duration::from_secs(600);
pub const DEFAULT_MAX_OUTPUT: usize = 64 * 1024;

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            parallel: DEFAULT_PARALLEL,
            per_engine: DEFAULT_PER_ENGINE,
            batch: None,
            batch_by_engine: false,
            validate_after_update: true,
            wait_healthy: false,
            health_timeout: DEFAULT_HEALTH_TIMEOUT,
            max_failures: 0,
            timeout: None,
            margin: DEFAULT_MARGIN,
            undeclared_deadline: UNDECLARED_DEADLINE,
            max_output: DEFAULT_MAX_OUTPUT,
            update_env: Vec::new(),
        }
    }
}

impl RunOptions {
    /// The host-side deadline of one exec of `action` in `target`.
    pub fn deadline(&self, target: &Target, action: Action) -> Duration {
        if let Some(timeout) = self.timeout {
            return timeout;
        }
        match target.timeouts.get(&action) {
            Some(seconds) => Duration::from_secs(*seconds).saturating_add(self.margin),
            None => self.undeclared_deadline,
        }
    }
}

/// A run: the action, its targets, and how. Engines that could not be
/// reached or listed while selecting are carried into the report.
#[derive(Debug, Clone)]
pub struct Plan {
    pub action: Action,
    pub targets: Vec<Target>,
    pub options: RunOptions,
    pub engine_errors: Vec<EngineFailure>,
}
