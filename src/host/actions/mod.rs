//! Fleet actions: run UPDATE, VALIDATE, MONITOR or METRICS in many
//! containers on many engines, in parallel or as a rolling rollout, and
//! say for each container what came of it.
//!
//! A command builds a [`Plan`] (the [`Target`]s picked by
//! [`select_targets`] through the fleet's own discovery and selectors,
//! and the [`RunOptions`]) and hands it to [`run`], which returns a
//! [`RunReport`]: one [`StepResult`] per container and step, each with
//! one [`Outcome`]. An [`Observer`] sees output lines and results as
//! they happen; a [`Stop`] ends the run early (Ctrl-C) without cutting
//! off what is running.
//!
//! This layer knows engines only through [`crate::host::engine`] (it never
//! sees bollard) and prints nothing: output is the commands' business.
//! It cannot stop a method once it runs: the engine has no way to kill an
//! exec'd process, so `container`'s own action timeout stops the method
//! and the host-side deadline only stops waiting for it.

mod health;
mod lines;
mod observer;
mod outcome;
mod plan;
mod report;
mod schedule;
mod select;
mod services;
mod step;
mod stop;

pub use observer::{Observer, Silent};
pub use outcome::{Outcome, StepKind};
pub use plan::{timeouts_of, Plan, RunOptions, Target};
pub use report::{EngineFailure, RunReport, StepResult, Summary};
pub use schedule::{run, run_until};
pub use select::{select_targets, select_targets_with_state, Selection};
pub use services::select_service_tasks;
pub use stop::Stop;
