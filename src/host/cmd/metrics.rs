//! `waybill metrics`: run METRICS in every selected container and print
//! one merged Prometheus exposition, with the MONITOR and VALIDATE status
//! gauges (docs/fleet-metrics.md).
//!
//! Only arguments and glue live here: selecting and running is
//! [`crate::host::actions`] (the runner every fleet command uses), the
//! merge is [`crate::host::metrics`]. The exposition goes to stdout,
//! whole; everything else (method stderr lines, failed containers, what
//! the merge left out) to stderr, escaped by [`crate::safe_text`].

use super::action::{run_interruptible, select_with_state};
use super::run_args::ParallelArgs;
use super::select_args::SelectArgs;
use crate::exit;
use crate::host::actions::{Observer, Outcome, Plan, RunReport, StepResult, Target};
use crate::host::endpoint::EndpointArgs;
use crate::host::engine::StreamKind;
use crate::host::env::Env;
use crate::host::metrics::{Merger, Origin};
use crate::host::HostError;
use crate::record::Action;
use crate::safe_text::{escape, Escaped};
use clap::Args;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;

/// The most METRICS output kept from one container; a larger one is
/// left out (never merged cut short).
pub const MAX_METRICS_OUTPUT: usize = 4 * 1024 * 1024;

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Every container with waybill records on the engines (needed when
    /// no TARGETS or filters are given)
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub parallel: ParallelArgs,
    /// Which engines to ask (default: as the docker CLI chooses one)
    #[command(flatten)]
    pub engines: EndpointArgs,
}

/// Prints each method's stderr lines as they come, prefixed
/// `ENGINE/CONTAINER: `; stdout is kept for the merge, not shown.
struct StderrLines;

impl Observer for StderrLines {
    fn line(&self, target: &Target, stream: StreamKind, line: &[u8]) {
        if stream == StreamKind::Stderr {
            crate::output::stderr_line(format_args!(
                "{}/{}: {}",
                escape(target.engine_name()),
                escape(&target.container),
                escape(&String::from_utf8_lossy(line))
            ));
        }
    }
}

pub async fn run(args: MetricsArgs, env: &Env) -> Result<u8, HostError> {
    let mut selection = select_with_state(&args.select, args.all, &args.engines, env, true).await?;
    // The runtime state read while selecting, for the status gauges; the
    // runner has no use for it.
    let last: HashMap<(String, String), BTreeMap<_, _>> = selection
        .targets
        .iter_mut()
        .map(|t| {
            let key = (t.engine_name().to_owned(), t.id.clone());
            (key, std::mem::take(&mut t.last))
        })
        .collect();
    let mut options = args.parallel.options();
    options.max_output = MAX_METRICS_OUTPUT;
    let plan = Plan {
        action: Action::Metrics,
        targets: selection.targets,
        options,
        engine_errors: selection.engine_errors,
    };
    let nothing = plan.targets.is_empty();
    let report = run_interruptible(plan, &StderrLines).await;
    if nothing && report.engine_errors.is_empty() {
        crate::output::stderr_line(format_args!(
            "waybill: no container matches the given {}",
            if args.all {
                "engines (none has waybill records)"
            } else {
                "names and filters"
            }
        ));
    }

    // The report is in the runner's stable order, engine then name: the
    // order in which the first container keeps a contested family.
    let mut merger = Merger::new();
    let mut left_out = false;
    for result in &report.results {
        let origin = Origin {
            engine: result.engine.clone(),
            container: result.container.clone(),
            project: result.project.clone(),
            image: result.image.clone(),
        };
        if let Some(last) = last.get(&(result.engine.clone(), result.id.clone())) {
            merger.add_status(&origin, last);
        }
        if result.outcome != Outcome::Done {
            report_step(result);
            continue;
        }
        if result.stdout.truncated {
            merger.too_large(&origin, MAX_METRICS_OUTPUT);
            left_out = true;
            continue;
        }
        left_out |= !merger.add(&origin, &result.stdout.bytes);
    }
    let merged = merger.finish();
    print_exposition(&merged.text)?;
    for problem in &merged.problems {
        crate::output::stderr_line(format_args!("waybill: {}", Escaped(problem)));
    }
    super::action::print_engine_errors(&report);
    Ok(exit_code(&report, left_out))
}

/// A container whose METRICS did not give an exposition, and why (the
/// runner's reason names the exit code when there is one).
fn report_step(result: &StepResult) {
    let reason = result
        .reason
        .as_deref()
        .map(|r| format!(": {}", escape(r)))
        .unwrap_or_default();
    crate::output::stderr_line(format_args!(
        "waybill: {}/{}: {} {}{reason}; left out",
        escape(&result.engine),
        escape(&result.container),
        result.step,
        result.outcome,
    ));
}

/// The exposition as it is for a pipe or a file; on a terminal, with
/// control characters from containers escaped, line by line (a label
/// value may hold any of them but a line feed).
fn print_exposition(text: &str) -> Result<(), HostError> {
    if !std::io::stdout().is_terminal() {
        return crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout);
    }
    let mut shown = String::with_capacity(text.len());
    for line in text.lines() {
        shown.push_str(&escape(line));
        shown.push('\n');
    }
    crate::output::stdout(shown.as_bytes()).map_err(HostError::Stdout)
}

/// The runner's exit code, except that a container whose exposition was
/// left out whole (unparsable, too large) is a failure too. A TYPE
/// conflict is not: it is reported, and the rest is whole.
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
    use crate::host::actions::StepKind;
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
                .map(|_| crate::host::actions::EngineFailure {
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
}
