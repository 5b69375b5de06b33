//! The in-container tool: the commands behind the `container` binary.
//!
//! [`run`] takes parsed arguments and returns the exit code to use; it
//! never exits the process itself. Nothing here knows about Docker, git
//! or HTTP: the tool runs inside the container and only reads its own
//! files, the environment and the process table.

pub mod action_run;
pub mod child;
pub mod cli;
mod error;
pub mod examine;
pub mod filing;
pub mod metadata;
pub mod passwd;
pub mod problems;
pub mod push;
pub mod runtime;
pub mod start;
pub mod state;
pub mod update_lock;

pub use error::ContainerError;

use crate::stack::DEFAULT_META_DIR;
use cli::{Cli, Mode};
use std::path::PathBuf;

/// Where this invocation reads records and keeps state.
#[derive(Debug, Clone)]
pub struct Context {
    pub meta_dir: PathBuf,
    pub state_dir: state::StateDir,
}

/// Runs one `container` command and returns its exit code.
pub fn run(cli: Cli) -> Result<u8, ContainerError> {
    let ctx = Context {
        meta_dir: cli
            .dirs
            .meta_dir
            .unwrap_or_else(|| dir_from_env("CONTAINER_META_DIR", DEFAULT_META_DIR)),
        state_dir: state::StateDir::new(
            cli.dirs
                .state_dir
                .unwrap_or_else(|| dir_from_env("CONTAINER_STATE_DIR", state::DEFAULT_STATE_DIR)),
        ),
    };
    match cli.mode {
        Mode::Examine { json } => examine::run(&ctx, json),
        Mode::Metadata { json: _, all } => metadata::run(&ctx, all),
        Mode::Start { command } => start::run(&ctx, &command),
        Mode::Update { wait, timeout } => {
            let options = action_run::Options {
                wait: wait.map(std::time::Duration::from_secs),
                timeout: timeout.timeout,
            };
            action_run::run(&ctx, crate::record::Action::Update, &options)
        }
        Mode::Validate { timeout } => {
            action_run::run(&ctx, crate::record::Action::Validate, &timeout.into())
        }
        Mode::Monitor { timeout } => {
            action_run::run(&ctx, crate::record::Action::Monitor, &timeout.into())
        }
        Mode::Metrics { timeout } => {
            action_run::run(&ctx, crate::record::Action::Metrics, &timeout.into())
        }
        Mode::Record { file } => filing::run(&ctx, &file),
    }
}

/// A directory from the command line, else from `var` when it is set and
/// not empty, else `default`. Read here rather than through clap's `env`
/// support, which costs every invocation a measurable share of its time
/// (docs/benchmarks.md).
fn dir_from_env(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from(default), PathBuf::from)
}

/// Warns about each malformed record an action skips: a broken ancestor
/// record must not stop a START or a healthcheck.
fn warn_skipped(stack: &crate::stack::Stack) {
    for (entry, error) in stack.bad_entries() {
        warn(format_args!(
            "skipping malformed record `{}`: {error}",
            entry.path.display()
        ));
    }
}

/// Prints a warning the way every `container` warning looks. Warnings
/// quote file names and record text, so control characters are escaped.
pub fn warn(message: impl std::fmt::Display) {
    crate::output::stderr_line(format_args!(
        "container: warning: {}",
        crate::safe_text::Escaped(message)
    ));
}
