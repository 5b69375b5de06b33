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
pub mod prometheus;
pub mod report;
pub mod runtime;
pub mod start;
pub mod state;
pub mod update_lock;

pub use error::ContainerError;

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
        meta_dir: cli.dirs.meta_dir,
        state_dir: state::StateDir::new(cli.dirs.state_dir),
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

/// Prints a warning the way every `container` warning looks.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("container: warning: {message}");
}
