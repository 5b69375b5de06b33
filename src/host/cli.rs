//! The `waybill` command line.
//!
//! One subcommand per host-side task; `stamp` is the first. This module
//! holds only the top level: each command's arguments, and the glue that
//! hands them to the code doing the work, are a file of [`super::cmd`].
//! Clap turns a refused value into exit 64.

use super::cmd::stamp::StampArgs;
use clap::{Parser, Subcommand};

const AFTER_HELP: &str = "\
Exit codes: 0 ok; 64 usage; 65 bad input data (SOURCE_DATE_EPOCH, --meta-json,
--record, a base image's stack label, a record `container record` would
refuse); 66 repository, --meta-json or --record missing; 69 Docker engine
unreachable or no such image; 71 OS error (clock, runtime); 73 cannot write
--output; 74 reading the repository or writing stdout failed; 78 engine
settings (context, hosts file) do not resolve to one engine.
See docs/stamping.md and docs/exit-codes.md.";

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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
