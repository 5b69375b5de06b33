//! Engine addresses as `-H` and `DOCKER_HOST` write them.
//!
//! Checks and normalises one address the way the docker CLI's
//! `ParseHost` does: a bare `host:port` means tcp, a tcp address without a
//! port gets 2375 (2376 with TLS), and only unix, tcp and ssh are accepted
//! (npipe is Windows-only, fd is for the daemon). It does not decide TLS
//! or where the address came from.

use super::EndpointError;

/// The normalised form of `raw`, for an endpoint that uses TLS or not.
pub fn parse_host(
    raw: &str,
    tls: bool,
    origin: &dyn std::fmt::Display,
) -> Result<String, EndpointError> {
    let bad = |reason: String| EndpointError::BadUrl {
        url: raw.to_string(),
        origin: origin.to_string(),
        reason,
    };
    let trimmed = raw.trim();
    let (scheme, rest) = match trimmed.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None if trimmed.is_empty() => return Err(bad("the address is empty".into())),
        None => ("tcp".to_string(), trimmed),
    };
    match scheme.as_str() {
        "unix" => {
            if !rest.starts_with('/') {
                return Err(bad("a unix socket path must be absolute".into()));
            }
            Ok(format!("unix://{rest}"))
        }
        "tcp" => parse_tcp(rest, tls).map_err(bad),
        "ssh" => parse_ssh(rest).map_err(bad),
        other => Err(bad(format!(
            "unsupported scheme `{other}` (use unix://, tcp:// or ssh://)"
        ))),
    }
}

fn parse_tcp(rest: &str, tls: bool) -> Result<String, String> {
    // As the docker CLI: an empty host is the local machine.
    let rest = if rest.starts_with(':') || rest.is_empty() {
        format!("localhost{rest}")
    } else {
        rest.to_string()
    };
    let url = url::Url::parse(&format!("tcp://{rest}")).map_err(|e| e.to_string())?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a tcp address takes no user".into());
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err("a tcp address takes no path".into());
    }
    let host = url.host_str().ok_or("a tcp address needs a host")?;
    let port = url.port().unwrap_or(if tls { 2376 } else { 2375 });
    Ok(format!("tcp://{host}:{port}"))
}

fn parse_ssh(rest: &str) -> Result<String, String> {
    let url = url::Url::parse(&format!("ssh://{rest}")).map_err(|e| e.to_string())?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("an ssh address needs a host")?;
    if url.password().is_some() {
        return Err("an ssh address takes no password (use a key or the ssh agent)".into());
    }
    // The docker CLI refuses these too: the far side runs `docker system
    // dial-stdio`, not a path.
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err("an ssh address takes no path".into());
    }
    let user = match url.username() {
        "" => String::new(),
        user => format!("{user}@"),
    };
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("ssh://{user}{host}{port}"))
}
