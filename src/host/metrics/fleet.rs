//! A fleet scrape, between selecting and printing: the METRICS plan for
//! a selection, and the merge of the run's report with the status gauges.
//! Shared by `waybill metrics` and anything else that serves the merged
//! exposition, so there is one way to turn a run into one.
//!
//! Running the plan is the caller's ([`crate::host::actions::run`] or
//! `run_until`, with its own observer and stop), and so is printing.

use super::merge::{Merged, Merger, Origin};
use crate::exit;
use crate::host::actions::{Outcome, Plan, RunOptions, RunReport, Selection, StepResult};
use crate::record::Action;
use crate::report::ActionResult;
use std::collections::{BTreeMap, HashMap};

/// The most METRICS output kept from one container; a larger one is
/// left out (never merged cut short).
pub const MAX_METRICS_OUTPUT: usize = 4 * 1024 * 1024;

/// Each target's last action results, read while selecting, by engine
/// name and container id.
#[derive(Debug, Default)]
pub struct StatusBook(HashMap<(String, String), BTreeMap<String, ActionResult>>);

/// The METRICS run of `selection` (selected with state, so that the
/// status gauges have something to show), keeping up to
/// [`MAX_METRICS_OUTPUT`] of each container's output.
pub fn plan(mut selection: Selection, mut options: RunOptions) -> (Plan, StatusBook) {
    // The runner has no use for the state: it moves to the book.
    let book = selection
        .targets
        .iter_mut()
        .map(|t| {
            let key = (t.engine_name().to_owned(), t.id.clone());
            (key, std::mem::take(&mut t.last))
        })
        .collect();
    options.max_output = MAX_METRICS_OUTPUT;
    let plan = Plan {
        action: Action::Metrics,
        targets: selection.targets,
        options,
        engine_errors: selection.engine_errors,
    };
    (plan, StatusBook(book))
}

/// What a scrape came to.
#[derive(Debug)]
pub struct Scrape<'a> {
    pub merged: Merged,
    /// The containers whose METRICS did not end `done`: nothing of
    /// theirs is merged but their status gauges.
    pub not_done: Vec<&'a StepResult>,
    /// Whether a `done` container's output was left out whole
    /// (unparsable, too large).
    pub left_out: bool,
    exit_code: u8,
}

impl Scrape<'_> {
    /// The runner's exit code, except that an exposition left out whole
    /// is a failure too. A TYPE conflict is not: it is reported, and the
    /// rest is whole.
    pub fn exit_code(&self) -> u8 {
        self.exit_code
    }
}

/// Merges the report of a [`plan`]'s run in the runner's stable order
/// (engine, then name: the order in which the first container keeps a
/// contested family), with every container's status gauges.
pub fn merge<'a>(report: &'a RunReport, book: &StatusBook) -> Scrape<'a> {
    let mut merger = Merger::new();
    let mut left_out = false;
    let mut not_done = Vec::new();
    for result in &report.results {
        let origin = Origin {
            engine: result.engine.clone(),
            container: result.container.clone(),
            project: result.project.clone(),
            image: result.image.clone(),
        };
        if let Some(last) = book.0.get(&(result.engine.clone(), result.id.clone())) {
            merger.add_status(&origin, last);
        }
        if result.outcome != Outcome::Done {
            not_done.push(result);
            continue;
        }
        if result.stdout.truncated {
            merger.too_large(&origin, MAX_METRICS_OUTPUT);
            left_out = true;
            continue;
        }
        left_out |= !merger.add(&origin, &result.stdout.bytes);
    }
    Scrape {
        merged: merger.finish(),
        not_done,
        left_out,
        exit_code: exit_code(report, left_out),
    }
}

fn exit_code(report: &RunReport, left_out: bool) -> u8 {
    let code = report.exit_code();
    if left_out && matches!(code, exit::OK | exit::UNAVAILABLE | exit::TEMPFAIL) {
        return exit::FAILED;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::actions::{EngineFailure, StepKind};
    use crate::host::engine::Captured;
    use std::time::Duration;

    fn report(outcomes: &[Outcome], engine_errors: usize, interrupted: bool) -> RunReport {
        let result = |outcome| StepResult {
            engine: "default".into(),
            container: "c".into(),
            id: "id".into(),
            image: "i".into(),
            project: None,
            step: StepKind::Action(Action::Metrics),
            outcome,
            exit_code: None,
            reason: None,
            duration: Duration::ZERO,
            batch: None,
            stdout: Captured::default(),
            stderr: Captured::default(),
        };
        RunReport {
            action: Action::Metrics,
            results: outcomes.iter().map(|&o| result(o)).collect(),
            engine_errors: (0..engine_errors)
                .map(|_| EngineFailure {
                    engine: "e".into(),
                    error: "down".into(),
                })
                .collect(),
            interrupted,
        }
    }

    #[test]
    fn an_exposition_left_out_is_a_failure_unless_a_stronger_code_applies() {
        let done = [Outcome::Done, Outcome::Done];
        assert_eq!(exit_code(&report(&done, 0, false), false), exit::OK);
        assert_eq!(exit_code(&report(&done, 0, false), true), exit::FAILED);
        // An engine down beside it: the failure still says 1.
        assert_eq!(exit_code(&report(&done, 1, false), true), exit::FAILED);
        assert_eq!(
            exit_code(&report(&done, 1, false), false),
            exit::UNAVAILABLE
        );
        let skipped = [Outcome::Done, Outcome::Skipped];
        assert_eq!(exit_code(&report(&skipped, 0, false), true), exit::FAILED);
        // Ctrl-C and nothing matched keep their own codes.
        assert_eq!(exit_code(&report(&done, 0, true), true), exit::INTERRUPTED);
        assert_eq!(exit_code(&report(&[], 0, false), false), exit::NOINPUT);
        let failed = [Outcome::Failed];
        assert_eq!(exit_code(&report(&failed, 0, false), false), exit::FAILED);
    }

    #[test]
    fn done_output_is_merged_and_what_cannot_be_is_a_failure() {
        let mut report = report(
            &[
                Outcome::Done,
                Outcome::Done,
                Outcome::Done,
                Outcome::Skipped,
            ],
            0,
            false,
        );
        for (i, r) in report.results.iter_mut().enumerate() {
            r.container = format!("c{i}");
            r.id = format!("id{i}");
        }
        report.results[0].stdout.bytes = b"# TYPE up gauge\nup 1\n".to_vec();
        report.results[1].stdout.bytes = b"up{\n".to_vec();
        report.results[2].stdout.bytes = b"up 1\n".to_vec();
        report.results[2].stdout.truncated = true;
        let mut last = BTreeMap::new();
        last.insert(
            "validate".to_string(),
            ActionResult {
                at: 5,
                outcome: crate::report::Outcome::Ok,
                exit_code: 0,
                duration_ms: 1,
                revision: None,
                git_ref: None,
                repository: None,
            },
        );
        let mut book = StatusBook::default();
        book.0.insert(("default".into(), "id3".into()), last);
        let scrape = merge(&report, &book);
        assert!(scrape.left_out);
        assert_eq!(scrape.exit_code(), exit::FAILED);
        assert_eq!(scrape.not_done.len(), 1);
        assert_eq!(scrape.not_done[0].container, "c3");
        assert_eq!(
            scrape.merged.problems.len(),
            2,
            "{:?}",
            scrape.merged.problems
        );
        let text = &scrape.merged.text;
        assert!(
            text.contains("up{engine=\"default\",container=\"c0\",project=\"\",image=\"i\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("c1") && !text.contains("c2"), "{text}");
        // The skipped container's state still shows.
        assert!(
            text.contains("waybill_validate_ok{engine=\"default\",container=\"c3\""),
            "{text}"
        );
    }
}
