//! What a run came to: one [`StepResult`] per container and step, the
//! engines that could not be asked, and the one mapping from a report to
//! the exit code of every action command.

use super::outcome::{Outcome, StepKind};
use super::plan::Target;
use crate::exit;
use crate::host::engine::Captured;
use crate::record::Action;
use serde::Serialize;
use std::time::Duration;

/// One step in one container.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub engine: String,
    pub container: String,
    pub id: String,
    pub image: String,
    pub project: Option<String>,
    pub step: StepKind,
    pub outcome: Outcome,
    /// `container`'s exit code, when it ran to an end.
    pub exit_code: Option<i64>,
    /// Why, in words, for anything but a plain `done`.
    pub reason: Option<String>,
    pub duration: Duration,
    /// The batch of a rolling rollout (from 1); None without `--batch`.
    pub batch: Option<usize>,
    /// The tails of the method's output, bounded by `max_output`.
    pub stdout: Captured,
    pub stderr: Captured,
}

impl StepResult {
    /// A result for `target` with no output, to fill in.
    pub fn new(target: &Target, step: StepKind, batch: Option<usize>, outcome: Outcome) -> Self {
        StepResult {
            engine: target.engine_name().to_owned(),
            container: target.container.clone(),
            id: target.id.clone(),
            image: target.image.clone(),
            project: target.project.clone(),
            step,
            outcome,
            exit_code: None,
            reason: None,
            duration: Duration::ZERO,
            batch,
            stdout: Captured::default(),
            stderr: Captured::default(),
        }
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// An engine that could not be reached or listed.
#[derive(Debug, Clone, Serialize)]
pub struct EngineFailure {
    pub engine: String,
    pub error: String,
}

impl From<crate::host::fleet::Unreached> for EngineFailure {
    fn from(u: crate::host::fleet::Unreached) -> EngineFailure {
        EngineFailure {
            engine: u.name,
            error: u.error.to_string(),
        }
    }
}

/// How many steps came to each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub done: usize,
    pub failed: usize,
    pub skipped: usize,
    pub timed_out: usize,
    pub no_tool: usize,
    pub error: usize,
    pub not_reached: usize,
}

impl Summary {
    pub fn count(&self, outcome: Outcome) -> usize {
        match outcome {
            Outcome::Done => self.done,
            Outcome::Failed => self.failed,
            Outcome::Skipped => self.skipped,
            Outcome::TimedOut => self.timed_out,
            Outcome::NoTool => self.no_tool,
            Outcome::Error => self.error,
            Outcome::NotReached => self.not_reached,
        }
    }

    fn add(&mut self, outcome: Outcome) {
        let slot = match outcome {
            Outcome::Done => &mut self.done,
            Outcome::Failed => &mut self.failed,
            Outcome::Skipped => &mut self.skipped,
            Outcome::TimedOut => &mut self.timed_out,
            Outcome::NoTool => &mut self.no_tool,
            Outcome::Error => &mut self.error,
            Outcome::NotReached => &mut self.not_reached,
        };
        *slot += 1;
    }
}

/// Everything a run found out.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub action: Action,
    /// In the run's stable order: engine name, container name, then the
    /// steps in the order they ran.
    pub results: Vec<StepResult>,
    pub engine_errors: Vec<EngineFailure>,
    /// Whether the run was stopped early ([`super::Stop`]).
    pub interrupted: bool,
}

impl RunReport {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for result in &self.results {
            summary.add(result.outcome);
        }
        summary
    }

    /// The exit code of `waybill update|validate|monitor` (and `metrics`)
    /// for this report; docs/exit-codes.md has the table.
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            return exit::INTERRUPTED;
        }
        if self.results.is_empty() {
            return if self.engine_errors.is_empty() {
                exit::NOINPUT
            } else {
                exit::UNAVAILABLE
            };
        }
        if self.results.iter().any(|r| r.outcome.is_failure()) {
            return exit::FAILED;
        }
        if !self.engine_errors.is_empty() {
            return exit::UNAVAILABLE;
        }
        if self.results.iter().all(|r| r.outcome == Outcome::Skipped) {
            return exit::TEMPFAIL;
        }
        exit::OK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcomes: &[Outcome], engine_errors: usize, interrupted: bool) -> RunReport {
        let result = |outcome| StepResult {
            engine: "default".into(),
            container: "web-1".into(),
            id: "3f2a".into(),
            image: "web".into(),
            project: None,
            step: StepKind::Action(Action::Update),
            outcome,
            exit_code: None,
            reason: None,
            duration: Duration::ZERO,
            batch: None,
            stdout: Captured::default(),
            stderr: Captured::default(),
        };
        RunReport {
            action: Action::Update,
            results: outcomes.iter().map(|o| result(*o)).collect(),
            engine_errors: (0..engine_errors)
                .map(|n| EngineFailure {
                    engine: format!("e{n}"),
                    error: "unreachable".into(),
                })
                .collect(),
            interrupted,
        }
    }

    #[test]
    fn the_exit_code_follows_the_documented_precedence() {
        use Outcome::*;
        assert_eq!(report(&[Done, Skipped], 0, false).exit_code(), exit::OK);
        assert_eq!(
            report(&[Skipped, Skipped], 0, false).exit_code(),
            exit::TEMPFAIL
        );
        for bad in [Failed, TimedOut, NoTool, Error, NotReached] {
            assert_eq!(
                report(&[Done, bad], 1, false).exit_code(),
                exit::FAILED,
                "{bad}"
            );
        }
        assert_eq!(report(&[Done], 1, false).exit_code(), exit::UNAVAILABLE);
        assert_eq!(report(&[], 0, false).exit_code(), exit::NOINPUT);
        assert_eq!(report(&[], 1, false).exit_code(), exit::UNAVAILABLE);
        assert_eq!(
            report(&[Done, Failed], 0, true).exit_code(),
            exit::INTERRUPTED
        );
    }

    #[test]
    fn the_summary_counts_each_outcome() {
        use Outcome::*;
        let summary = report(&[Done, Done, NotReached, NoTool], 0, false).summary();
        assert_eq!(
            (summary.done, summary.not_reached, summary.no_tool),
            (2, 1, 1)
        );
        assert_eq!(
            Outcome::ALL
                .iter()
                .map(|o| summary.count(*o))
                .sum::<usize>(),
            4
        );
    }
}
