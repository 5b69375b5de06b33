//! How the hosts file says to reach the engine of a Swarm node.
//!
//! Two settings, both optional (docs/swarm.md has the order in which
//! they are tried):
//!
//! - `swarm_node = "HOSTNAME-or-NODE-ID"` in an `[[engine]]` entry: that
//!   engine is that node's;
//! - a `[swarm]` table with `node_host = "tcp://{addr}:2376"` (and then
//!   `tls = { ca, cert, key }`) or `node_host = "ssh://ops@{addr}"`: the
//!   address of any node, made from the address the node advertises
//!   (`{addr}`) or its hostname (`{hostname}`).
//!
//! This file only holds the settings and fills the template; matching
//! nodes and connecting is `crate::host::fleet::nodes`.

use super::docker_host::parse_host;
use super::hosts_file::{default_hosts_file, load_swarm_settings};
use super::{Endpoint, EndpointArgs, EndpointError, Origin, TlsFiles};
use crate::host::env::Env;

/// What the hosts file says about Swarm nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwarmSettings {
    /// `[[engine]]` entries with `swarm_node`: (the node's hostname or
    /// id, the engine), in file order.
    pub nodes: Vec<(String, Endpoint)>,
    /// `[swarm] node_host`, when set.
    pub template: Option<NodeTemplate>,
}

/// `[swarm] node_host`: an address with `{addr}` or `{hostname}` in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeTemplate {
    /// As written, e.g. `tcp://{addr}:2376`.
    pub host: String,
    pub tls: Option<TlsFiles>,
    pub origin: Origin,
}

/// The placeholders a template may hold.
const PLACEHOLDERS: [&str; 2] = ["{addr}", "{hostname}"];

impl NodeTemplate {
    /// Checks a template as written in the file: tcp or ssh, at least one
    /// placeholder, and a valid address once filled. The error is the
    /// reason, for the caller to place in the file.
    pub fn check(host: &str, tls: bool) -> Result<(), String> {
        if !PLACEHOLDERS.iter().any(|p| host.contains(p)) {
            return Err(format!(
                "`{host}` has neither `{{addr}}` nor `{{hostname}}`, so every node would get \
                 the same engine"
            ));
        }
        let scheme_ok = host.starts_with("tcp://") || host.starts_with("ssh://");
        if !scheme_ok {
            return Err(format!(
                "`{host}` must start with tcp:// or ssh:// (a node's engine is remote)"
            ));
        }
        if tls && !host.starts_with("tcp://") {
            return Err("only a tcp:// template uses TLS".into());
        }
        let sample = fill(host, "192.0.2.1", "node-1");
        parse_host(&sample, tls, &"the template")
            .map(|_| ())
            .map_err(|e| match e {
                EndpointError::BadUrl { reason, .. } => format!("`{host}`: {reason}"),
                other => other.to_string(),
            })
    }

    /// The endpoint of the node `hostname` advertising `addr`, named
    /// `name`.
    pub fn endpoint(
        &self,
        name: &str,
        addr: &str,
        hostname: &str,
    ) -> Result<Endpoint, EndpointError> {
        let raw = fill(&self.host, addr, hostname);
        let url = parse_host(&raw, self.tls.is_some(), &self.origin)?;
        Ok(Endpoint {
            name: name.to_owned(),
            url,
            tls: self.tls.clone(),
            origin: self.origin.clone(),
        })
    }
}

/// `template` with the placeholders replaced; an IPv6 address is
/// bracketed, as URLs need.
fn fill(template: &str, addr: &str, hostname: &str) -> String {
    let addr = if addr.contains(':') && !addr.starts_with('[') {
        format!("[{addr}]")
    } else {
        addr.to_owned()
    };
    template
        .replace("{addr}", &addr)
        .replace("{hostname}", hostname)
}

/// The Swarm settings of the hosts file the command uses: `--hosts-file`,
/// else the default hosts file when it exists; empty without one.
pub fn swarm_settings(args: &EndpointArgs, env: &Env) -> Result<SwarmSettings, EndpointError> {
    let path = match &args.hosts_file {
        Some(path) => path.clone(),
        None => match default_hosts_file(env).filter(|p| p.exists()) {
            Some(path) => path,
            None => return Ok(SwarmSettings::default()),
        },
    };
    load_swarm_settings(&path, || super::docker_config::config_dir(env), args, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_filled_with_the_node_address_or_hostname() {
        let template = NodeTemplate {
            host: "tcp://{addr}:2376".into(),
            tls: None,
            origin: Origin::HostFlag,
        };
        let e = template.endpoint("n1", "10.0.0.7", "n1").unwrap();
        assert_eq!(e.url, "tcp://10.0.0.7:2376");
        assert_eq!(e.name, "n1");
        let v6 = template.endpoint("n2", "fd00::7", "n2").unwrap();
        assert_eq!(v6.url, "tcp://[fd00::7]:2376");
        let ssh = NodeTemplate {
            host: "ssh://ops@{hostname}.example".into(),
            ..template
        };
        assert_eq!(
            ssh.endpoint("n3", "10.0.0.9", "n3").unwrap().url,
            "ssh://ops@n3.example"
        );
    }

    #[test]
    fn a_template_without_a_placeholder_or_with_a_local_scheme_is_refused() {
        assert!(NodeTemplate::check("tcp://{addr}:2376", true).is_ok());
        assert!(NodeTemplate::check("ssh://ops@{addr}", false).is_ok());
        let same = NodeTemplate::check("tcp://10.0.0.1:2376", false).unwrap_err();
        assert!(same.contains("neither"), "{same}");
        let unix = NodeTemplate::check("unix:///run/{hostname}.sock", false).unwrap_err();
        assert!(unix.contains("tcp:// or ssh://"), "{unix}");
        let ssh_tls = NodeTemplate::check("ssh://{addr}", true).unwrap_err();
        assert!(ssh_tls.contains("TLS"), "{ssh_tls}");
        let bad = NodeTemplate::check("tcp://{addr}/path", false).unwrap_err();
        assert!(bad.contains("path"), "{bad}");
    }
}
