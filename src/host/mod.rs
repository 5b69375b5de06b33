//! The host side: everything the `waybill` binary does outside containers.
//!
//! Stamping records in CI, talking to the Docker engine, serving webhooks.
//! Compiled only with the `host` feature; nothing in [`crate::container`]
//! or [`crate::record`] may depend on it.
//!
//! [`run`] takes parsed arguments and the environment snapshot and
//! returns the exit code to use; it never exits the process itself and
//! never reads the process environment directly (see [`mod@env`]).

pub mod cli;
pub mod endpoint;
pub mod engine;
pub mod env;
mod error;
pub mod stamp;

pub use error::HostError;

use cli::{Cli, Command};
use env::Env;
use std::future::Future;

/// Runs one `waybill` command and returns its exit code.
pub fn run(cli: Cli, env: &Env) -> Result<u8, HostError> {
    match cli.command {
        Command::Stamp(args) => stamp::run(&args, env, &stamp::build_time::SystemClock),
    }
}

/// Prints a warning the way every `waybill` warning looks.
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("waybill: warning: {message}");
}

/// Runs `future` to completion on a runtime made for the purpose, for the
/// synchronous commands that need the engine now and then.
pub fn block_on<F: Future>(future: F) -> Result<F::Output, HostError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(HostError::Runtime)?;
    Ok(runtime.block_on(future))
}
