//! The docker CLI's configuration directory and its `currentContext`.
//!
//! Finds the directory as the docker CLI does (`DOCKER_CONFIG`, else
//! `$HOME/.docker`) and reads the one setting of `config.json` that
//! chooses an engine. Everything else in that file (credentials above
//! all) is left unread.

use super::read::read_optional;
use super::EndpointError;
use crate::host::env::Env;
use std::path::{Path, PathBuf};

/// The docker CLI's configuration directory.
pub fn config_dir(env: &Env) -> Result<PathBuf, EndpointError> {
    if let Some(dir) = env.get("DOCKER_CONFIG") {
        return Ok(PathBuf::from(dir));
    }
    let home = env.get("HOME").ok_or(EndpointError::NoHome {
        what: "the docker CLI configuration (set DOCKER_CONFIG)",
    })?;
    Ok(Path::new(home).join(".docker"))
}

/// `currentContext` from `config.json` in `dir`, if the file exists and
/// sets it to something.
pub fn current_context(dir: &Path) -> Result<Option<String>, EndpointError> {
    let path = dir.join("config.json");
    let Some(text) = read_optional(&path)? else {
        return Ok(None);
    };
    let bad = |reason: String| EndpointError::BadDockerConfig {
        path: path.clone(),
        reason,
    };
    // An empty file is what some tools leave behind; the docker CLI
    // reads it as no settings.
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| bad("not a JSON object".into()))?;
    match object.get("currentContext") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(name)) if name.is_empty() => Ok(None),
        Some(serde_json::Value::String(name)) => Ok(Some(name.clone())),
        Some(_) => Err(bad("`currentContext` is not a string".into())),
    }
}
