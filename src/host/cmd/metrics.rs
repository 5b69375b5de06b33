//! `waybill metrics`: run METRICS in every selected container and print
//! one merged Prometheus exposition, with the MONITOR and VALIDATE status
//! gauges (docs/fleet-metrics.md). With `--service`, the containers are a
//! Swarm service's running tasks, selected as the action commands select
//! them ([`service_args`]).
//!
//! Only arguments and glue live here: selecting and running is
//! [`crate::host::actions`] (the runner every fleet command uses), the
//! plan and the merge are [`crate::host::metrics::fleet`]. The
//! exposition goes to stdout, whole; everything else (method stderr
//! lines, failed containers, what the merge left out) to stderr, escaped
//! by [`crate::safe_text`].

use super::action::{run_interruptible, select_with_state};
use super::run_args::ParallelArgs;
use super::select_args::SelectArgs;
use super::service_args::{self, ServiceArgs};
use crate::host::actions::{Observer, StepResult, Target};
use crate::host::endpoint::EndpointArgs;
use crate::host::engine::StreamKind;
use crate::host::env::Env;
use crate::host::metrics::fleet;
use crate::host::HostError;
use crate::safe_text::{escape, Escaped};
use clap::Args;
use std::io::IsTerminal;

#[derive(Debug, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Every container with waybill records on the engines (needed when
    /// no TARGETS or filters are given)
    #[arg(long)]
    pub all: bool,
    /// A Swarm service (name, id prefix or glob), through the managers
    /// among the engines: METRICS in each of its running tasks, on its
    /// node's engine (repeatable)
    #[arg(long = "service", value_name = "NAME", conflicts_with_all = ["names", "all"])]
    pub services: Vec<String>,
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
    let selection = if args.services.is_empty() {
        select_with_state(&args.select, args.all, &args.engines, env, true).await?
    } else {
        let swarm = ServiceArgs {
            services: args.services.clone(),
            ..ServiceArgs::default()
        };
        service_args::select(&swarm, &args.select, &args.engines, env, true).await?
    };
    let (plan, book) = fleet::plan(selection, args.parallel.options());
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
    let scrape = fleet::merge(&report, &book);
    print_exposition(&scrape.merged.text)?;
    for result in &scrape.not_done {
        report_step(result);
    }
    for problem in &scrape.merged.problems {
        crate::output::stderr_line(format_args!("waybill: {}", Escaped(problem)));
    }
    super::action::print_engine_errors(&report);
    Ok(scrape.exit_code())
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
