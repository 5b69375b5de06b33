//! Watching a run as it goes: the output lines of every method as they
//! arrive, each step's start and result, and each batch of a rollout.
//! The runner calls these from its one task, so an observer needs no
//! locking of its own beyond being shareable (`Sync`); what it prints,
//! and how untrusted text is escaped for a terminal, is its business.

use super::outcome::StepKind;
use super::plan::Target;
use super::report::StepResult;
use crate::host::engine::StreamKind;

pub trait Observer: Sync {
    /// A step is about to run in `target`.
    fn started(&self, _target: &Target, _step: StepKind) {}

    /// One line of a method's stdout or stderr, without its newline (a
    /// line longer than the runner's bound arrives in pieces).
    fn line(&self, _target: &Target, _stream: StreamKind, _line: &[u8]) {}

    /// A step ended (or was never started: `not_reached`, `skipped`).
    fn finished(&self, _result: &StepResult) {}

    /// Batch `number` (from 1) of `count` of a rolling rollout starts,
    /// with `size` containers.
    fn batch(&self, _number: usize, _count: usize, _size: usize) {}
}

/// An observer that watches nothing: the report is all the caller wants.
pub struct Silent;

impl Observer for Silent {}
