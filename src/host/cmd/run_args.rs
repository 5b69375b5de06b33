//! The run flags shared by every command that runs an action across the
//! fleet: concurrency and deadlines ([`ParallelArgs`], also `waybill
//! metrics`'s) and the rollout ([`RolloutArgs`]; UPDATE adds
//! [`UpdateArgs`]). They turn into [`RunOptions`]; the runner is
//! [`crate::host::actions`].

use crate::host::actions::RunOptions;
use clap::Args;
use std::num::NonZeroUsize;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct ParallelArgs {
    /// Execs running at once over all engines
    #[arg(long, value_name = "N", default_value = "32")]
    pub parallel: NonZeroUsize,
    /// Execs running at once on one engine
    #[arg(long, value_name = "N", default_value = "8")]
    pub per_engine: NonZeroUsize,
    /// Host-side deadline of each exec, in seconds (default: the record's
    /// action timeout plus 15 s; 600 s when it declares none)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct RolloutArgs {
    /// A rolling run, N containers at a time, in the order engine name
    /// then container name; it stops after more than --max-failures
    /// failed containers
    #[arg(long, value_name = "N")]
    pub batch: Option<NonZeroUsize>,
    /// Failed containers a --batch rollout goes on after
    #[arg(long, value_name = "N", default_value = "0", requires = "batch")]
    pub max_failures: usize,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// Do not run VALIDATE after each done UPDATE
    #[arg(long)]
    pub no_validate: bool,
    /// After each UPDATE, wait for a container with a Docker HEALTHCHECK
    /// to report healthy from a new probe
    #[arg(long)]
    pub wait_healthy: bool,
    /// How long --wait-healthy waits, in seconds
    #[arg(
        long,
        value_name = "SECS",
        default_value = "120",
        requires = "wait_healthy",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub health_timeout: u64,
}

impl ParallelArgs {
    /// The run options these flags give; the rest stay at their defaults.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            parallel: self.parallel.get(),
            per_engine: self.per_engine.get(),
            timeout: self.timeout.map(Duration::from_secs),
            ..RunOptions::default()
        }
    }
}

impl RolloutArgs {
    pub fn apply(&self, options: &mut RunOptions) {
        options.batch = self.batch.map(NonZeroUsize::get);
        options.max_failures = self.max_failures;
    }
}

impl UpdateArgs {
    pub fn apply(&self, options: &mut RunOptions) {
        options.validate_after_update = !self.no_validate;
        options.wait_healthy = self.wait_healthy;
        options.health_timeout = Duration::from_secs(self.health_timeout);
    }
}
