//! The scheduler, as data: which containers run when.
//!
//! Targets are put in one stable order, engine name then container name.
//! Each engine's targets are a stream bounded by `buffer_unordered
//! (per_engine)`; the engines' streams are merged, and one semaphore of
//! `parallel` permits bounds the execs of all engines together. A
//! stream per engine, rather than one stream with a semaphore per
//! engine, keeps a slow engine's waiting work from filling the shared
//! slots and starving the others, so a run over several engines takes
//! about as long as its slowest engine.
//!
//! Without `--batch` every target runs at once within those bounds. With
//! `--batch N` the targets go N at a time, in order; a batch starts only
//! when the one before it has ended, and once more containers than
//! `--max-failures` have failed, the rest are `not_reached`. A [`Stop`]
//! turns every step not yet started into `not_reached`.
//!
//! Each container's steps run one after the other: the action; after a
//! done UPDATE, VALIDATE (unless turned off), then the health wait (when
//! asked for and the container has a HEALTHCHECK).

use super::health;
use super::observer::Observer;
use super::outcome::{Outcome, StepKind};
use super::plan::{Plan, Target};
use super::report::{RunReport, StepResult};
use super::step::{run_action, Context};
use super::stop::Stop;
use crate::record::Action;
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;
use tokio::sync::Semaphore;

/// Runs `plan` to its end.
pub async fn run(plan: Plan, observer: &dyn Observer) -> RunReport {
    run_until(plan, observer, &Stop::new()).await
}

/// Runs `plan` until it ends or `stop` is called; see the module docs.
pub async fn run_until(plan: Plan, observer: &dyn Observer, stop: &Stop) -> RunReport {
    let Plan {
        action,
        mut targets,
        options,
        engine_errors,
    } = plan;
    targets.sort_by(|a, b| (a.engine_name(), &a.container).cmp(&(b.engine_name(), &b.container)));
    let global = Semaphore::new(options.parallel.clamp(1, Semaphore::MAX_PERMITS));
    let ctx = Context {
        options: &options,
        observer,
        stop,
        global: &global,
    };
    let indexed: Vec<(usize, &Target)> = targets.iter().enumerate().collect();
    let mut results: Vec<(usize, Vec<StepResult>)> = Vec::new();
    match options.batch {
        None => results = run_group(&ctx, action, &indexed, None).await,
        Some(size) => {
            let batches: Vec<&[(usize, &Target)]> = indexed.chunks(size.max(1)).collect();
            let count = batches.len();
            let mut failed = 0usize;
            for (n, batch) in batches.into_iter().enumerate() {
                let number = Some(n + 1);
                let reason = if stop.is_stopped() {
                    Some("interrupted before its batch started".to_owned())
                } else if failed > options.max_failures {
                    Some(format!(
                        "the rollout stopped after {failed} failed container(s) (--max-failures {})",
                        options.max_failures
                    ))
                } else {
                    None
                };
                if let Some(reason) = reason {
                    for (index, target) in batch {
                        let r = StepResult::new(
                            target,
                            StepKind::Action(action),
                            number,
                            Outcome::NotReached,
                        )
                        .with_reason(reason.clone());
                        observer.finished(&r);
                        results.push((*index, vec![r]));
                    }
                    continue;
                }
                observer.batch(n + 1, count, batch.len());
                let done = run_group(&ctx, action, batch, number).await;
                failed += done
                    .iter()
                    .filter(|(_, steps)| steps.iter().any(|s| s.outcome.is_failure()))
                    .count();
                results.extend(done);
            }
        }
    }
    results.sort_by_key(|(index, _)| *index);
    RunReport {
        action,
        results: results.into_iter().flat_map(|(_, steps)| steps).collect(),
        engine_errors,
        interrupted: stop.is_stopped(),
    }
}

/// A server spawns runs on its runtime's threads: the run must stay Send.
#[allow(dead_code)]
fn run_is_send<'a>(
    plan: Plan,
    observer: &'a dyn Observer,
    stop: &'a Stop,
) -> impl std::future::Future<Output = RunReport> + Send + 'a {
    run_until(plan, observer, stop)
}

/// Runs every target of `group` at once, within the caps: one stream per
/// engine, merged.
async fn run_group(
    ctx: &Context<'_>,
    action: Action,
    group: &[(usize, &Target)],
    batch: Option<usize>,
) -> Vec<(usize, Vec<StepResult>)> {
    let mut by_engine: BTreeMap<&str, Vec<(usize, &Target)>> = BTreeMap::new();
    for (index, target) in group {
        by_engine
            .entry(target.engine_name())
            .or_default()
            .push((*index, target));
    }
    let per_engine = ctx.options.per_engine.max(1);
    let streams = by_engine.into_values().map(|targets| {
        stream::iter(targets)
            .map(move |(index, target)| async move {
                (index, container_steps(ctx, action, target, batch).await)
            })
            .buffer_unordered(per_engine)
            .boxed()
    });
    stream::select_all(streams).collect().await
}

/// One container's steps, one after the other.
async fn container_steps(
    ctx: &Context<'_>,
    action: Action,
    target: &Target,
    batch: Option<usize>,
) -> Vec<StepResult> {
    let updating = action == Action::Update;
    let probe = if updating && ctx.options.wait_healthy {
        health::probe_before(target).await
    } else {
        None
    };
    let first = run_action(ctx, target, action, batch).await;
    ctx.observer.finished(&first);
    let go_on = updating && first.outcome == Outcome::Done;
    let mut steps = vec![first];
    if go_on && ctx.options.validate_after_update {
        let validate = run_action(ctx, target, Action::Validate, batch).await;
        ctx.observer.finished(&validate);
        let ok = validate.outcome == Outcome::Done;
        steps.push(validate);
        if !ok {
            return steps;
        }
    }
    if go_on {
        if let Some(before) = probe {
            let health = health::wait_healthy(ctx, target, before, batch).await;
            ctx.observer.finished(&health);
            steps.push(health);
        }
    }
    steps
}
