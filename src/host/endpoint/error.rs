//! What can go wrong while choosing engines.
//!
//! Every variant names the flag, variable, context or file at fault, so a
//! user can fix it without reading the code. Exit codes are decided by the
//! command layer, not here.

use std::path::PathBuf;

/// An engine selection that cannot be resolved.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// An address with a scheme other than unix, tcp or ssh, or not a
    /// valid address of its scheme.
    #[error("invalid engine address `{url}` (from {origin}): {reason}")]
    BadUrl {
        url: String,
        origin: String,
        reason: String,
    },

    /// `--context`, `DOCKER_CONTEXT`, `currentContext` or a hosts-file
    /// entry names a context the store does not hold.
    #[error("context `{name}` (from {origin}) does not exist in `{store}`")]
    NoSuchContext {
        name: String,
        origin: String,
        store: PathBuf,
    },

    /// A context's `meta.json` that is not what the docker CLI writes.
    #[error("malformed context metadata `{path}`: {reason}")]
    BadContextMeta { path: PathBuf, reason: String },

    /// The docker CLI's `config.json` is not JSON of the expected shape.
    #[error("malformed docker CLI configuration `{path}`: {reason}")]
    BadDockerConfig { path: PathBuf, reason: String },

    /// A TLS file that the selection requires is not there.
    #[error("TLS {what} file `{path}` (for {origin}) is missing")]
    MissingTls {
        what: &'static str,
        path: PathBuf,
        origin: String,
    },

    /// A file that exists but cannot be read (or a named file that does
    /// not exist).
    #[error("failed to read `{path}`: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file larger than any honest one of its kind.
    #[error("`{path}` is larger than {limit} bytes")]
    TooLarge { path: PathBuf, limit: u64 },

    /// Neither `HOME` nor the variable that replaces it is set, so the
    /// file that `what` names cannot be found.
    #[error("cannot find {what}: HOME is not set")]
    NoHome { what: &'static str },

    /// The hosts file is not valid TOML or breaks its schema.
    #[error("{path}:{line}:{column}: {message}")]
    HostsFile {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// Two endpoints would get the same name, so rows could not tell
    /// them apart.
    #[error("two engines are named `{name}`: one from {first}, one from {second}")]
    DuplicateName {
        name: String,
        first: String,
        second: String,
    },
}
