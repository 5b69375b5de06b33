//! `waybill stamp`'s arguments, and the glue that hands them to
//! [`crate::host::stamp`].
//!
//! This module only describes arguments and checks their shape; the
//! values it parses (methods, `--meta` pairs, the format) are the stamp's
//! own types, so the stamp never depends on the command line.

use crate::host::env::Env;
use crate::host::stamp::build_time::SystemClock;
use crate::host::stamp::method_arg::parse_method;
use crate::host::stamp::user_metadata::{parse_meta_pair, MetaPair};
use crate::host::stamp::{self, Methods, Request, StampFormat};
use crate::host::HostError;
use crate::record::Method;
use clap::Args;
use std::path::PathBuf;

/// The flags that build a record from git, the CI environment and the
/// command line; `--record` takes a finished one instead, so it refuses
/// them rather than silently ignoring them.
const RECORD_BUILDING: [&str; 18] = [
    "project",
    "image_name",
    "tags",
    "repo",
    "start_method",
    "update_method",
    "validate_method",
    "monitor_method",
    "metrics_method",
    "update_timeout",
    "validate_timeout",
    "monitor_timeout",
    "metrics_timeout",
    "validate",
    "meta",
    "meta_json",
    "description",
    "licenses",
];

/// `waybill stamp`.
#[derive(Debug, Args)]
pub struct StampArgs {
    /// The image's project name (the record's `project`). Required
    /// unless --record is given.
    #[arg(
        long,
        value_name = "NAME",
        value_parser = single_line,
        required_unless_present = "record"
    )]
    pub project: Option<String>,
    /// The image's name, e.g. `registry.example/web/app`.
    #[arg(long, value_name = "NAME", value_parser = single_line)]
    pub image_name: Option<String>,
    /// A tag the image is built with; repeat for several.
    #[arg(long = "tag", value_name = "NAME", value_parser = single_line)]
    pub tags: Vec<String>,
    /// The git work tree to read.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    #[command(flatten)]
    pub methods: MethodArgs,

    /// Declare that VALIDATE should run after builds and deploys.
    #[arg(long)]
    pub validate: bool,
    /// What the image is, one line (the record's `description` and the
    /// `org.opencontainers.image.description` label).
    #[arg(long, value_name = "TEXT", value_parser = description)]
    pub description: Option<String>,
    /// The image's licences as an SPDX expression, e.g. `MIT OR
    /// Apache-2.0` (the record's `licenses` and the
    /// `org.opencontainers.image.licenses` label).
    #[arg(long, value_name = "SPDX-EXPRESSION", value_parser = licenses)]
    pub licenses: Option<String>,
    /// The `org.opencontainers.image.url` label (http or https; any user
    /// name or password is removed). Default: the record's `source_url`,
    /// the repository's web address.
    #[arg(long, value_name = "URL", value_parser = web_url)]
    pub url: Option<String>,
    /// A `user_metadata` value; KEY may be dotted (`owner.email=...`) to
    /// nest. Repeatable; later flags win over earlier ones and the file.
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta_pair)]
    pub meta: Vec<MetaPair>,
    /// A JSON object to start `user_metadata` from.
    #[arg(long, value_name = "FILE")]
    pub meta_json: Option<PathBuf>,

    /// What to print.
    #[arg(long, value_enum, default_value_t = StampFormat::Json)]
    pub format: StampFormat,
    /// Write there, atomically, instead of to standard output. The file
    /// does not count towards the work tree's dirty state.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Base image whose `io.waybill.stack` label starts the ancestry
    /// (for --format labels and build-args; read through the engine).
    #[arg(long, value_name = "IMAGE")]
    pub from: Option<String>,
    /// Take the record from FILE, written by an earlier `waybill stamp
    /// --output FILE`, instead of reading git, the CI environment and the
    /// clock, so the labels match it exactly. Needs --format labels or
    /// build-args; refuses the flags that build a record.
    #[arg(long, value_name = "FILE", conflicts_with_all = RECORD_BUILDING)]
    pub record: Option<PathBuf>,
}

/// The lifecycle methods and timeouts a stamp declares.
#[derive(Debug, Args)]
pub struct MethodArgs {
    /// START method: a path, or a JSON array of strings (argv). Never a shell.
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub start_method: Option<Method>,
    /// UPDATE method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub update_method: Option<Method>,
    /// VALIDATE method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub validate_method: Option<Method>,
    /// MONITOR method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub monitor_method: Option<Method>,
    /// METRICS method (path or JSON argv).
    #[arg(long, value_name = "M", value_parser = parse_method)]
    pub metrics_method: Option<Method>,
    /// UPDATE timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub update_timeout: Option<u64>,
    /// VALIDATE timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub validate_timeout: Option<u64>,
    /// MONITOR timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub monitor_timeout: Option<u64>,
    /// METRICS timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub metrics_timeout: Option<u64>,
}

impl StampArgs {
    /// The stamp's request: the same values, in the stamp's terms.
    pub fn request(self) -> Request {
        let m = self.methods;
        Request {
            project: self.project,
            image_name: self.image_name,
            tags: self.tags,
            repo: self.repo,
            methods: Methods {
                start_method: m.start_method,
                update_method: m.update_method,
                validate_method: m.validate_method,
                monitor_method: m.monitor_method,
                metrics_method: m.metrics_method,
                update_timeout: m.update_timeout,
                validate_timeout: m.validate_timeout,
                monitor_timeout: m.monitor_timeout,
                metrics_timeout: m.metrics_timeout,
            },
            validate: self.validate,
            description: self.description,
            licenses: self.licenses,
            url: self.url,
            meta: self.meta,
            meta_json: self.meta_json,
            format: self.format,
            output: self.output,
            from: self.from,
            record: self.record,
        }
    }
}

/// Runs `waybill stamp` with the system clock.
pub async fn run(args: StampArgs, env: &Env) -> Result<u8, HostError> {
    stamp::run(&args.request(), env, &SystemClock).await
}

fn description(text: &str) -> Result<String, String> {
    single_line(text).and_then(crate::record::check_description)
}

fn licenses(text: &str) -> Result<String, String> {
    crate::record::check_licenses(text.to_owned())
}

fn web_url(text: &str) -> Result<String, String> {
    let text = single_line(text)?;
    crate::host::stamp::source_url::without_credentials(&text)
        .ok_or_else(|| "must be an http or https URL".to_string())
}

/// A non-empty value on one line: names end up in labels, one per line.
fn single_line(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".into())
    } else if text.chars().any(char::is_control) {
        Err("must be one line without control characters".into())
    } else {
        Ok(text.to_owned())
    }
}
