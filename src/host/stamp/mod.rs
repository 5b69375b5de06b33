//! `waybill stamp`: one image record from git, the CI environment and the
//! command line.
//!
//! This module decides how the sources combine; each source has its own
//! file. Git is the truth about the commit (HEAD is what gets built); the
//! CI system is the truth about the build and about the branch, because
//! CI checkouts are usually detached. The record is a
//! [`crate::record::Record`], and before anything is written it is
//! serialised and read back through [`Record::from_slice`], the gate
//! `container record FILE` uses ([`Record::to_file_text`]): a record that
//! would be refused in the image build (too large, nested too deeply, a
//! project too long to file) is refused here, with the same reason, and
//! nothing is written. It never writes tokens, environment dumps or git
//! config into a record: only the fields listed below.
//!
//! With `--record FILE` none of those sources is read: the record is the
//! file an earlier stamp wrote ([`record_file`]), and only the labels or
//! build arguments are made from it. Stamping twice would read git and
//! the clock twice, and the two readings can disagree.

pub mod build_time;
pub mod ci;
pub mod ci_vendors;
pub mod git;
pub mod labels;
pub mod method_arg;
pub mod output;
pub mod record_file;
mod request;
pub mod source_url;
pub mod user_metadata;

pub use request::{Methods, Request, StampFormat};

use crate::host::endpoint::{self, EndpointArgs};
use crate::host::engine::Engine;
use crate::host::env::Env;
use crate::host::error::HostError;
use crate::host::warn;
use crate::record::{stack_label, Record, SCHEMA_VERSION};
use build_time::Clock;
use ci::CiFacts;
use git::GitFacts;

/// Runs `waybill stamp` and returns the exit code.
pub async fn run(args: &Request, env: &Env, clock: &dyn Clock) -> Result<u8, HostError> {
    let record = match &args.record {
        Some(path) if args.format == StampFormat::Json => {
            return Err(HostError::RecordAsJson { path: path.clone() })
        }
        Some(path)
            if args
                .output
                .as_deref()
                .is_some_and(|out| same_file(out, path)) =>
        {
            return Err(HostError::OutputOverwritesRecord { path: path.clone() })
        }
        Some(path) => record_file::read(path)?,
        None => {
            let stamped = stamp(args, env, clock)?;
            if args.format == StampFormat::Json {
                if let Some(image) = &args.from {
                    warn(format!(
                        "--from `{image}` is only used by --format labels and build-args; ignored"
                    ));
                }
                // Exactly the text that passed the gate.
                output::write(args.output.as_deref(), &stamped.text)?;
                return Ok(crate::exit::OK);
            }
            stamped.record
        }
    };

    let base = match &args.from {
        Some(image) => base_stack(image, env).await?,
        None => Vec::new(),
    };
    let stack = stack_label::render(&base, &record);
    let own = stack_label::render_record(&record);
    let facts = labels::Facts {
        record: &record,
        url: args.url.as_deref(),
        stack: &stack,
        record_json: &own,
    };
    let text = if args.format == StampFormat::Labels {
        labels::labels(&facts)
    } else {
        labels::build_args(&facts)
    };
    output::write(args.output.as_deref(), &text)?;
    Ok(crate::exit::OK)
}

/// A new record and its text as a record file, checked by the record
/// reader: `container record` files the text as it is.
#[derive(Debug)]
pub struct Stamped {
    pub record: Record,
    pub text: String,
}

/// A new record, from git, the CI environment, the clock (or
/// `SOURCE_DATE_EPOCH`) and the flags.
fn stamp(args: &Request, env: &Env, clock: &dyn Clock) -> Result<Stamped, HostError> {
    stamp_with(args, env, clock, |args| {
        git::read(&args.repo, args.output.as_deref())
    })
}

/// `stamp` with the git facts from `read_git`: the seam that lets
/// tests stamp many records without making a repository for each.
pub fn stamp_with(
    args: &Request,
    env: &Env,
    clock: &dyn Clock,
    read_git: impl FnOnce(&Request) -> Result<GitFacts, HostError>,
) -> Result<Stamped, HostError> {
    // clap requires --project without --record; this keeps a change to
    // the flags from turning into a panic.
    let project = args.project.as_deref().ok_or(HostError::ProjectMissing)?;
    let user_metadata = user_metadata::build(args.meta_json.as_deref(), &args.meta)?;
    let built = build_time::build_time(env, clock)?;
    let git = read_git(args)?;
    let ci = ci::detect(env);
    if let Some(message) = ci.as_ref().and_then(|ci| sha_mismatch(ci, &git)) {
        warn(message);
    }
    let record = Record {
        user_metadata,
        build_time: Some(built),
        build_time_stamp: Some(built.epoch()),
        ..assemble(args, project, &git, ci.as_ref())
    };
    let text = record
        .to_file_text()
        .map_err(|source| HostError::StampRefused { source })?;
    Ok(Stamped { record, text })
}

/// Whether two paths name the same file, by identity when both exist and
/// by spelling otherwise.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => a == b,
    }
}

/// The record from git, CI and the flags; build time and user metadata
/// are added by the caller.
pub fn assemble(args: &Request, project: &str, git: &GitFacts, ci: Option<&CiFacts>) -> Record {
    let ci_tag = ci.and_then(|c| c.tag.clone());
    let mut tags = git.tags.clone();
    // Shallow CI clones often fetch no tags; the CI system still knows
    // which tag it is building, and that tag is at HEAD by definition.
    if let Some(tag) = &ci_tag {
        if !tags.contains(tag) {
            tags.push(tag.clone());
            tags.sort();
        }
    }
    let describe = git
        .describe
        .clone()
        .or(ci_tag)
        .unwrap_or_else(|| git.head_short.clone());
    let m = &args.methods;
    Record {
        schema_version: Some(SCHEMA_VERSION),
        project: project.to_owned(),
        image_name: args.image_name.clone(),
        image_tag_names: (!args.tags.is_empty()).then(|| args.tags.clone()),
        gitref: Some(git.head.clone()),
        git_branch: ci
            .and_then(|c| c.branch.clone())
            .or_else(|| git.branch.clone()),
        git_dirty: Some(git.dirty),
        git_describe: Some(describe),
        git_tags: Some(tags),
        git_commit_time_stamp: Some(git.commit_time),
        git_shallow: Some(git.shallow),
        ci: Some(ci.is_some()),
        ci_system: ci.map(|c| c.system.to_owned()),
        build_cause: ci.and_then(|c| c.cause.clone()),
        build_tag: ci.and_then(|c| c.build_tag.clone()),
        build_id: ci.and_then(|c| c.build_id.clone()),
        build_url: ci.and_then(|c| c.build_url.clone()),
        source_url: git.source_url.clone(),
        start_method: m.start_method.clone(),
        update_method: m.update_method.clone(),
        validate_method: m.validate_method.clone(),
        monitor_method: m.monitor_method.clone(),
        metrics_method: m.metrics_method.clone(),
        update_timeout: m.update_timeout,
        validate_timeout: m.validate_timeout,
        monitor_timeout: m.monitor_timeout,
        metrics_timeout: m.metrics_timeout,
        validate: args.validate.then_some(true),
        description: args.description.clone(),
        licenses: args.licenses.clone(),
        ..Record::default()
    }
}

/// A warning when the CI system names a different commit than HEAD: the
/// work tree is not what the CI system thinks it is building. A value
/// that is not a full commit id (Buildkite allows `HEAD`) is not compared.
fn sha_mismatch(ci: &CiFacts, git: &GitFacts) -> Option<String> {
    let sha = ci.sha.as_deref()?;
    let is_full_id = sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    (is_full_id && !sha.eq_ignore_ascii_case(&git.head)).then(|| {
        format!(
            "{} says it builds commit {sha}, but HEAD in `{}` is {}; the record names HEAD",
            ci.system,
            git.workdir.display(),
            git.head
        )
    })
}

/// The records of `image`'s `io.waybill.stack` label; empty, with a
/// warning, when it has none. The image is asked of the engine the docker
/// CLI would build on (`DOCKER_HOST`, `DOCKER_CONTEXT`, `currentContext`,
/// the default socket), resolved from `env` like every engine command's.
async fn base_stack(image: &str, env: &Env) -> Result<Vec<Record>, HostError> {
    let endpoints = endpoint::resolve(&EndpointArgs::default(), env)?;
    let endpoint = match endpoints.as_slice() {
        [one] => one,
        many => {
            return Err(HostError::ManyEngines {
                names: many.iter().map(|e| e.name.clone()).collect(),
            })
        }
    };
    let engine = Engine::connect(endpoint).await?;
    let labels = engine.image_labels(image).await?;
    match labels.get(stack_label::STACK_LABEL) {
        Some(text) => stack_label::parse(text).map_err(|source| HostError::BadBaseStack {
            image: image.to_owned(),
            source,
        }),
        None => {
            warn(format!(
                "base image `{image}` has no `{}` label; starting a new stack",
                stack_label::STACK_LABEL
            ));
            Ok(Vec::new())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `--from` once built a runtime of its own for each
    /// engine call, which panics when the caller is already inside one
    /// (a server calling shared code). Whatever the engine says (no such
    /// image, or no engine at all), it must come back as an error.
    #[tokio::test]
    async fn stamping_with_a_base_image_runs_inside_the_callers_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("record.json");
        std::fs::write(&record, r#"{"project": "demo"}"#).unwrap();
        let request = Request {
            project: None,
            image_name: None,
            tags: Vec::new(),
            repo: ".".into(),
            methods: Methods::default(),
            validate: false,
            description: None,
            licenses: None,
            url: None,
            meta: Vec::new(),
            meta_json: None,
            format: StampFormat::Labels,
            output: Some(dir.path().join("labels")),
            from: Some("waybill-test/no-such-image:never".into()),
            record: Some(record),
        };
        let env = Env::default();
        let error = run(&request, &env, &build_time::SystemClock)
            .await
            .unwrap_err();
        assert!(matches!(error, HostError::Engine(_)), "{error:?}");
    }

    /// Regression: `--from` once let bollard read DOCKER_HOST from the
    /// process environment behind the [`Env`] it was given, so the
    /// engine a test (or a server) named was ignored.
    #[tokio::test]
    async fn the_base_image_is_asked_of_the_engine_the_given_env_names() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("no-engine.sock");
        let host = format!("unix://{}", socket.display());
        let env: Env = [("DOCKER_HOST", host.as_str())].into_iter().collect();
        let error = base_stack("base:1", &env).await.unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(&format!("engine `default` ({host}) is unreachable")),
            "{error}"
        );
        assert_eq!(error.exit_code(), crate::exit::UNAVAILABLE);
    }

    #[tokio::test]
    async fn a_default_hosts_file_naming_several_engines_is_refused_for_from() {
        let dir = tempfile::tempdir().unwrap();
        let waybill = dir.path().join("waybill");
        std::fs::create_dir(&waybill).unwrap();
        std::fs::write(
            waybill.join("hosts.toml"),
            "[[engine]]\nname = \"one\"\nhost = \"tcp://10.0.0.1:2375\"\n\n\
             [[engine]]\nname = \"two\"\nhost = \"tcp://10.0.0.2:2375\"\n",
        )
        .unwrap();
        let config = dir.path().display().to_string();
        let env: Env = [("XDG_CONFIG_HOME", config.as_str())].into_iter().collect();
        let error = base_stack("base:1", &env).await.unwrap_err();
        assert!(matches!(error, HostError::ManyEngines { .. }), "{error:?}");
        assert!(error.to_string().contains("one, two"), "{error}");
        assert_eq!(error.exit_code(), crate::exit::CONFIG);
    }
}
