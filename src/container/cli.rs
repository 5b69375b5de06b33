//! The `container` command line.
//!
//! Each mode is a subcommand that also answers to the 2015 flag form:
//! `container examine` and `container --examine` are the same command.
//! This module only describes arguments; [`super::run`] acts on them.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Every mode also works in the 2015 flag form: `container --examine`.

Exit codes: 0 ok; an action's own exit code is passed through;
64 usage; 65 malformed record; 66 no metadata; 69 action not declared;
70 internal error (a bug); 71 OS error; 73 cannot write; 74 output failed;
75 a lock is held (UPDATE, or another `container record`), or the
pushed revision is already here (UPDATE);
76 bad metrics output; 78 method not executable; 124 timeout;
128+N killed by signal N.
MONITOR follows Nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
See docs/exit-codes.md.";

/// Ask a container what it is, and run its lifecycle actions.
///
/// Every image in the ancestry stamps a record into the metadata
/// directory at build time. `container` reads them to report on the
/// image and runs the START, UPDATE, VALIDATE, MONITOR and METRICS
/// methods the images declare.
#[derive(Debug, Parser)]
#[command(name = "container", version, after_help = AFTER_HELP)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(flatten)]
    pub dirs: Dirs,
    #[command(subcommand)]
    pub mode: Mode,
}

/// Where records and runtime state live.
#[derive(Debug, Args)]
pub struct Dirs {
    /// Directory holding one JSON record per ancestor image
    /// [env: CONTAINER_META_DIR] [default: /etc/waybill/metadata.d]
    #[arg(long, global = true, value_name = "DIR")]
    pub meta_dir: Option<PathBuf>,
    /// Directory for runtime state and locks, in the container's writable
    /// layer [env: CONTAINER_STATE_DIR] [default: /var/lib/waybill]
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Mode {
    /// Report on every ancestor image, oldest first, and on this container.
    #[command(long_flag = "examine")]
    Examine {
        /// Print the report as JSON (schema in docs/metadata.md).
        #[arg(long)]
        json: bool,
    },
    /// Print the effective metadata (leaf-most value of each field) as JSON.
    #[command(long_flag = "metadata")]
    Metadata {
        /// Accepted for symmetry: the output is always JSON.
        #[arg(long)]
        json: bool,
        /// Print every record, oldest first, instead of the merged one.
        #[arg(long)]
        all: bool,
    },
    /// Run the START method as a PID-1-safe supervisor (the ENTRYPOINT).
    ///
    /// With no START method declared, runs COMMAND instead. With one
    /// declared, COMMAND's words are appended to its arguments, as Docker
    /// appends CMD to ENTRYPOINT.
    #[command(long_flag = "start")]
    Start {
        #[arg(
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "COMMAND"
        )]
        command: Vec<String>,
    },
    /// Run the UPDATE method; only one runs at a time.
    #[command(long_flag = "update")]
    Update {
        /// Wait up to SECONDS for a running UPDATE to finish instead of
        /// exiting 75 at once.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u64>,
        #[command(flatten)]
        timeout: TimeoutArg,
    },
    /// Run the VALIDATE method (works as a Docker HEALTHCHECK).
    #[command(long_flag = "validate")]
    Validate {
        #[command(flatten)]
        timeout: TimeoutArg,
    },
    /// Run the MONITOR method; exits with its Nagios code.
    #[command(long_flag = "monitor")]
    Monitor {
        #[command(flatten)]
        timeout: TimeoutArg,
    },
    /// Run the METRICS method and check it prints Prometheus text.
    #[command(long_flag = "metrics")]
    Metrics {
        #[command(flatten)]
        timeout: TimeoutArg,
    },
    /// File a record at the next position in the ancestry (build time).
    ///
    /// Works in an exec-form RUN, so derived images need no shell:
    /// RUN ["/usr/bin/container", "record", "/tmp/waybill.json"]
    Record {
        /// The record to file, as written by `waybill stamp`.
        file: PathBuf,
    },
}

/// `--timeout`, shared by the actions that have one.
#[derive(Debug, Args, Clone, Copy)]
pub struct TimeoutArg {
    /// Kill the method's process group after SECONDS, overriding the
    /// image's declared timeout; exits 124.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
}
