//! What a stamp is asked to do: the command line's choices in the
//! stamp's own terms, so that this module never depends on the command
//! line ([`crate::host::cmd::stamp`] builds a [`Request`]).

use super::user_metadata::MetaPair;
use crate::record::Method;
use clap::ValueEnum;
use std::path::PathBuf;

/// One stamp: the record's facts from the flags, and what to print.
#[derive(Debug, Clone)]
pub struct Request {
    /// Required unless `record` names a finished record.
    pub project: Option<String>,
    pub image_name: Option<String>,
    pub tags: Vec<String>,
    /// The git work tree to read.
    pub repo: PathBuf,
    pub methods: Methods,
    pub validate: bool,
    /// The record's `description` and `licenses`.
    pub description: Option<String>,
    pub licenses: Option<String>,
    /// The `org.opencontainers.image.url` label; the record's
    /// `source_url` when unset.
    pub url: Option<String>,
    pub meta: Vec<MetaPair>,
    pub meta_json: Option<PathBuf>,
    pub format: StampFormat,
    pub output: Option<PathBuf>,
    /// The base image whose stack label starts the ancestry.
    pub from: Option<String>,
    /// A record an earlier stamp wrote, used instead of git and CI.
    pub record: Option<PathBuf>,
}

/// The lifecycle methods and timeouts a stamp declares.
#[derive(Debug, Clone, Default)]
pub struct Methods {
    pub start_method: Option<Method>,
    pub update_method: Option<Method>,
    pub validate_method: Option<Method>,
    pub monitor_method: Option<Method>,
    pub metrics_method: Option<Method>,
    pub update_timeout: Option<u64>,
    pub validate_timeout: Option<u64>,
    pub monitor_timeout: Option<u64>,
    pub metrics_timeout: Option<u64>,
}

/// What `waybill stamp` prints (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StampFormat {
    /// The record, pretty JSON: what `container record FILE` files.
    Json,
    /// One `--label=KEY=VALUE` docker argument per line.
    Labels,
    /// One `--build-arg=NAME=VALUE` docker argument per line.
    BuildArgs,
}
