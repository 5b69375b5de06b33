//! Everything that can go wrong in the `waybill` host commands, and the
//! exit code each one maps to.
//!
//! Codes come from [`crate::exit`]; [`HostError::exit_code`] is the one
//! place that chooses them. Messages say what was being done and name the
//! path, variable or image involved. Engine failures are described by
//! [`EngineError`], which only [`super::engine`] creates.

use super::endpoint::EndpointError;
use super::engine::EngineError;
use crate::exit;
use crate::files::FileError;
use crate::record::RecordError;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("repository directory `{}` does not exist", path.display())]
    RepoMissing { path: PathBuf },

    #[error("`{}` is not inside a git work tree: {}", path.display(), source.message())]
    NotARepo { path: PathBuf, source: git2::Error },

    #[error("`{}` is a bare repository; stamping needs a work tree", path.display())]
    BareRepo { path: PathBuf },

    #[error("repository `{}` has no commit at HEAD yet; commit before stamping", path.display())]
    NoCommit { path: PathBuf },

    #[error("failed to {operation} in repository `{}`: {}", path.display(), source.message())]
    Git {
        path: PathBuf,
        operation: &'static str,
        source: git2::Error,
    },

    #[error("SOURCE_DATE_EPOCH=`{value}` is not usable: {reason}")]
    SourceDateEpoch { value: String, reason: String },

    #[error("the system clock reads {epoch} seconds since the epoch, which is not a usable time")]
    Clock { epoch: i64 },

    #[error("failed to read --meta-json file `{}`: {source}", path.display())]
    MetaJsonUnreadable { path: PathBuf, source: io::Error },

    #[error("--meta-json file `{}` is not usable: {reason}", path.display())]
    MetaJsonInvalid { path: PathBuf, reason: String },

    #[error("cannot set --meta `{key}`: `{prefix}` already holds {found}, not an object")]
    MetaConflict {
        key: String,
        prefix: String,
        found: &'static str,
    },

    /// The record built from the flags, git and CI breaks a record limit
    /// (docs/metadata.md): `container record` would refuse it, so it is
    /// not written. The reason is the record reader's own, without a
    /// position in text that was never written.
    #[error(
        "the stamped record would be refused by `container record`, so nothing was written: {}",
        source.reason()
    )]
    StampRefused { source: RecordError },

    #[error("--project is required unless --record names a record file")]
    ProjectMissing,

    #[error(
        "--record `{}` prints labels or build arguments; the file already is the JSON record: \
         add --format labels or --format build-args",
        path.display()
    )]
    RecordAsJson { path: PathBuf },

    #[error(
        "--output `{}` is the --record file; writing labels there would replace the record",
        path.display()
    )]
    OutputOverwritesRecord { path: PathBuf },

    #[error("failed to read --record file `{}`: {source}", path.display())]
    RecordUnreadable { path: PathBuf, source: io::Error },

    #[error("--record file `{}` is not a valid record: {source}", path.display())]
    RecordInvalid { path: PathBuf, source: RecordError },

    #[error(transparent)]
    Engine(#[from] EngineError),

    #[error(transparent)]
    Endpoint(#[from] EndpointError),

    /// `--from` needs the one engine the image was built on, and the
    /// default hosts file names several.
    #[error(
        "--from needs one engine, but the default hosts file names {}: set DOCKER_HOST or \
         DOCKER_CONTEXT to the engine that holds the base image",
        names.join(", ")
    )]
    ManyEngines { names: Vec<String> },

    #[error("base image `{image}` has a malformed `io.waybill.stack` label: {source}")]
    BadBaseStack {
        image: String,
        source: crate::record::stack_label::StackLabelError,
    },

    #[error("failed to write `{}`: {source}", path.display())]
    WriteOutput { path: PathBuf, source: FileError },

    #[error("failed to write to standard output: {0}")]
    Stdout(#[source] io::Error),

    /// `waybill serve`: the configuration file is missing or refused.
    #[error(transparent)]
    ServeConfig(crate::host::serve::ConfigError),

    #[error("config file `{}` names no `listen` address, and --listen is not given", path.display())]
    NoListen { path: PathBuf },

    #[error("failed to listen on {address}: {source}")]
    Bind {
        address: std::net::SocketAddr,
        source: io::Error,
    },

    #[error(transparent)]
    Serve(crate::host::serve::ServeError),

    #[error("no container or image `{target}` on the engines asked")]
    NoSuchTarget { target: String },

    #[error("`{target}` matches several containers; name one of them: {}", matches.join(", "))]
    AmbiguousTarget {
        target: String,
        matches: Vec<String>,
    },

    #[error(
        "image `{image}` has no `io.waybill.stack` label; run a container from it and examine that"
    )]
    ImageUnlabelled { image: String },

    #[error("cannot examine `{target}`: {source}")]
    Examine {
        target: String,
        source: Box<crate::host::fleet::DiscoveryError>,
    },

    /// An action command was given no TARGETS, no filter and no `--all`.
    #[error(
        "name the containers to act on: TARGETS, a filter (--project, --label, --source, \
         --branch), or --all for every container with waybill records"
    )]
    NothingToSelect,

    #[error("failed to start the async runtime: {0}")]
    Runtime(#[source] io::Error),
}

impl HostError {
    /// The one place that decides `waybill`'s exit codes.
    pub fn exit_code(&self) -> u8 {
        match self {
            HostError::MetaConflict { .. }
            | HostError::ProjectMissing
            | HostError::RecordAsJson { .. }
            | HostError::OutputOverwritesRecord { .. } => exit::USAGE,
            HostError::SourceDateEpoch { .. }
            | HostError::MetaJsonInvalid { .. }
            | HostError::RecordInvalid { .. }
            | HostError::StampRefused { .. }
            | HostError::BadBaseStack { .. } => exit::DATAERR,
            HostError::RepoMissing { .. }
            | HostError::NotARepo { .. }
            | HostError::BareRepo { .. }
            | HostError::NoCommit { .. }
            | HostError::MetaJsonUnreadable { .. }
            | HostError::RecordUnreadable { .. } => exit::NOINPUT,
            // Every engine failure (unreachable, TLS refused, API version
            // rejected, ssh failed, no such object) is "the service is
            // not available as asked".
            HostError::Engine(_) => exit::UNAVAILABLE,
            HostError::AmbiguousTarget { .. } | HostError::NothingToSelect => exit::USAGE,
            HostError::NoSuchTarget { .. } | HostError::ImageUnlabelled { .. } => exit::NOINPUT,
            HostError::Examine { source, .. } => source.exit_code(),
            HostError::Endpoint(_) | HostError::ManyEngines { .. } => exit::CONFIG,
            HostError::Clock { .. } | HostError::Runtime(_) => exit::OSERR,
            HostError::WriteOutput { .. } => exit::CANTCREAT,
            HostError::Git { .. } | HostError::Stdout(_) => exit::IOERR,
            HostError::ServeConfig(e) if e.is_missing() => exit::NOINPUT,
            HostError::ServeConfig(_) | HostError::NoListen { .. } => exit::CONFIG,
            HostError::Bind { .. } => exit::OSERR,
            HostError::Serve(crate::host::serve::ServeError::StateDir { .. }) => exit::CANTCREAT,
            HostError::Serve(crate::host::serve::ServeError::Http(_)) => exit::IOERR,
        }
    }
}
