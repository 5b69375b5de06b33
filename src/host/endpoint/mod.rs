//! Which Docker engines a `waybill` command talks to.
//!
//! Turns the command-line flags ([`EndpointArgs`]), the environment (read
//! only through [`Env`]) and files (the docker CLI's `config.json` and
//! context store, waybill's hosts file) into a list of [`Endpoint`]s, the
//! way the docker CLI resolves `-H`, `--context`, `DOCKER_HOST`,
//! `DOCKER_CONTEXT` and `currentContext` (see docs/engines.md for the
//! precedence). Several selectors add up, so one command can reach a fleet.
//! The hosts file may also say how to reach each Swarm node's engine
//! ([`swarm_settings`], docs/swarm.md).
//!
//! This module is pure resolution: it reads files but never connects,
//! never reads the process environment behind [`Env`]'s back and knows
//! nothing of bollard. Whether an engine answers is the engine layer's
//! business.

mod args;
mod context;
mod docker_config;
mod docker_host;
mod error;
mod hosts_file;
mod read;
mod select;
mod swarm_nodes;
mod tls;

#[cfg(test)]
mod tests;

pub use args::EndpointArgs;
pub use context::context_dir_name;
pub use error::EndpointError;
pub use hosts_file::default_hosts_file;
pub use select::resolve;
pub use swarm_nodes::{swarm_settings, NodeTemplate, SwarmSettings};

use std::fmt;
use std::path::PathBuf;

/// One engine to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// What every output row calls this engine; unique within one
    /// resolution.
    pub name: String,
    /// Normalised address: `unix:///path`, `tcp://host:port` or
    /// `ssh://[user@]host[:port]`.
    pub url: String,
    /// TLS material for a `tcp://` endpoint; `None` means plain tcp (or a
    /// unix/ssh endpoint, where TLS does not apply).
    pub tls: Option<TlsFiles>,
    /// Where this endpoint came from, for messages.
    pub origin: Origin,
}

/// The files of a TLS connection, as the docker CLI uses them.
///
/// `cert` and `key` are both set or both unset (a client certificate
/// needs its key). Without `ca` the system's roots verify the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Whether the engine's certificate is verified; false only for a
    /// context created with `skip-tls-verify=true`.
    pub verify: bool,
}

/// Where an [`Endpoint`] was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--host URL`.
    HostFlag,
    /// `--context NAME`.
    ContextFlag,
    /// `--all-contexts`.
    AllContexts,
    /// The `DOCKER_HOST` variable.
    DockerHostEnv,
    /// The `DOCKER_CONTEXT` variable.
    DockerContextEnv,
    /// `currentContext` in the docker CLI's `config.json` at this path.
    CurrentContext(PathBuf),
    /// An `[[engine]]` entry of the hosts file at this path.
    HostsFile(PathBuf),
    /// Nothing was set: the local engine's default socket.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::HostFlag => f.write_str("--host"),
            Origin::ContextFlag => f.write_str("--context"),
            Origin::AllContexts => f.write_str("--all-contexts"),
            Origin::DockerHostEnv => f.write_str("DOCKER_HOST"),
            Origin::DockerContextEnv => f.write_str("DOCKER_CONTEXT"),
            Origin::CurrentContext(path) => {
                write!(f, "currentContext in `{}`", path.display())
            }
            Origin::HostsFile(path) => write!(f, "hosts file `{}`", path.display()),
            Origin::Default => f.write_str("the default socket"),
        }
    }
}

/// The local engine's socket when nothing names another, as in the
/// docker CLI.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The name of the docker CLI's built-in context: `DOCKER_HOST` or the
/// default socket.
pub const DEFAULT_CONTEXT: &str = "default";
