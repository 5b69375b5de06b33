//! The `waybill serve` configuration file: TOML, read once at start.
//!
//! Parses and checks everything before the server binds: unknown keys
//! are refused, and every error names the file, the line and the key.
//! Secrets are read here, from a file or an environment variable (never
//! inline), and kept only in memory; nothing here ever prints one.
//! Which engines the `[engines]` table names is resolved by
//! [`crate::host::endpoint`], exactly as for the command-line flags.

use crate::host::endpoint::{self, Endpoint, EndpointArgs, EndpointError, SwarmSettings};
use crate::host::env::Env;
use crate::host::toml_place::{key_at, place, Place};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

use super::forge::ForgeKind;
use super::secret::Secret;

/// The largest configuration or secret file read (1 MiB).
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// The default request body limit: 1 MiB, as the docs say.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default deliveries remembered for dedupe.
pub const DEFAULT_DEDUPE_CAPACITY: usize = 10_000;
/// Default jobs kept in memory (and in the compacted history file).
pub const DEFAULT_HISTORY: usize = 1_000;
/// Default time running jobs get to finish at shutdown.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// A checked configuration, secrets loaded.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, for messages.
    pub path: PathBuf,
    pub listen: Option<SocketAddr>,
    pub state_dir: Option<PathBuf>,
    pub body_limit: usize,
    pub dedupe_capacity: usize,
    pub history: usize,
    pub shutdown_grace: Duration,
    /// The `[engines]` table, as the command-line flags would give it.
    pub engines: EndpointArgs,
    /// The engines it names, resolved as for every other command.
    pub endpoints: Vec<Endpoint>,
    /// How Swarm nodes map to engines (the hosts file's `swarm_node`
    /// entries and `[swarm] node_host`), for jobs naming services.
    pub swarm: SwarmSettings,
    pub operator_token: Option<Secret>,
    pub hooks: Vec<Hook>,
    /// The `[events]` table: what engine events start.
    pub events: Events,
    /// The `[[schedule]]` entries, in the file's order.
    pub schedules: Vec<Schedule>,
    /// The `[metrics]` table: what `/metrics` adds to its own series.
    pub metrics: MetricsConfig,
    /// The `[page]` table: who may view the fleet page.
    pub page: PageSettings,
}

/// The `[page]` table (docs/serve.md, "The fleet page").
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSettings {
    /// Viewing without a session (acting always needs one).
    #[serde(default)]
    pub public: bool,
    /// Mark the session cookie `Secure` even without
    /// `X-Forwarded-Proto: https` (a TLS proxy that does not send it).
    #[serde(default)]
    pub secure_cookie: bool,
}

/// Default time between two refreshes of the containers' METRICS.
pub const DEFAULT_METRICS_INTERVAL: Duration = Duration::from_secs(60);
/// The shortest refresh interval accepted: each refresh execs in every
/// selected container.
pub const MIN_METRICS_INTERVAL_SECS: u64 = 5;

/// The `[metrics]` table.
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    /// Merge the containers' own METRICS into `/metrics` (off unless the
    /// file turns it on).
    pub containers: bool,
    /// How often a background task refreshes the merge; a scrape never
    /// execs.
    pub interval: Duration,
    /// Only containers this matches (`match_push` unused); all with
    /// records when empty.
    pub select: HookSelect,
}

impl Default for MetricsConfig {
    fn default() -> MetricsConfig {
        MetricsConfig {
            containers: false,
            interval: DEFAULT_METRICS_INTERVAL,
            select: HookSelect::default(),
        }
    }
}

/// Default wait between a container's start and its VALIDATE.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// The `[events]` table.
#[derive(Debug, Clone)]
pub struct Events {
    /// Run VALIDATE on a container with records once it has started
    /// (off unless the file turns it on).
    pub validate_on_start: bool,
    /// Only containers this matches (`match_push` unused); all with
    /// records when empty.
    pub select: HookSelect,
    /// How long after the start (at most, with a HEALTHCHECK that turns
    /// healthy earlier).
    pub grace: Duration,
}

impl Default for Events {
    fn default() -> Events {
        Events {
            validate_on_start: false,
            select: HookSelect::default(),
            grace: DEFAULT_GRACE,
        }
    }
}

/// One `[[schedule]]`: an action run every interval on a selection.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// `validate` or `monitor`.
    pub action: &'static str,
    pub select: HookSelect,
    /// Every container with records.
    pub all: bool,
    pub interval: Duration,
    /// Up to this much is added to each wait, so schedules spread out.
    pub jitter: Duration,
}

/// One `[[hook]]`: a URL path, how it is verified and what it may touch.
#[derive(Debug)]
pub struct Hook {
    pub name: String,
    pub forge: ForgeKind,
    pub secret: Secret,
    /// `generic` only: the header carrying a hex HMAC-SHA256 of the body;
    /// `None` means a bearer token.
    pub signature_header: Option<String>,
    pub select: HookSelect,
    /// Containers updated at a time (rolling update); `None`: all at once.
    pub batch: Option<usize>,
    /// Run VALIDATE after each UPDATE that is done.
    pub validate: bool,
    pub rate_limit: Option<RateLimit>,
}

/// Which containers a hook may touch; every part given must match.
#[derive(Debug, Clone, Default)]
pub struct HookSelect {
    pub project: Option<String>,
    pub labels: Vec<(String, String)>,
    /// `service = ["web", "api*"]`: Swarm services (names, id prefixes or
    /// globs) whose running tasks are the targets, through the managers
    /// among the engines (docs/swarm.md).
    pub services: Vec<String>,
    /// Match the push's repository URL and branch against the records'
    /// `source_url` and `git_branch`.
    pub match_push: bool,
}

/// At most `requests` accepted deliveries per `per` on one hook.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

/// Why a configuration was refused. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read config file `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file `{}` is larger than {MAX_FILE_BYTES} bytes", path.display())]
    TooLarge { path: PathBuf },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("config file `{}`: the `[engines]` do not resolve: {source}", path.display())]
    Engines {
        path: PathBuf,
        source: EndpointError,
    },
}

impl ConfigError {
    /// Whether the file itself could not be read (exit 66), rather than
    /// read and refused (exit 78).
    pub fn is_missing(&self) -> bool {
        matches!(self, ConfigError::Read { .. })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    listen: Option<Spanned<String>>,
    state_dir: Option<PathBuf>,
    body_limit: Option<Spanned<u64>>,
    dedupe_capacity: Option<Spanned<u64>>,
    history: Option<Spanned<u64>>,
    shutdown_grace_secs: Option<u64>,
    #[serde(default)]
    engines: RawEngines,
    operator: Option<Spanned<RawSecretSource>>,
    #[serde(default)]
    hook: Vec<Spanned<RawHook>>,
    #[serde(default)]
    events: RawEvents,
    #[serde(default)]
    schedule: Vec<Spanned<RawSchedule>>,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    page: PageSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    #[serde(default)]
    containers: bool,
    interval_secs: Option<Spanned<u64>>,
    project: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvents {
    #[serde(default)]
    validate_on_start: bool,
    grace_secs: Option<u64>,
    project: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    action: Spanned<String>,
    project: Option<String>,
    service: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    all: bool,
    interval_secs: Spanned<u64>,
    #[serde(default)]
    jitter_secs: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngines {
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    contexts: Vec<String>,
    #[serde(default)]
    all_contexts: bool,
    hosts_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretSource {
    token_file: Option<Spanned<PathBuf>>,
    token_env: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHook {
    name: Spanned<String>,
    forge: Spanned<String>,
    secret_file: Option<Spanned<PathBuf>>,
    secret_env: Option<Spanned<String>>,
    signature_header: Option<Spanned<String>>,
    project: Option<String>,
    service: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    match_push: bool,
    batch: Option<Spanned<u64>>,
    #[serde(default = "yes")]
    validate: bool,
    rate_limit: Option<Spanned<RawRateLimit>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    requests: u32,
    per_secs: u64,
}

/// Reads and checks the configuration at `path`. Relative paths in it
/// (secret files, the state directory, a hosts file) are taken from the
/// file's own directory.
pub fn load(path: &Path, env: &Env) -> Result<Config, ConfigError> {
    let text = read_bounded(path).map_err(|e| match e {
        ReadError::Io(source) => ConfigError::Read {
            path: path.to_path_buf(),
            source,
        },
        ReadError::TooLarge => ConfigError::TooLarge {
            path: path.to_path_buf(),
        },
    })?;
    parse(path, &text, env)
}

/// Checks `text` as the file at `path` (which is not read).
pub fn parse(path: &Path, text: &str, env: &Env) -> Result<Config, ConfigError> {
    let at = |span: Range<usize>, message: String| positioned(path, text, span, message);
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim().to_string();
        if let Some(key) = key_at(text, span.start) {
            if !message.contains(&format!("`{key}`")) {
                message = format!("key `{key}`: {message}");
            }
        }
        at(span, message)
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let listen = raw
        .listen
        .as_ref()
        .map(|l| {
            l.get_ref().parse::<SocketAddr>().map_err(|_| {
                at(
                    l.span(),
                    format!(
                        "key `listen`: `{}` is not ADDRESS:PORT",
                        l.get_ref().escape_debug()
                    ),
                )
            })
        })
        .transpose()?;
    let positive = |v: &Option<Spanned<u64>>, key: &str, default: usize| match v {
        None => Ok(default),
        Some(v) if *v.get_ref() == 0 => {
            Err(at(v.span(), format!("key `{key}`: must be at least 1")))
        }
        Some(v) => usize::try_from(*v.get_ref())
            .map_err(|_| at(v.span(), format!("key `{key}`: too large"))),
    };
    let body_limit = positive(&raw.body_limit, "body_limit", DEFAULT_BODY_LIMIT)?;
    let dedupe_capacity = positive(
        &raw.dedupe_capacity,
        "dedupe_capacity",
        DEFAULT_DEDUPE_CAPACITY,
    )?;
    let history = positive(&raw.history, "history", DEFAULT_HISTORY)?;
    let operator_token = raw
        .operator
        .as_ref()
        .map(|o| {
            secret_from(
                o.get_ref().token_file.as_ref(),
                o.get_ref().token_env.as_ref(),
                ("operator.token_file", "operator.token_env"),
                o.span(),
                base,
                env,
                &at,
            )
        })
        .transpose()?;
    let mut hooks: Vec<Hook> = Vec::new();
    for spanned in &raw.hook {
        let h = spanned.get_ref();
        let name = h.name.get_ref();
        if !valid_hook_name(name) {
            return Err(at(
                h.name.span(),
                format!(
                    "key `name`: `{}` is not a valid hook name (letters, digits, `_.-`)",
                    name.escape_debug()
                ),
            ));
        }
        if hooks.iter().any(|other| &other.name == name) {
            return Err(at(
                h.name.span(),
                format!("key `name`: a second hook `{name}`"),
            ));
        }
        let forge = ForgeKind::parse(h.forge.get_ref()).ok_or_else(|| {
            at(
                h.forge.span(),
                format!(
                    "key `forge`: `{}` is not one of github, gitea, forgejo, gitlab, generic",
                    h.forge.get_ref().escape_debug()
                ),
            )
        })?;
        let secret = secret_from(
            h.secret_file.as_ref(),
            h.secret_env.as_ref(),
            ("secret_file", "secret_env"),
            spanned.span(),
            base,
            env,
            &at,
        )?;
        if forge == ForgeKind::Gitlab
            && secret.text().starts_with("whsec_")
            && secret.signing_key().is_none()
        {
            {
                let span = h.secret_file.as_ref().map_or(spanned.span(), Spanned::span);
                return Err(at(
                    span,
                    format!(
                        "hook `{name}`: the secret starts with `whsec_` but the rest is not base64"
                    ),
                ));
            }
        }
        let signature_header = match (&h.signature_header, forge) {
            (Some(header), ForgeKind::Generic) => {
                let value = header.get_ref();
                if axum::http::HeaderName::from_bytes(value.as_bytes()).is_err() {
                    return Err(at(
                        header.span(),
                        format!(
                            "key `signature_header`: `{}` is not a header name",
                            value.escape_debug()
                        ),
                    ));
                }
                Some(value.to_ascii_lowercase())
            }
            (Some(header), _) => {
                return Err(at(
                    header.span(),
                    "key `signature_header`: only a `generic` hook names its header".into(),
                ))
            }
            (None, _) => None,
        };
        let select = HookSelect {
            project: h.project.clone(),
            labels: h.labels.clone().into_iter().collect(),
            services: services(h.service.as_ref(), &at)?,
            match_push: h.match_push,
        };
        if select.project.is_none()
            && select.labels.is_empty()
            && select.services.is_empty()
            && !select.match_push
        {
            return Err(at(
                spanned.span(),
                format!(
                    "hook `{name}` selects nothing: give `project`, `labels`, `service` or `match_push = true`"
                ),
            ));
        }
        let batch = match &h.batch {
            None => None,
            Some(b) if *b.get_ref() == 0 => {
                return Err(at(b.span(), "key `batch`: must be at least 1".into()))
            }
            Some(b) => Some(usize::try_from(*b.get_ref()).unwrap_or(usize::MAX)),
        };
        let rate_limit = match &h.rate_limit {
            None => None,
            Some(r) => {
                let raw = r.get_ref();
                if raw.requests == 0 || raw.per_secs == 0 {
                    return Err(at(
                        r.span(),
                        "key `rate_limit`: `requests` and `per_secs` must be at least 1".into(),
                    ));
                }
                Some(RateLimit {
                    requests: raw.requests,
                    per: Duration::from_secs(raw.per_secs),
                })
            }
        };
        hooks.push(Hook {
            name: name.clone(),
            forge,
            secret,
            signature_header,
            select,
            batch,
            validate: h.validate,
            rate_limit,
        });
    }
    let mut schedules = Vec::new();
    for spanned in &raw.schedule {
        let r = spanned.get_ref();
        let action = match r.action.get_ref().as_str() {
            "validate" => "validate",
            "monitor" => "monitor",
            other => {
                return Err(at(
                    r.action.span(),
                    format!(
                        "key `action`: `{}` is not one of validate, monitor",
                        other.escape_debug()
                    ),
                ))
            }
        };
        let select = HookSelect {
            project: r.project.clone(),
            labels: r.labels.clone().into_iter().collect(),
            services: services(r.service.as_ref(), &at)?,
            match_push: false,
        };
        let narrowed =
            select.project.is_some() || !select.labels.is_empty() || !select.services.is_empty();
        if narrowed == r.all {
            return Err(at(
                spanned.span(),
                "a schedule gives either `project`, `labels` and/or `service`, or `all = true`"
                    .into(),
            ));
        }
        if *r.interval_secs.get_ref() == 0 {
            return Err(at(
                r.interval_secs.span(),
                "key `interval_secs`: must be at least 1".into(),
            ));
        }
        schedules.push(Schedule {
            action,
            select,
            all: r.all,
            interval: Duration::from_secs(*r.interval_secs.get_ref()),
            jitter: Duration::from_secs(r.jitter_secs),
        });
    }
    let events = Events {
        validate_on_start: raw.events.validate_on_start,
        select: HookSelect {
            project: raw.events.project.clone(),
            labels: raw.events.labels.clone().into_iter().collect(),
            services: Vec::new(),
            match_push: false,
        },
        grace: raw
            .events
            .grace_secs
            .map_or(DEFAULT_GRACE, Duration::from_secs),
    };
    let metrics = MetricsConfig {
        containers: raw.metrics.containers,
        interval: match &raw.metrics.interval_secs {
            None => DEFAULT_METRICS_INTERVAL,
            Some(secs) if *secs.get_ref() < MIN_METRICS_INTERVAL_SECS => {
                return Err(at(
                    secs.span(),
                    format!("key `interval_secs`: must be at least {MIN_METRICS_INTERVAL_SECS}"),
                ))
            }
            Some(secs) => Duration::from_secs(*secs.get_ref()),
        },
        select: HookSelect {
            project: raw.metrics.project.clone(),
            labels: raw.metrics.labels.clone().into_iter().collect(),
            services: Vec::new(),
            match_push: false,
        },
    };
    let engines = EndpointArgs {
        hosts: raw.engines.hosts.clone(),
        contexts: raw.engines.contexts.clone(),
        all_contexts: raw.engines.all_contexts,
        hosts_file: raw.engines.hosts_file.as_ref().map(|p| base.join(p)),
        ..EndpointArgs::default()
    };
    let endpoints = endpoint::resolve(&engines, env).map_err(|source| ConfigError::Engines {
        path: path.to_path_buf(),
        source,
    })?;
    let swarm = endpoint::swarm_settings(&engines, env).map_err(|source| ConfigError::Engines {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Config {
        path: path.to_path_buf(),
        endpoints,
        swarm,
        listen,
        state_dir: raw.state_dir.as_ref().map(|p| base.join(p)),
        body_limit,
        dedupe_capacity,
        history,
        shutdown_grace: raw
            .shutdown_grace_secs
            .map_or(DEFAULT_SHUTDOWN_GRACE, Duration::from_secs),
        engines,
        operator_token,
        hooks,
        events,
        schedules,
        metrics,
        page: raw.page,
    })
}

/// A secret from exactly one of a file or an environment variable.
fn secret_from(
    file: Option<&Spanned<PathBuf>>,
    var: Option<&Spanned<String>>,
    keys: (&str, &str),
    span: Range<usize>,
    base: &Path,
    env: &Env,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Secret, ConfigError> {
    let text = match (file, var) {
        (Some(file), None) => {
            let full = base.join(file.get_ref());
            let text = read_bounded(&full).map_err(|e| {
                let why = match e {
                    ReadError::Io(e) => e.to_string(),
                    ReadError::TooLarge => format!("larger than {MAX_FILE_BYTES} bytes"),
                };
                at(
                    file.span(),
                    format!("key `{}`: cannot read `{}`: {why}", keys.0, full.display()),
                )
            })?;
            (text, file.span(), keys.0)
        }
        (None, Some(var)) => {
            let name = var.get_ref();
            let text = env.raw(name).ok_or_else(|| {
                at(
                    var.span(),
                    format!("key `{}`: environment variable `{name}` is not set", keys.1),
                )
            })?;
            (text.to_owned(), var.span(), keys.1)
        }
        _ => {
            return Err(at(
                span,
                format!("give exactly one of `{}` or `{}`", keys.0, keys.1),
            ))
        }
    };
    // A trailing newline is how files are written, never part of a secret.
    let value = text.0.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(at(text.1, format!("key `{}`: the secret is empty", text.2)));
    }
    Ok(Secret::new(value.to_owned()))
}

/// A `service` list: each entry a non-empty service name, id prefix or
/// glob, the list itself not empty.
fn services(
    given: Option<&Spanned<Vec<String>>>,
    at: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Vec<String>, ConfigError> {
    let Some(given) = given else {
        return Ok(Vec::new());
    };
    if given.get_ref().is_empty() {
        return Err(at(
            given.span(),
            "key `service`: name at least one Swarm service (or leave the key out)".into(),
        ));
    }
    if let Some(bad) = given
        .get_ref()
        .iter()
        .find(|s| s.trim().is_empty() || s.contains('\0'))
    {
        return Err(at(
            given.span(),
            format!(
                "key `service`: `{}` is not a service name, id prefix or glob",
                bad.escape_debug()
            ),
        ));
    }
    Ok(given.get_ref().clone())
}

fn valid_hook_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

enum ReadError {
    Io(std::io::Error),
    TooLarge,
}

fn read_bounded(path: &Path) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(ReadError::Io)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge);
    }
    Ok(text)
}

fn positioned(path: &Path, text: &str, span: Range<usize>, message: String) -> ConfigError {
    let Place { line, column } = place(text, span.start);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        [("HOOK_SECRET", "s3cret"), ("OP_TOKEN", "op")]
            .into_iter()
            .collect()
    }

    fn check(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("/etc/waybill/serve.toml"), text, &env())
    }

    #[test]
    fn a_minimal_hook_parses_with_defaults() {
        let c = check(
            "[[hook]]\nname = \"web\"\nforge = \"github\"\nsecret_env = \"HOOK_SECRET\"\nmatch_push = true\n",
        )
        .unwrap();
        assert_eq!(c.body_limit, DEFAULT_BODY_LIMIT);
        assert_eq!(c.hooks[0].secret.text(), "s3cret");
        assert!(c.hooks[0].validate);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = check("listen = \"127.0.0.1:1\"\n\n[[hook]]\nname = \"web\"\nforge = \"github\"\nsecrett = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/etc/waybill/serve.toml:6:"), "{e}");
        assert!(e.contains("secrett"), "{e}");
    }

    #[test]
    fn inline_secret_is_refused() {
        let e =
            check("[[hook]]\nname = \"w\"\nforge = \"github\"\nsecret = \"x\"\nproject = \"p\"\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains(":4:") && e.contains("secret"), "{e}");
    }

    #[test]
    fn missing_env_var_names_the_key_and_line() {
        let e = check(
            "[[hook]]\nname = \"w\"\nforge = \"gitea\"\nsecret_env = \"NOPE\"\nproject = \"p\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(":4:") && e.contains("secret_env") && e.contains("NOPE"),
            "{e}"
        );
    }

    #[test]
    fn hook_that_selects_nothing_is_refused() {
        let e = check("[[hook]]\nname = \"w\"\nforge = \"gitea\"\nsecret_env = \"HOOK_SECRET\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("selects nothing"), "{e}");
    }

    #[test]
    fn the_metrics_table_defaults_off_and_refuses_a_short_interval() {
        let c = check("").unwrap();
        assert!(!c.metrics.containers);
        assert_eq!(c.metrics.interval, DEFAULT_METRICS_INTERVAL);
        let c = check("[metrics]\ncontainers = true\ninterval_secs = 15\nproject = \"shop\"\n")
            .unwrap();
        assert!(c.metrics.containers);
        assert_eq!(c.metrics.interval, Duration::from_secs(15));
        assert_eq!(c.metrics.select.project.as_deref(), Some("shop"));
        let e = check("[metrics]\ncontainers = true\ninterval_secs = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3:") && e.contains("interval_secs"), "{e}");
        let e = check("[metrics]\ncontainer = true\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:") && e.contains("container"), "{e}");
    }

    #[test]
    fn events_and_schedules_parse_and_bad_ones_are_named() {
        let c = check("[events]\nvalidate_on_start = true\ngrace_secs = 5\n\n[[schedule]]\naction = \"monitor\"\nall = true\ninterval_secs = 60\njitter_secs = 10\n").unwrap();
        assert!(c.events.validate_on_start);
        assert_eq!(c.events.grace, Duration::from_secs(5));
        assert_eq!(c.schedules[0].action, "monitor");
        assert_eq!(c.schedules[0].jitter, Duration::from_secs(10));
        let e = check("[events]\ngrace = 5\n").unwrap_err().to_string();
        assert!(e.contains(":2:") && e.contains("grace"), "{e}");
        let e = check("[[schedule]]\naction = \"update\"\nall = true\ninterval_secs = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:") && e.contains("action"), "{e}");
        let e = check("[[schedule]]\naction = \"validate\"\ninterval_secs = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`all = true`"), "{e}");
        let e = check("[[schedule]]\naction = \"validate\"\nall = true\ninterval_secs = 0\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":4:") && e.contains("interval_secs"), "{e}");
    }

    #[test]
    fn bad_forge_and_bad_listen_are_named() {
        let e = check("[[hook]]\nname = \"w\"\nforge = \"svn\"\nsecret_env = \"HOOK_SECRET\"\nproject = \"p\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3:") && e.contains("forge"), "{e}");
        let e = check("listen = \"localhost\"\n").unwrap_err().to_string();
        assert!(e.contains(":1:") && e.contains("listen"), "{e}");
    }

    #[test]
    fn the_example_file_parses_with_every_key() {
        let text = include_str!("../../../examples/serve.toml");
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("shop-hook");
        std::fs::write(&secret, "shh\n").unwrap();
        let text = text.replace("/run/secrets/shop-hook", secret.to_str().unwrap());
        let env: Env = [
            ("WAYBILL_OPERATOR_TOKEN", "op"),
            ("INFRA_HOOK_SECRET", "tok"),
            ("DEPLOY_BOT_SECRET", "bot"),
        ]
        .into_iter()
        .collect();
        let c = parse(&dir.path().join("serve.toml"), &text, &env).unwrap();
        assert_eq!(c.hooks.len(), 3);
        assert_eq!(c.hooks[0].secret.text(), "shh");
        assert_eq!(c.hooks[0].batch, Some(2));
        assert!(c.hooks[0].rate_limit.is_some());
        assert_eq!(c.hooks[2].signature_header.as_deref(), Some("x-signature"));
        assert_eq!(c.endpoints.len(), 1);
        assert!(c.operator_token.is_some());
        // Every key of the example is set, so none is silently unknown:
        // deny_unknown_fields already refused any misspelling above.
        assert_eq!(c.listen.map(|a| a.port()), Some(9300));
        assert!(c.events.validate_on_start);
        assert_eq!(c.schedules.len(), 1);
        assert!(c.metrics.containers);
        assert_eq!(c.metrics.select.project.as_deref(), Some("shop"));
        assert_eq!(c.hooks[2].select.services, ["shop-web", "shop-api*"]);
        assert_eq!(c.schedules[0].select.services, ["shop-web"]);
    }

    #[test]
    fn the_compose_example_file_parses() {
        let text = include_str!("../../../examples/compose/serve.toml");
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("hook_secret");
        std::fs::write(&secret, "shh\n").unwrap();
        let text = text.replace("/run/secrets/hook_secret", secret.to_str().unwrap());
        let c = parse(&dir.path().join("serve.toml"), &text, &env()).unwrap();
        assert_eq!(c.hooks.len(), 1);
        assert_eq!(c.hooks[0].secret.text(), "shh");
        assert_eq!(c.hooks[0].select.project.as_deref(), Some("blocklist"));
        assert_eq!(c.endpoints.len(), 1);
        assert!(c.events.validate_on_start);
    }

    #[test]
    fn service_selects_in_hooks_and_schedules_and_bad_ones_are_named() {
        let c = check("[[hook]]\nname = \"w\"\nforge = \"gitea\"\nsecret_env = \"HOOK_SECRET\"\nservice = [\"web\", \"api*\"]\n\n[[schedule]]\naction = \"validate\"\nservice = [\"web\"]\ninterval_secs = 60\n").unwrap();
        assert_eq!(c.hooks[0].select.services, ["web", "api*"]);
        assert_eq!(c.schedules[0].select.services, ["web"]);
        let e = check("[[schedule]]\naction = \"validate\"\nservice = []\ninterval_secs = 60\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("/etc/waybill/serve.toml:3:") && e.contains("key `service`"),
            "{e}"
        );
        let e =
            check("[[schedule]]\naction = \"validate\"\nservice = \"web\"\ninterval_secs = 60\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains(":3:") && e.contains("service"), "{e}");
        let e = check("[[schedule]]\naction = \"validate\"\nservice = [\"web\"]\nall = true\ninterval_secs = 60\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`service`"), "{e}");
    }
}
