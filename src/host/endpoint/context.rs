//! The docker CLI's context store, read the way `docker context` reads it.
//!
//! A context named N lives in `<config>/contexts/meta/<sha256(N)>/meta.json`
//! (its name, metadata and endpoints) with its TLS material in
//! `<config>/contexts/tls/<sha256(N)>/docker/{ca,cert,key}.pem`. The
//! built-in context `default` has no files: it is `DOCKER_HOST` (with the
//! TLS settings) or the default socket. Only the `docker` endpoint of a
//! context is read; this file never writes the store.

use super::docker_host::parse_host;
use super::read::read_optional;
use super::tls::{context_tls, host_tls};
use super::{Endpoint, EndpointArgs, EndpointError, Origin, DEFAULT_CONTEXT, DEFAULT_HOST};
use crate::host::env::Env;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The directory name the docker CLI gives context `name` in its store:
/// the hex SHA-256 of the name.
pub fn context_dir_name(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The part of `meta.json` that chooses an engine.
#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Endpoints", default)]
    endpoints: MetaEndpoints,
}

#[derive(Debug, Default, Deserialize)]
struct MetaEndpoints {
    docker: Option<DockerEndpointMeta>,
}

#[derive(Debug, Deserialize)]
struct DockerEndpointMeta {
    #[serde(rename = "Host", default)]
    host: String,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

/// The endpoint for the context `name`, found in the store under
/// `config_dir` and selected by `origin`.
pub fn load_context(
    config_dir: &Path,
    name: &str,
    origin: Origin,
    args: &EndpointArgs,
    env: &Env,
) -> Result<Endpoint, EndpointError> {
    if name == DEFAULT_CONTEXT {
        return default_endpoint(args, env, origin);
    }
    let digest = context_dir_name(name);
    let meta_path = config_dir
        .join("contexts/meta")
        .join(&digest)
        .join("meta.json");
    let Some(text) = read_optional(&meta_path)? else {
        return Err(EndpointError::NoSuchContext {
            name: name.to_string(),
            origin: origin.to_string(),
            store: config_dir.join("contexts"),
        });
    };
    let meta = parse_meta(&meta_path, &text)?;
    if meta.name != name {
        return Err(bad_meta(
            &meta_path,
            format!("`Name` is `{}`, expected `{name}`", meta.name),
        ));
    }
    let docker = meta
        .endpoints
        .docker
        .ok_or_else(|| bad_meta(&meta_path, "no `Endpoints.docker` entry".into()))?;
    let where_ = format!("context `{name}` in `{}`", meta_path.display());
    let tls_dir = config_dir.join("contexts/tls").join(&digest).join("docker");
    // Only tcp speaks TLS; work out the material before the default port.
    let is_tcp = !docker.host.contains("://") || docker.host.starts_with("tcp://");
    let tls = if is_tcp {
        context_tls(&tls_dir, docker.skip_tls_verify, &where_)?
    } else {
        None
    };
    let url = parse_host(&docker.host, tls.is_some(), &where_)?;
    Ok(Endpoint {
        name: name.to_string(),
        url,
        tls,
        origin,
    })
}

/// The names of every context in the store under `config_dir`, sorted,
/// without `default`.
pub fn context_names(config_dir: &Path) -> Result<Vec<String>, EndpointError> {
    let meta_root = config_dir.join("contexts/meta");
    let entries = match std::fs::read_dir(&meta_root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(EndpointError::Read {
                path: meta_root,
                source,
            })
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| EndpointError::Read {
            path: meta_root.clone(),
            source,
        })?;
        let path = entry.path().join("meta.json");
        // The docker CLI skips directories without a meta.json too.
        if let Some(text) = read_optional(&path)? {
            names.push(parse_meta(&path, &text)?.name);
        }
    }
    names.sort();
    Ok(names)
}

/// The `default` context: `DOCKER_HOST`, else the default socket, with
/// the TLS settings of flags and environment.
pub fn default_endpoint(
    args: &EndpointArgs,
    env: &Env,
    origin: Origin,
) -> Result<Endpoint, EndpointError> {
    let (raw, from) = match env.get("DOCKER_HOST") {
        Some(host) => (host, Origin::DockerHostEnv),
        None => (DEFAULT_HOST, Origin::Default),
    };
    let origin = if origin == Origin::Default {
        from
    } else {
        origin
    };
    host_endpoint(DEFAULT_CONTEXT.to_string(), raw, origin, args, env)
}

/// An endpoint for an address given directly (`--host`, `DOCKER_HOST`).
pub fn host_endpoint(
    name: String,
    raw: &str,
    origin: Origin,
    args: &EndpointArgs,
    env: &Env,
) -> Result<Endpoint, EndpointError> {
    let is_tcp = !raw.contains("://") || raw.trim_start().starts_with("tcp://");
    let tls = if is_tcp {
        host_tls(args, env, &origin)?
    } else {
        None
    };
    let url = parse_host(raw, tls.is_some(), &origin)?;
    Ok(Endpoint {
        name,
        url,
        tls,
        origin,
    })
}

fn parse_meta(path: &Path, text: &str) -> Result<Meta, EndpointError> {
    serde_json::from_str(text).map_err(|e| bad_meta(path, e.to_string()))
}

fn bad_meta(path: &Path, reason: String) -> EndpointError {
    EndpointError::BadContextMeta {
        path: PathBuf::from(path),
        reason,
    }
}
