//! Choosing engines: the docker CLI's precedence, then several at once.
//!
//! Explicit selectors (`--host`, `--context`, `--all-contexts`,
//! `--hosts-file`) add up, in that order. Without any, the first of
//! `DOCKER_HOST`, `DOCKER_CONTEXT`, the default hosts file (when it
//! exists), `currentContext` and the default socket decides, one engine
//! as the docker CLI would pick (the hosts file aside). The table is in
//! docs/engines.md. This file only orders and combines; each source is
//! read by its own file.

use super::context::{context_names, default_endpoint, host_endpoint, load_context};
use super::docker_config::{config_dir, current_context};
use super::hosts_file::{default_hosts_file, load_hosts_file};
use super::{Endpoint, EndpointArgs, EndpointError, Origin};
use crate::host::env::Env;

/// The engines that `args` and `env` select, each named once.
pub fn resolve(args: &EndpointArgs, env: &Env) -> Result<Vec<Endpoint>, EndpointError> {
    let explicit = !args.hosts.is_empty()
        || !args.contexts.is_empty()
        || args.all_contexts
        || args.hosts_file.is_some();
    let mut found = Vec::new();
    if explicit {
        for raw in &args.hosts {
            let mut endpoint = host_endpoint(String::new(), raw, Origin::HostFlag, args, env)?;
            // The address is the only name a bare --host has; it is
            // unique as long as the addresses are.
            endpoint.name = endpoint.url.clone();
            found.push(endpoint);
        }
        for name in &args.contexts {
            found.push(load_context(
                &config_dir(env)?,
                name,
                Origin::ContextFlag,
                args,
                env,
            )?);
        }
        if args.all_contexts {
            found.push(default_endpoint(args, env, Origin::AllContexts)?);
            let dir = config_dir(env)?;
            for name in context_names(&dir)? {
                found.push(load_context(&dir, &name, Origin::AllContexts, args, env)?);
            }
        }
        if let Some(path) = &args.hosts_file {
            found.extend(load_hosts_file(path, || config_dir(env), args, env)?);
        }
    } else {
        found = implicit(args, env)?;
    }
    unique(found)
}

/// The engines chosen when no selector flag is given: one, except when
/// the default hosts file decides.
fn implicit(args: &EndpointArgs, env: &Env) -> Result<Vec<Endpoint>, EndpointError> {
    if env.get("DOCKER_HOST").is_some() {
        return Ok(vec![default_endpoint(args, env, Origin::Default)?]);
    }
    if let Some(name) = env.get("DOCKER_CONTEXT") {
        let dir = config_dir(env)?;
        let origin = Origin::DockerContextEnv;
        return Ok(vec![load_context(&dir, name, origin, args, env)?]);
    }
    if let Some(path) = default_hosts_file(env).filter(|path| path.exists()) {
        return load_hosts_file(&path, || config_dir(env), args, env);
    }
    // Without HOME or DOCKER_CONFIG there is no config.json to read: the
    // docker CLI falls back to the default socket, and so do we.
    if let Ok(dir) = config_dir(env) {
        if let Some(name) = current_context(&dir)? {
            let origin = Origin::CurrentContext(dir.join("config.json"));
            return Ok(vec![load_context(&dir, &name, origin, args, env)?]);
        }
    }
    Ok(vec![default_endpoint(args, env, Origin::Default)?])
}

/// `found` with each endpoint once: the same engine selected twice (say by
/// `--context prod --all-contexts`) is kept once; two different engines
/// under one name are an error.
fn unique(found: Vec<Endpoint>) -> Result<Vec<Endpoint>, EndpointError> {
    let mut kept: Vec<Endpoint> = Vec::with_capacity(found.len());
    for endpoint in found {
        match kept.iter().find(|k| k.name == endpoint.name) {
            Some(k) if k.url == endpoint.url && k.tls == endpoint.tls => {}
            Some(k) => {
                return Err(EndpointError::DuplicateName {
                    name: endpoint.name.clone(),
                    first: format!("{} (`{}`)", k.origin, k.url),
                    second: format!("{} (`{}`)", endpoint.origin, endpoint.url),
                })
            }
            None => kept.push(endpoint),
        }
    }
    Ok(kept)
}
