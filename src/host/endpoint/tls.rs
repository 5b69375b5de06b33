//! TLS material for `--host` and `DOCKER_HOST`, and for contexts.
//!
//! For an address given directly, TLS is on with `--tlsverify`, any
//! `--tlscacert/--tlscert/--tlskey`, or a non-empty `DOCKER_TLS_VERIFY`
//! (the docker CLI's rule: even `0` turns it on); the files default to
//! `ca.pem`, `cert.pem` and `key.pem` in `DOCKER_CERT_PATH`, else the
//! docker CLI's configuration directory. For a context, the material is
//! whatever `docker context create` stored. This file checks that files
//! exist; it does not read or validate certificates.

use super::docker_config::config_dir;
use super::{EndpointArgs, EndpointError, TlsFiles};
use crate::host::env::Env;
use std::fmt::Display;
use std::path::{Path, PathBuf};

/// The TLS files for an address given by `--host` or `DOCKER_HOST`, or
/// `None` when TLS is off.
pub fn host_tls(
    args: &EndpointArgs,
    env: &Env,
    origin: &dyn Display,
) -> Result<Option<TlsFiles>, EndpointError> {
    let explicit = args.tlscacert.is_some() || args.tlscert.is_some() || args.tlskey.is_some();
    let on = args.tlsverify || explicit || env.get("DOCKER_TLS_VERIFY").is_some();
    if !on {
        return Ok(None);
    }
    let cert_dir = || -> Result<PathBuf, EndpointError> {
        match env.get("DOCKER_CERT_PATH") {
            Some(dir) => Ok(PathBuf::from(dir)),
            None => config_dir(env),
        }
    };
    let pick = |flag: &Option<PathBuf>, name: &str| -> Result<PathBuf, EndpointError> {
        match flag {
            Some(path) => Ok(path.clone()),
            None => Ok(cert_dir()?.join(name)),
        }
    };
    let files = [
        ("CA", pick(&args.tlscacert, "ca.pem")?),
        ("certificate", pick(&args.tlscert, "cert.pem")?),
        ("key", pick(&args.tlskey, "key.pem")?),
    ];
    for (what, path) in &files {
        require(what, path, origin)?;
    }
    let [(_, ca), (_, cert), (_, key)] = files;
    Ok(Some(TlsFiles {
        ca: Some(ca),
        cert: Some(cert),
        key: Some(key),
        verify: true,
    }))
}

/// The TLS files of a context whose material lies in `dir` (the
/// context's `tls/<digest>/docker` directory), or `None` for plain tcp.
pub fn context_tls(
    dir: &Path,
    skip_verify: bool,
    origin: &dyn Display,
) -> Result<Option<TlsFiles>, EndpointError> {
    let found = |name: &str| {
        let path = dir.join(name);
        path.is_file().then_some(path)
    };
    let (ca, cert, key) = (found("ca.pem"), found("cert.pem"), found("key.pem"));
    // A certificate without its key (or the reverse) cannot make a
    // client identity; say which one is missing.
    match (&cert, &key) {
        (Some(_), None) => require("key", &dir.join("key.pem"), origin)?,
        (None, Some(_)) => require("certificate", &dir.join("cert.pem"), origin)?,
        _ => {}
    }
    if ca.is_none() && cert.is_none() && !skip_verify {
        return Ok(None);
    }
    Ok(Some(TlsFiles {
        ca,
        cert,
        key,
        verify: !skip_verify,
    }))
}

fn require(what: &'static str, path: &Path, origin: &dyn Display) -> Result<(), EndpointError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(EndpointError::MissingTls {
            what,
            path: path.to_path_buf(),
            origin: origin.to_string(),
        })
    }
}
