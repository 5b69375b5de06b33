//! The `waybill` command line.
//!
//! One subcommand per host-side task; `stamp` is the first. This module
//! holds only the top level: each command's arguments, and the glue that
//! hands them to the code doing the work, are a file of [`super::cmd`].
//! Clap turns a refused value into exit 64.

use super::cmd::action::{ActionArgs, UpdateCommandArgs};
use super::cmd::examine::ExamineArgs;
use super::cmd::ls::LsArgs;
use super::cmd::metrics::MetricsArgs;
use super::cmd::serve::ServeArgs;
use super::cmd::stamp::StampArgs;
use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes: 0 ok; 1 an action failed, timed out, found no tool or an
engine error, or was not reached (update, validate, monitor, metrics;
for metrics also output that does not parse); 64 usage;
65 bad input data (a record, a label or the `container` tool's output); 66 missing input (a repository, a file, no
match for the names or filters, no such TARGET); 69 Docker engine
unreachable, or no such image; 71 OS error (clock, runtime); 73 cannot
write --output; 74 reading or writing failed part-way; 75 every target
skipped; 78 the engine settings (a context, the hosts file) do not
resolve; 130 interrupted (Ctrl-C); `serve`: 73 cannot create the state
directory, 78 a refused config file.
Each command's --help has its own list; see docs/exit-codes.md.";

const STAMP_AFTER_HELP: &str = "\
Exit codes: 0 ok; 64 usage; 65 bad input data (SOURCE_DATE_EPOCH, --meta-json,
--record, a base image's stack label, a record `container record` would
refuse); 66 repository, --meta-json or --record missing; 69 Docker engine
unreachable or no such image; 71 OS error (clock, runtime); 73 cannot write
--output; 74 reading the repository or writing stdout failed; 78 engine
settings (context, hosts file) do not resolve to one engine.
See docs/stamping.md and docs/exit-codes.md.";

const LS_AFTER_HELP: &str = "\
Exit codes: 0 listed (containers that could not be described are error rows);
64 usage; 66 names or filters matched nothing; 69 a Docker engine
unreachable (the others are still listed), or with --services no engine
is a Swarm manager; 74 writing stdout failed;
78 the engine settings do not resolve. See docs/ls.md and docs/exit-codes.md.";

const EXAMINE_AFTER_HELP: &str = "\
Exit codes: 0 reported; 64 TARGET matches several containers, on one
engine or several (they are listed, as ENGINE/NAME across engines); 65 a malformed label, record or `container` output; 66 no such
TARGET, or it has no `container` tool or no records; 69 Docker engine
unreachable or the exec refused; 74 writing stdout failed; 78 the engine
settings do not resolve. See docs/ls.md and docs/exit-codes.md.";

const SERVE_AFTER_HELP: &str = "\
Exit codes: 0 stopped by SIGTERM or SIGINT after a graceful shutdown; 64 usage;
66 the config file is missing or unreadable; 71 cannot listen on the address;
73 cannot create or write the state directory; 74 the server failed while
serving; 78 the config file is refused (file, line and key named), names no
listen address, or its engines do not resolve. See docs/serve.md and
docs/exit-codes.md.";

const ACTION_AFTER_HELP: &str = "\
Exit codes: 0 every step done (skipped containers allowed beside them);
1 a step failed, timed out, found no `container` tool or an engine error,
or was not reached; 64 usage (nothing named: give TARGETS, a filter or
--all); 66 nothing matched; 69 an engine unreachable and nothing else
failed; 74 writing stdout failed; 75 every target skipped; 78 the engine
settings do not resolve; 130 interrupted by Ctrl-C (the summary is still
printed). See docs/fleet-actions.md and docs/exit-codes.md.";

const METRICS_AFTER_HELP: &str = "\
Exit codes: 0 every METRICS ran and merged (skipped containers allowed
beside them; TYPE conflicts are reported but do not count); 1 a METRICS
failed, timed out, found no `container` tool or an engine error, was not
reached, or printed output that does not parse or is over 4 MiB (the rest
is still printed); 64 usage (nothing named: give TARGETS, a filter or
--all); 66 nothing matched; 69 an engine unreachable and nothing else
failed; 74 writing stdout failed; 75 every target skipped; 78 the engine
settings do not resolve; 130 interrupted by Ctrl-C. See
docs/fleet-metrics.md and docs/exit-codes.md.";

/// Host-side companion of the in-container `container` tool.
#[derive(Debug, Parser)]
#[command(name = "waybill", version, after_help = AFTER_HELP)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process, so the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one image record from git and the CI environment.
    ///
    /// The record is what `container record FILE` files inside the image;
    /// `--format labels` prints the same facts as `docker build` labels.
    /// Stamp the record once with `--output`, then print the labels from
    /// that file with `--record`, so both describe the same build.
    #[command(after_help = STAMP_AFTER_HELP)]
    Stamp(StampArgs),

    /// List the containers (or images) that carry waybill records.
    ///
    /// Each container is described from the cheapest source that works:
    /// its `io.waybill.stack` label, one exec of `container`, or its
    /// metadata directory read through the engine. See docs/ls.md.
    #[command(after_help = LS_AFTER_HELP)]
    Ls(LsArgs),

    /// Print one container's (or image's) full report and engine facts.
    ///
    /// The report is the one `container --examine` prints, from the same
    /// renderer; above it the engine's facts and the source used. See
    /// docs/ls.md.
    #[command(after_help = EXAMINE_AFTER_HELP)]
    Examine(ExamineArgs),

    /// Run UPDATE in every selected container, then VALIDATE.
    ///
    /// On every engine at once, or as a rolling rollout (--batch) that
    /// stops at the first failure. Each line of output is prefixed
    /// ENGINE/CONTAINER; a summary table ends the run. See
    /// docs/fleet-actions.md.
    #[command(after_help = ACTION_AFTER_HELP)]
    Update(UpdateCommandArgs),

    /// Run VALIDATE in every selected container.
    ///
    /// See `waybill update` and docs/fleet-actions.md.
    #[command(after_help = ACTION_AFTER_HELP)]
    Validate(ActionArgs),

    /// Run MONITOR in every selected container (Nagios codes: 1 WARNING,
    /// 2 CRITICAL and 3 UNKNOWN count as failed).
    ///
    /// See `waybill update` and docs/fleet-actions.md.
    #[command(after_help = ACTION_AFTER_HELP)]
    Monitor(ActionArgs),

    /// Run METRICS in every selected container and print one merged
    /// Prometheus exposition, with MONITOR and VALIDATE status gauges.
    ///
    /// Every sample gets engine, container, project and image labels; a
    /// family two containers type differently is kept by the first (engine,
    /// then name) and left out of the other; output that does not parse is
    /// left out whole. Problems go to stderr. See docs/fleet-metrics.md.
    #[command(after_help = METRICS_AFTER_HELP)]
    Metrics(MetricsArgs),
    /// Serve webhooks and operator requests that run fleet actions.
    ///
    /// Forge-signed pushes (GitHub, Gitea, Forgejo, GitLab, generic) to
    /// `POST /hooks/NAME` update the containers built from the pushed
    /// repository; `GET /jobs` keeps the history. Engine events
    /// (`[events]`) and `[[schedule]]` entries run VALIDATE and MONITOR;
    /// `GET /` is the fleet page, `GET /metrics` Prometheus text. See
    /// docs/serve.md and docs/operations.md.
    #[command(after_help = SERVE_AFTER_HELP)]
    Serve(ServeArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
