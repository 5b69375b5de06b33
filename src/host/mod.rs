//! The host side: everything the `waybill` binary does outside containers.
//!
//! Stamping records in CI, talking to the Docker engine, serving webhooks.
//! Compiled only with the `host` feature; nothing in [`crate::container`]
//! or [`crate::record`] may depend on it.
//!
//! [`run`] takes parsed arguments and the environment snapshot and
//! returns the exit code to use; it never exits the process itself and
//! never reads the process environment directly (see [`mod@env`]).

pub mod actions;
pub mod age;
pub mod cli;
pub mod cmd;
pub mod endpoint;
pub mod engine;
pub mod env;
mod error;
pub mod fleet;
pub mod metrics;
pub mod serve;
pub mod stamp;
mod toml_place;

pub use error::HostError;

use crate::record::Action;
use cli::{Cli, Command};
use env::Env;

/// Runs one `waybill` command and returns its exit code.
///
/// The process's one async runtime is made here and nowhere else: code
/// below is async where it talks to an engine and never builds a runtime
/// of its own, so it can also be called from inside another runtime (a
/// server's) without panicking.
pub fn run(cli: Cli, env: &Env) -> Result<u8, HostError> {
    // One thread is enough: the work is waiting on engines, and futures
    // waiting on several at once need no more threads to overlap.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(HostError::Runtime)?;
    runtime.block_on(dispatch(cli, env))
}

/// Hands each command to its file in [`cmd`].
async fn dispatch(cli: Cli, env: &Env) -> Result<u8, HostError> {
    match cli.command {
        Command::Stamp(args) => cmd::stamp::run(args, env).await,
        Command::Ls(args) => cmd::ls::run(args, env).await,
        Command::Examine(args) => cmd::examine::run(args, env).await,
        Command::Update(args) => {
            cmd::action::run(Action::Update, args.common, Some(args.update), env).await
        }
        Command::Validate(args) => cmd::action::run(Action::Validate, args, None, env).await,
        Command::Monitor(args) => cmd::action::run(Action::Monitor, args, None, env).await,
        Command::Metrics(args) => cmd::metrics::run(args, env).await,
        Command::Serve(args) => cmd::serve::run(args, env).await,
    }
}

/// Prints a warning the way every `waybill` warning looks, with control
/// characters from quoted names and values escaped.
pub fn warn(message: impl std::fmt::Display) {
    crate::output::stderr_line(format_args!(
        "waybill: warning: {}",
        crate::safe_text::Escaped(message)
    ));
}
