//! Picking the targets of a run, through the fleet's one way of
//! discovering and selecting containers ([`crate::host::fleet`]).
//!
//! Stopped and paused containers are selected too, so that the report
//! says they were skipped rather than leaving them out without a word.
//! With no filter at all (`--all`), a container is a target only when it
//! has waybill records; a container named or matched by a filter is a
//! target even when it could not be described, so that running the
//! action in it reports what is wrong (no tool, for one).

use super::plan::{timeouts_of, Target};
use super::report::EngineFailure;
use crate::host::engine::Listing;
use crate::host::fleet::select::{Candidate, Selector};
use crate::host::fleet::{self, EngineTarget, Options, Unreached};
use std::sync::Arc;

/// The targets, and the engines that could not be asked.
#[derive(Debug, Default)]
pub struct Selection {
    pub targets: Vec<Target>,
    pub engine_errors: Vec<EngineFailure>,
}

/// Every container on `engines` that `selector` accepts; `unreached`
/// engines become [`EngineFailure`]s, first, in the order given.
pub async fn select_targets(
    engines: Vec<EngineTarget>,
    unreached: Vec<Unreached>,
    selector: &Selector,
) -> Selection {
    select_targets_with_state(engines, unreached, selector, false).await
}

/// [`select_targets`], and with `state` each target's runtime state too
/// ([`Target::last`]), read as `waybill ls --state` reads it.
pub async fn select_targets_with_state(
    engines: Vec<EngineTarget>,
    unreached: Vec<Unreached>,
    selector: &Selector,
    state: bool,
) -> Selection {
    let mut selection = Selection {
        targets: Vec::new(),
        engine_errors: unreached.into_iter().map(EngineFailure::from).collect(),
    };
    let options = Options {
        listing: Listing::All,
        state,
    };
    // One answer per engine, in the engines' order.
    let answers = fleet::discover(&engines, options, selector).await;
    let engines: Vec<Arc<EngineTarget>> = engines.into_iter().map(Arc::new).collect();
    for (engine, answer) in engines.iter().zip(answers) {
        let found = match answer.outcome {
            Ok(found) => found,
            Err(e) => {
                selection.engine_errors.push(EngineFailure {
                    engine: answer.engine,
                    error: e.to_string(),
                });
                continue;
            }
        };
        for d in found {
            let report = d.outcome.as_ref().ok().map(|f| &f.report);
            let labels = &d.summary.labels;
            let record = report.and_then(|r| r.images.last()).map(|i| &i.record);
            let candidate = Candidate {
                name: &d.summary.name,
                id: &d.summary.id,
                labels,
                record,
            };
            if !selector.matches(&candidate) {
                continue;
            }
            if !selector.is_filtering() && report.is_none() {
                continue;
            }
            let timeouts = timeouts_of(report);
            selection.targets.push(Target {
                engine: Arc::clone(engine),
                container: d.summary.name.clone(),
                id: d.summary.id.clone(),
                image: d.summary.image.clone(),
                project: record.map(|r| r.project.clone()),
                state: d.summary.state.clone(),
                has_health_check: d.summary.health.is_some(),
                timeouts,
                last: report.map(|r| r.runtime.last.clone()).unwrap_or_default(),
            });
        }
    }
    selection
}
