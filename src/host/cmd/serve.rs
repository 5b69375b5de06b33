//! `waybill serve`: arguments, logging set-up, the listener and signals;
//! the server itself is [`crate::host::serve`].

use crate::host::env::Env;
use crate::host::serve::{self, config};
use crate::host::HostError;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The configuration file (TOML; see docs/serve.md and examples/serve.toml).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Address to listen on, overriding the file's `listen` (port 0: any free port).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
}

pub async fn run(args: ServeArgs, env: &Env) -> Result<u8, HostError> {
    let config = config::load(&args.config, env).map_err(HostError::ServeConfig)?;
    let address = args
        .listen
        .or(config.listen)
        .ok_or_else(|| HostError::NoListen {
            path: args.config.clone(),
        })?;
    // A second subscriber (tests that run several servers in one
    // process) is not an error: the first one keeps logging.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(false)
        .try_init();
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|source| HostError::Bind { address, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| HostError::Bind { address, source })?;
    crate::output::stderr_line(format_args!("waybill: serving on http://{bound}"));
    serve::run(listener, config, shutdown_signal())
        .await
        .map_err(HostError::Serve)?;
    Ok(crate::exit::OK)
}

/// Resolves on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the process still stops on a signal,
        // by the default action, just without the graceful part.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
    tracing::info!("signal received; shutting down");
}
