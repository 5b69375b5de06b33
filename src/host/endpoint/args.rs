//! The engine-selection flags every engine command shares.
//!
//! The flags mirror the docker CLI's global options (`-H`, `--context`,
//! `--tlsverify`, `--tlscacert`, `--tlscert`, `--tlskey`), except that
//! `--host` and `--context` may repeat, and add `--all-contexts` and
//! `--hosts-file`. Commands flatten this struct into their arguments;
//! resolving it is [`super::resolve`]'s job.

use std::path::PathBuf;

/// Which engines to talk to, as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct EndpointArgs {
    /// Engine address (unix://PATH, tcp://HOST[:PORT], ssh://[USER@]HOST[:PORT]); repeatable
    #[arg(short = 'H', long = "host", value_name = "URL")]
    pub hosts: Vec<String>,

    /// A docker CLI context by name (see `docker context ls`); repeatable
    #[arg(short = 'c', long = "context", value_name = "NAME")]
    pub contexts: Vec<String>,

    /// Every context of the docker CLI's context store, `default` included
    #[arg(long)]
    pub all_contexts: bool,

    /// A hosts file naming engines (default: $XDG_CONFIG_HOME/waybill/hosts.toml when it exists)
    #[arg(long, value_name = "PATH")]
    pub hosts_file: Option<PathBuf>,

    /// Use TLS and verify the engine (for --host and DOCKER_HOST; as DOCKER_TLS_VERIFY)
    #[arg(long)]
    pub tlsverify: bool,

    /// Trust certificates signed by this CA (default: DOCKER_CERT_PATH/ca.pem)
    #[arg(long, value_name = "PATH")]
    pub tlscacert: Option<PathBuf>,

    /// Client certificate (default: DOCKER_CERT_PATH/cert.pem)
    #[arg(long, value_name = "PATH")]
    pub tlscert: Option<PathBuf>,

    /// Client key (default: DOCKER_CERT_PATH/key.pem)
    #[arg(long, value_name = "PATH")]
    pub tlskey: Option<PathBuf>,
}
