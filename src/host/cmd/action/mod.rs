//! `waybill update|validate|monitor`: run one action in every selected
//! container, on every engine, in parallel or as a rolling rollout, and
//! report what came of each (docs/fleet-actions.md).
//!
//! Only arguments and glue live here: selecting and running is
//! [`crate::host::actions`]; [`view`] prints lines, progress and the
//! summary table, [`json`] the `--json` document. Ctrl-C stops starting
//! new work; what runs is let finish, and the summary is still printed.

mod json;
mod view;

use super::run_args::{ParallelArgs, RolloutArgs, UpdateArgs};
use super::select_args::SelectArgs;
use super::service_args::{self, ServiceArgs};
use crate::host::actions::{self, Observer, Plan, RunReport, Selection, Stop};
use crate::host::endpoint::{self, EndpointArgs};
use crate::host::env::Env;
use crate::host::fleet::connect_all;
use crate::host::HostError;
use crate::record::Action;
use crate::safe_text::escape;
use clap::Args;

/// The arguments of `waybill validate` and `waybill monitor`, and the
/// part of `waybill update`'s they share.
#[derive(Debug, Args)]
pub struct ActionArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub swarm: ServiceArgs,
    /// Every container with waybill records on the engines (needed when
    /// no TARGETS or filters are given)
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub parallel: ParallelArgs,
    #[command(flatten)]
    pub rollout: RolloutArgs,
    /// Print one JSON document (schema in docs/fleet-actions.md) instead
    /// of the output lines and the summary table
    #[arg(long)]
    pub json: bool,
    /// Which engines to ask (default: as the docker CLI chooses one)
    #[command(flatten)]
    pub engines: EndpointArgs,
}

/// `waybill update`'s arguments.
#[derive(Debug, Args)]
pub struct UpdateCommandArgs {
    #[command(flatten)]
    pub common: ActionArgs,
    #[command(flatten)]
    pub update: UpdateArgs,
}

/// Selects the containers named by `select` (or every one with records,
/// for `--all`) on the engines `engines` names: the one way every action
/// command picks its targets. Nothing to select at all is a usage error.
pub async fn select(
    select: &SelectArgs,
    all: bool,
    engines: &EndpointArgs,
    env: &Env,
) -> Result<Selection, HostError> {
    select_with_state(select, all, engines, env, false).await
}

/// [`select`], with each target's runtime state when `state` is set
/// (`waybill metrics`).
pub async fn select_with_state(
    select: &SelectArgs,
    all: bool,
    engines: &EndpointArgs,
    env: &Env,
    state: bool,
) -> Result<Selection, HostError> {
    let selector = select.selector();
    if !all && !selector.is_filtering() {
        return Err(HostError::NothingToSelect);
    }
    let endpoints = endpoint::resolve(engines, env)?;
    let (reached, unreached) = connect_all(&endpoints).await;
    Ok(actions::select_targets_with_state(reached, unreached, &selector, state).await)
}

/// Runs `waybill ACTION` and returns its exit code.
pub async fn run(
    action: Action,
    args: ActionArgs,
    update: Option<UpdateArgs>,
    env: &Env,
) -> Result<u8, HostError> {
    let selection = if args.swarm.is_given() {
        service_args::select(&args.swarm, &args.select, &args.engines, env, false).await?
    } else {
        select(&args.select, args.all, &args.engines, env).await?
    };
    let mut options = args.parallel.options();
    args.rollout.apply(&mut options);
    args.swarm.apply(&mut options);
    if let Some(update) = &update {
        update.apply(&mut options);
    }
    let targets = selection.targets.len();
    let plan = Plan {
        action,
        targets: selection.targets,
        options,
        engine_errors: selection.engine_errors,
    };
    if plan.targets.is_empty() {
        return nothing_matched(&plan, args.json, args.all);
    }
    let view = view::TextView::new(action, targets, !args.json);
    let report = run_interruptible(plan, &view).await;
    view.done();
    if args.json {
        json::print(&report).map_err(HostError::Stdout)?;
    } else {
        view::print_summary(&report).map_err(HostError::Stdout)?;
    }
    if let Some(error) = view.write_error() {
        return Err(HostError::Stdout(error));
    }
    print_engine_errors(&report);
    Ok(report.exit_code())
}

/// Runs `plan`; on Ctrl-C, stops starting new work and waits for what
/// runs (each exec is bounded by its deadline).
pub(super) async fn run_interruptible(plan: Plan, observer: &dyn Observer) -> RunReport {
    let stop = Stop::new();
    let run = actions::run_until(plan, observer, &stop);
    tokio::pin!(run);
    tokio::select! {
        report = &mut run => report,
        // A handler that cannot be installed disables this branch only.
        Ok(()) = tokio::signal::ctrl_c() => {
            stop.stop();
            crate::host::warn(
                "interrupted: starting nothing new; waiting for the running actions to end \
                 (each within its deadline)",
            );
            run.await
        }
    }
}

/// Nothing matched (66), or an engine could not be asked (69).
fn nothing_matched(plan: &Plan, json: bool, all: bool) -> Result<u8, HostError> {
    let report = RunReport {
        action: plan.action,
        results: Vec::new(),
        engine_errors: plan.engine_errors.clone(),
        interrupted: false,
    };
    if json {
        json::print(&report).map_err(HostError::Stdout)?;
    }
    print_engine_errors(&report);
    if report.engine_errors.is_empty() {
        crate::output::stderr_line(format_args!(
            "waybill: no container matches the given {}",
            if all {
                "engines (none has waybill records)"
            } else {
                "names and filters"
            }
        ));
    }
    Ok(report.exit_code())
}

pub(super) fn print_engine_errors(report: &RunReport) {
    for e in &report.engine_errors {
        if e.error.starts_with("engine `") {
            crate::output::stderr_line(format_args!("waybill: error: {}", escape(&e.error)));
        } else {
            crate::output::stderr_line(format_args!(
                "waybill: error: engine {}: {}",
                escape(&e.engine),
                escape(&e.error)
            ));
        }
    }
}
