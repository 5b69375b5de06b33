//! The `waybill` command line.
//!
//! One subcommand per host-side task; `stamp` is the first. This module
//! only describes arguments and checks their shape (clap turns a refused
//! value into exit 64); [`super::run`] acts on them.

use super::stamp::method_arg::parse_method;
use super::stamp::user_metadata::{parse_meta_pair, MetaPair};
use crate::record::Method;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 ok; 64 usage; 65 bad input data (SOURCE_DATE_EPOCH, --meta-json,
--record, a base image's stack label); 66 repository, --meta-json or --record
missing; 69 Docker engine unreachable or no such image; 71 OS error (clock,
runtime); 73 cannot write --output; 74 reading the repository or writing
stdout failed. See docs/stamping.md and docs/exit-codes.md.";

/// The flags that build a record from git, the CI environment and the
/// command line; `--record` takes a finished one instead, so it refuses
/// them rather than silently ignoring them.
const RECORD_BUILDING: [&str; 16] = [
    "project",
    "image_name",
    "tags",
    "repo",
    "start_method",
    "update_method",
    "validate_method",
    "monitor_method",
    "metrics_method",
    "update_timeout",
    "validate_timeout",
    "monitor_timeout",
    "metrics_timeout",
    "validate",
    "meta",
    "meta_json",
];

/// Host-side companion of the in-container `container` tool.
#[derive(Debug, Parser)]
#[command(name = "waybill", version, after_help = AFTER_HELP)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write one image record from git and the CI environment.
    ///
    /// The record is what `container record FILE` files inside the image;
    /// `--format labels` prints the same facts as `docker build` labels.
    /// Stamp the record once with `--output`, then print the labels from
    /// that file with `--record`, so both describe the same build.
    #[command(after_help = AFTER_HELP)]
    Stamp(StampArgs),
}

/// `waybill stamp`.
#[derive(Debug, Args)]
pub struct StampArgs {
    /// The image's project name (the record's `project`). Required
    /// unless --record is given.
    #[arg(
        long,
        value_name = "NAME",
        value_parser = single_line,
        required_unless_present = "record"
    )]
    pub project: Option<String>,
    /// The image's name, e.g. `registry.example/web/app`.
    #[arg(long, value_name = "NAME", value_parser = single_line)]
    pub image_name: Option<String>,
    /// A tag the image is built with; repeat for several.
    #[arg(long = "tag", value_name = "NAME", value_parser = single_line)]
    pub tags: Vec<String>,
    /// The git work tree to read.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    #[command(flatten)]
    pub methods: MethodArgs,

    /// Declare that VALIDATE should run after builds and deploys.
    #[arg(long)]
    pub validate: bool,
    /// A `user_metadata` value; KEY may be dotted (`owner.email=...`) to
    /// nest. Repeatable; later flags win over earlier ones and the file.
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta_pair)]
    pub meta: Vec<MetaPair>,
    /// A JSON object to start `user_metadata` from.
    #[arg(long, value_name = "FILE")]
    pub meta_json: Option<PathBuf>,

    /// What to print.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Write there, atomically, instead of to standard output. The file
    /// does not count towards the work tree's dirty state.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Base image whose `io.waybill.stack` label starts the ancestry
    /// (for --format labels and build-args; read through the engine).
    #[arg(long, value_name = "IMAGE")]
    pub from: Option<String>,
    /// Take the record from FILE, written by an earlier `waybill stamp
    /// --output FILE`, instead of reading git, the CI environment and the
    /// clock, so the labels match it exactly. Needs --format labels or
    /// build-args; refuses the flags that build a record.
    #[arg(long, value_name = "FILE", conflicts_with_all = RECORD_BUILDING)]
    pub record: Option<PathBuf>,
}

/// The lifecycle methods and timeouts a stamp declares.
#[derive(Debug, Args)]
pub struct MethodArgs {
    /// START method: a path, or a JSON array of strings (argv). Never a shell.
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub start_method: Option<Method>,
    /// UPDATE method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub update_method: Option<Method>,
    /// VALIDATE method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub validate_method: Option<Method>,
    /// MONITOR method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub monitor_method: Option<Method>,
    /// METRICS method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub metrics_method: Option<Method>,
    /// UPDATE timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub update_timeout: Option<u64>,
    /// VALIDATE timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub validate_timeout: Option<u64>,
    /// MONITOR timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub monitor_timeout: Option<u64>,
    /// METRICS timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub metrics_timeout: Option<u64>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The record, pretty JSON: what `container record FILE` files.
    Json,
    /// One `--label=KEY=VALUE` docker argument per line.
    Labels,
    /// One `--build-arg=NAME=VALUE` docker argument per line.
    BuildArgs,
}

/// A non-empty value on one line: names end up in labels, one per line.
fn single_line(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else if text.chars().any(char::is_control) {
        Err("must be one line without control characters".into())
    } else {
        Ok(text.to_owned())
    }
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
