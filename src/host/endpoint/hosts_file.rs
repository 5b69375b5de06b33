//! waybill's hosts file: a fixed fleet of engines, named once.
//!
//! A TOML file of `[[engine]]` tables, each with a `name` and either a
//! `host` address (optionally with `tls = { ca, cert, key }`) or a docker
//! CLI `context`. docs/engines.md is the reference. Unknown keys are
//! refused, and every error names the file, line, column and key. An
//! `[[engine]]` may name the Swarm node it is (`swarm_node`), and a
//! `[swarm]` table may give a template for any node's engine
//! (`node_host`); [`super::swarm_nodes`] holds those settings. This
//! file parses and checks; choosing when the hosts file is used is
//! [`super::select`]'s job.

use super::context::load_context;
use super::docker_host::parse_host;
use super::read::read_required;
use super::swarm_nodes::{NodeTemplate, SwarmSettings};
use super::{Endpoint, EndpointArgs, EndpointError, Origin, TlsFiles};
use crate::host::env::Env;
use crate::host::toml_place::{key_at, place, Place};
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// Where waybill looks for a hosts file when none is named:
/// `$XDG_CONFIG_HOME/waybill/hosts.toml`, else
/// `$HOME/.config/waybill/hosts.toml`; `None` when neither is set.
pub fn default_hosts_file(env: &Env) -> Option<PathBuf> {
    let base = match env.get("XDG_CONFIG_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env.get("HOME")?).join(".config"),
    };
    Some(base.join("waybill/hosts.toml"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostsFile {
    #[serde(default)]
    engine: Vec<Spanned<EngineEntry>>,
    swarm: Option<Spanned<SwarmEntry>>,
}

/// `[swarm]`: how to reach the engine of a Swarm node.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwarmEntry {
    node_host: Spanned<String>,
    tls: Option<Spanned<TlsEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EngineEntry {
    name: Option<Spanned<String>>,
    host: Option<Spanned<String>>,
    context: Option<Spanned<String>>,
    tls: Option<Spanned<TlsEntry>>,
    /// The Swarm node (hostname or node id) whose engine this is.
    swarm_node: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsEntry {
    ca: Spanned<PathBuf>,
    cert: Spanned<PathBuf>,
    key: Spanned<PathBuf>,
}

/// The endpoints the hosts file at `path` names, in file order.
pub fn load_hosts_file(
    path: &Path,
    config_dir: impl Fn() -> Result<PathBuf, EndpointError>,
    args: &EndpointArgs,
    env: &Env,
) -> Result<Vec<Endpoint>, EndpointError> {
    load(path, config_dir, args, env).map(|(endpoints, _)| endpoints)
}

/// What the hosts file at `path` says about Swarm nodes.
pub fn load_swarm_settings(
    path: &Path,
    config_dir: impl Fn() -> Result<PathBuf, EndpointError>,
    args: &EndpointArgs,
    env: &Env,
) -> Result<SwarmSettings, EndpointError> {
    load(path, config_dir, args, env).map(|(_, swarm)| swarm)
}

fn load(
    path: &Path,
    config_dir: impl Fn() -> Result<PathBuf, EndpointError>,
    args: &EndpointArgs,
    env: &Env,
) -> Result<(Vec<Endpoint>, SwarmSettings), EndpointError> {
    let text = read_required(path)?;
    let at = |span: Range<usize>, message: String| positioned(path, &text, span, message);
    let file: HostsFile = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().trim().to_string();
        if let Some(key) = key_at(&text, span.start) {
            if !message.contains(&format!("`{key}`")) {
                message = format!("key `{key}`: {message}");
            }
        }
        at(span, message)
    })?;
    if file.engine.is_empty() {
        return Err(at(0..0, "the file names no `[[engine]]`".into()));
    }
    let origin = Origin::HostsFile(path.to_path_buf());
    let base = path.parent().unwrap_or(Path::new("."));
    let mut endpoints = Vec::new();
    let mut swarm = SwarmSettings::default();
    if let Some(entry) = &file.swarm {
        let entry = entry.get_ref();
        let tls = entry
            .tls
            .as_ref()
            .map(|tls| tls_files(tls.get_ref(), base).map_err(|(s, m)| at(s, m)))
            .transpose()?;
        let host = &entry.node_host;
        NodeTemplate::check(host.get_ref(), tls.is_some())
            .map_err(|m| at(host.span(), format!("key `node_host`: {m}")))?;
        swarm.template = Some(NodeTemplate {
            host: host.get_ref().clone(),
            tls,
            origin: origin.clone(),
        });
    }
    for entry in &file.engine {
        let span = entry.span();
        let entry = entry.get_ref();
        let endpoint = match (&entry.host, &entry.context) {
            (Some(host), None) => {
                let name = entry.name.as_ref().ok_or_else(|| {
                    at(span.clone(), "an engine with `host` needs a `name`".into())
                })?;
                check_name(name).map_err(|m| at(name.span(), m))?;
                let tls = entry
                    .tls
                    .as_ref()
                    .map(|tls| tls_files(tls.get_ref(), base).map_err(|(s, m)| at(s, m)))
                    .transpose()?;
                let raw = host.get_ref();
                let is_tcp = !raw.contains("://") || raw.starts_with("tcp://");
                if tls.is_some() && !is_tcp {
                    let tls_span = entry.tls.as_ref().map_or(span.clone(), Spanned::span);
                    return Err(at(
                        tls_span,
                        "key `tls`: only a tcp:// host uses TLS".into(),
                    ));
                }
                let url = parse_host(raw, tls.is_some(), &origin).map_err(|e| match e {
                    EndpointError::BadUrl { reason, .. } => {
                        at(host.span(), format!("key `host`: `{raw}`: {reason}"))
                    }
                    other => other,
                })?;
                Endpoint {
                    name: name.get_ref().clone(),
                    url,
                    tls,
                    origin: origin.clone(),
                }
            }
            (None, Some(context)) => {
                if let Some(tls) = &entry.tls {
                    let message = "key `tls`: a context brings its own TLS material".into();
                    return Err(at(tls.span(), message));
                }
                let mut endpoint =
                    load_context(&config_dir()?, context.get_ref(), origin.clone(), args, env)
                        .map_err(|e| match e {
                            EndpointError::NoSuchContext { name, store, .. } => at(
                                context.span(),
                                format!(
                                    "key `context`: context `{name}` does not exist in `{}`",
                                    store.display()
                                ),
                            ),
                            other => other,
                        })?;
                if let Some(name) = &entry.name {
                    check_name(name).map_err(|m| at(name.span(), m))?;
                    endpoint.name = name.get_ref().clone();
                }
                endpoint
            }
            _ => {
                return Err(at(
                    span,
                    "an `[[engine]]` needs exactly one of `host` or `context`".into(),
                ))
            }
        };
        if let Some(node) = &entry.swarm_node {
            if node.get_ref().trim().is_empty() {
                return Err(at(
                    node.span(),
                    "key `swarm_node`: the node name is empty".into(),
                ));
            }
            swarm
                .nodes
                .push((node.get_ref().trim().to_owned(), endpoint.clone()));
        }
        endpoints.push(endpoint);
    }
    Ok((endpoints, swarm))
}

/// Engine names appear in every row and in `ENGINE/CONTAINER` targets:
/// the docker CLI's rule for context names keeps them printable and free
/// of `/`.
fn check_name(name: &Spanned<String>) -> Result<(), String> {
    let name = name.get_ref();
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "key `name`: `{}` is not a valid engine name (letters, digits, `_.+-`, starting with a letter or digit)",
            name.escape_debug()
        ))
    }
}

fn tls_files(tls: &TlsEntry, base: &Path) -> Result<TlsFiles, (Range<usize>, String)> {
    let file = |what: &str, path: &Spanned<PathBuf>| {
        let full = base.join(path.get_ref());
        if full.is_file() {
            Ok(full)
        } else {
            Err((
                path.span(),
                format!("key `tls.{what}`: file `{}` is missing", full.display()),
            ))
        }
    };
    Ok(TlsFiles {
        ca: Some(file("ca", &tls.ca)?),
        cert: Some(file("cert", &tls.cert)?),
        key: Some(file("key", &tls.key)?),
        verify: true,
    })
}

fn positioned(path: &Path, text: &str, span: Range<usize>, message: String) -> EndpointError {
    let Place { line, column } = place(text, span.start);
    EndpointError::HostsFile {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}
