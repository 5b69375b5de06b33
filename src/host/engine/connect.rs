//! Reaching one engine named by an [`Endpoint`]: a unix socket, plain
//! tcp, tcp with TLS (rustls) or ssh (the system's `ssh` client running
//! `docker system dial-stdio` on the far side, through our own transport
//! in `ssh.rs`), with the API version negotiated rather than pinned, so
//! both old and new engines answer.
//!
//! Every ssh address, port 22 or another, takes that one transport
//! rather than bollard's ssh connector, which reads `user@host:port` as
//! one host name: one set of ssh options, and one place that turns ssh's
//! own exit and stderr into the reason a connection failed.
//!
//! Connecting and negotiating share one deadline, [`CONNECT_DEADLINE`].
//! A failure is classified here ([`EngineError::EngineUnreachable`],
//! [`EngineError::TlsRefused`], [`EngineError::VersionRejected`],
//! [`EngineError::SshFailed`], [`EngineError::TlsUnsupported`]), each
//! naming the engine. Which engines to reach is decided elsewhere
//! (`crate::host::endpoint`); nothing here reads the environment.

use super::error::{chain, EngineError};
use super::ssh::{SshConnector, SshTarget, EXIT_GRACE};
use super::Engine;
use crate::host::endpoint::{Endpoint, TlsFiles};
use bollard::errors::Error as BollardError;
use bollard::{BollardRequest, Docker, API_DEFAULT_VERSION};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::path::Path;
use std::time::Duration;

/// How long connecting to an engine and agreeing on an API version may
/// take, ssh login included. An engine slower than this to answer
/// `/version` is reported unreachable.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(10);

/// How long one request to a connected engine may take (bollard's own
/// per-request timeout, in seconds; its default).
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// A TLS client certificate path that never exists: bollard's TLS client
/// always takes a certificate and key path and offers no client
/// certificate when it cannot read them, which is what a context with a
/// CA but no client certificate means.
const NO_CLIENT_FILE: &str = "/nonexistent/waybill-no-client-certificate.pem";

/// The address bollard puts in requests over ssh: `docker system
/// dial-stdio` forwards them to its engine whatever they name (the
/// docker CLI uses the same placeholder).
const SSH_REQUEST_ADDRESS: &str = "http://docker.example.com";

/// How an endpoint is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport<'a> {
    Unix,
    Tcp,
    Tls(&'a TlsFiles),
    Ssh,
}

impl Engine {
    /// Connects to the engine `endpoint` names and agrees on an API
    /// version, within [`CONNECT_DEADLINE`].
    pub async fn connect(endpoint: &Endpoint) -> Result<Engine, EngineError> {
        let transport = transport(endpoint);
        let (docker, ssh) = client(endpoint, transport)?;
        let negotiated = tokio::time::timeout(CONNECT_DEADLINE, docker.negotiate_version()).await;
        let docker = match negotiated {
            Ok(Ok(docker)) => docker,
            Ok(Err(error)) => {
                // Over ssh, what ssh said is the reason; the HTTP error
                // only says the connection closed.
                if let Some(exit) = match &ssh {
                    Some(ssh) => ssh.last_exit(EXIT_GRACE).await,
                    None => None,
                } {
                    return Err(EngineError::SshFailed {
                        engine: endpoint.name.clone(),
                        url: endpoint.url.clone(),
                        reason: exit.reason(),
                    });
                }
                return Err(classify_connect(error, endpoint, transport));
            }
            Err(_) => {
                return Err(EngineError::EngineUnreachable {
                    engine: endpoint.name.clone(),
                    url: endpoint.url.clone(),
                    reason: format!("no answer within {} s", CONNECT_DEADLINE.as_secs()),
                })
            }
        };
        Ok(Engine {
            docker,
            name: endpoint.name.clone(),
            url: endpoint.url.clone(),
        })
    }

    /// The engine's name, as every output row shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The engine's normalised address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API version agreed with the engine, as `MAJOR.MINOR`.
    pub fn api_version(&self) -> String {
        let version = self.docker.client_version();
        format!("{}.{}", version.major_version, version.minor_version)
    }
}

fn transport(endpoint: &Endpoint) -> Transport<'_> {
    if endpoint.url.starts_with("unix://") {
        Transport::Unix
    } else if endpoint.url.starts_with("ssh://") {
        Transport::Ssh
    } else {
        match &endpoint.tls {
            Some(tls) => Transport::Tls(tls),
            None => Transport::Tcp,
        }
    }
}

/// The bollard client for `endpoint`, not yet connected (bollard connects
/// on the first request), and for ssh the connector that can say how its
/// ssh ended.
fn client(
    endpoint: &Endpoint,
    transport: Transport,
) -> Result<(Docker, Option<SshConnector>), EngineError> {
    let url = endpoint.url.as_str();
    let made = match transport {
        Transport::Unix => {
            Docker::connect_with_unix(url, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        Transport::Tcp => Docker::connect_with_http(url, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION),
        Transport::Tls(tls) => {
            let (ca, cert, key) = tls_paths(endpoint, tls)?;
            Docker::connect_with_ssl(
                url,
                key,
                cert,
                ca,
                REQUEST_TIMEOUT_SECS,
                API_DEFAULT_VERSION,
            )
        }
        Transport::Ssh => {
            let (docker, ssh) = ssh_client(endpoint)?;
            return Ok((docker, Some(ssh)));
        }
    };
    made.map(|docker| (docker, None))
        .map_err(|error| classify_connect(error, endpoint, transport))
}

/// A bollard client whose connections are ssh processes (see `ssh.rs`).
fn ssh_client(endpoint: &Endpoint) -> Result<(Docker, SshConnector), EngineError> {
    let failed = |reason: String| EngineError::SshFailed {
        engine: endpoint.name.clone(),
        url: endpoint.url.clone(),
        reason,
    };
    let target = SshTarget::parse(&endpoint.url).map_err(failed)?;
    let ssh = SshConnector::new(&target, CONNECT_DEADLINE);
    let http = Client::builder(TokioExecutor::new()).build(ssh.clone());
    let docker = Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let http = http.clone();
            async move { http.request(request).await.map_err(BollardError::from) }
        },
        Some(SSH_REQUEST_ADDRESS),
        REQUEST_TIMEOUT_SECS,
        API_DEFAULT_VERSION,
    )
    .map_err(|error| failed(cause(&error)))?;
    Ok((docker, ssh))
}

/// The CA, certificate and key paths bollard's TLS client takes, or why
/// this TLS setting cannot be honoured.
fn tls_paths<'a>(
    endpoint: &Endpoint,
    tls: &'a TlsFiles,
) -> Result<(&'a Path, &'a Path, &'a Path), EngineError> {
    let unsupported = |reason: &str| EngineError::TlsUnsupported {
        engine: endpoint.name.clone(),
        url: endpoint.url.clone(),
        reason: reason.to_owned(),
    };
    if !tls.verify {
        return Err(unsupported(
            "the context skips verifying the engine's certificate (skip-tls-verify), which \
             waybill does not do; give the context the engine's CA instead",
        ));
    }
    let Some(ca) = tls.ca.as_deref() else {
        return Err(unsupported(
            "there is no CA file, and waybill verifies an engine only against its CA (not the \
             system's roots alone); give the context the engine's ca.pem",
        ));
    };
    let none = Path::new(NO_CLIENT_FILE);
    let cert = tls.cert.as_deref().unwrap_or(none);
    let key = tls.key.as_deref().unwrap_or(none);
    Ok((ca, cert, key))
}

/// Turns a failure to connect or negotiate into the reason the user can
/// act on, naming the engine.
fn classify_connect(error: BollardError, endpoint: &Endpoint, transport: Transport) -> EngineError {
    let engine = endpoint.name.clone();
    let url = endpoint.url.clone();
    let reason = cause(&error);
    let lower = reason.to_lowercase();
    match &error {
        BollardError::DockerResponseServerError { message, .. }
            if message.contains("HTTP request to an HTTPS server") =>
        {
            return EngineError::TlsRefused {
                engine,
                url,
                reason: "the engine speaks TLS, but this endpoint is plain tcp (give it the \
                         engine's CA and a client certificate: --tlsverify, DOCKER_TLS_VERIFY \
                         or a context with TLS)"
                    .into(),
            }
        }
        BollardError::DockerResponseServerError { message, .. }
            if message.contains("client version") =>
        {
            return EngineError::VersionRejected {
                engine,
                url,
                reason: message.clone(),
            }
        }
        BollardError::APIVersionParseError {} => {
            return EngineError::VersionRejected {
                engine,
                url,
                reason: "the engine reported no API version waybill can read".into(),
            }
        }
        BollardError::CertPathError { .. }
        | BollardError::CertParseError { .. }
        | BollardError::CertMultipleKeys { .. }
        | BollardError::LoadNativeCertsErrors { .. }
        | BollardError::NoNativeCertsError { .. } => {
            return EngineError::TlsUnsupported {
                engine,
                url,
                reason,
            }
        }
        BollardError::SocketNotFoundError(path) => {
            return EngineError::EngineUnreachable {
                engine,
                url,
                reason: format!("socket `{path}` does not exist"),
            }
        }
        _ => {}
    }
    match transport {
        // Whatever went wrong over ssh (no route to the ssh port, a
        // refused login, no docker on the far side), ssh is what to fix.
        Transport::Ssh
            if is_refused_or_unrouted(&lower) || lower.contains("cannot run the ssh client") =>
        {
            EngineError::SshFailed {
                engine,
                url,
                reason,
            }
        }
        Transport::Ssh => EngineError::SshFailed {
            engine,
            url,
            reason: format!(
                "{reason} (ssh must log in without a prompt, and the far side needs the docker \
                 CLI for `docker system dial-stdio`)"
            ),
        },
        Transport::Tls(_) if is_tls_failure(&lower) => EngineError::TlsRefused {
            engine,
            url,
            reason: format!("{reason}{}", tls_hint(&lower)),
        },
        Transport::Tcp if lower.contains("corrupt") || lower.contains("invalid http") => {
            EngineError::TlsRefused {
                engine,
                url,
                reason: format!("{reason} (is this a TLS port? then the endpoint needs TLS)"),
            }
        }
        _ => EngineError::EngineUnreachable {
            engine,
            url,
            reason,
        },
    }
}

/// What a connection failure came down to: the innermost causes, without
/// the HTTP client's wrappers ("client error (Connect)").
fn cause(error: &BollardError) -> String {
    let text = match error {
        BollardError::HyperLegacyError { err } => chain(err),
        BollardError::HyperResponseError { err } => chain(err),
        _ => chain(error),
    };
    [
        "client error (Connect): ",
        "client error (SendRequest): ",
        "client error (Canceled): ",
        "operation was canceled: ",
        "connection error: ",
    ]
    .iter()
    .fold(text, |text, noise| text.replacen(noise, "", 1))
}

/// What a TLS failure means, for the usual ones.
fn tls_hint(lower: &str) -> &'static str {
    if lower.contains("unknownissuer") || lower.contains("invalid peer certificate") {
        " (the engine's certificate is not signed by the CA given for it)"
    } else if lower.contains("badcertificate") || lower.contains("certificaterequired") {
        " (the engine did not accept this client's certificate, or got none)"
    } else if lower.contains("invalidcontenttype") || lower.contains("corrupt message") {
        " (the port does not speak TLS: is it plain tcp, without TLS settings?)"
    } else {
        ""
    }
}

fn is_refused_or_unrouted(lower: &str) -> bool {
    ["connection refused", "no route", "unreachable", "timed out"]
        .iter()
        .any(|s| lower.contains(s))
}

/// Whether a TLS connection failed in the handshake (either side refused
/// the other's certificate, or the port does not speak TLS) rather than
/// on the network.
fn is_tls_failure(lower: &str) -> bool {
    !is_refused_or_unrouted(lower)
        && [
            "certificate",
            "alert",
            "tls",
            "handshake",
            "corrupt message",
            "invalidcontenttype",
            "invalid content type",
            "peer is incompatible",
            "connection reset",
            "incomplete",
            "closed",
        ]
        .iter()
        .any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::endpoint::Origin;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint {
            name: "e1".into(),
            url: url.into(),
            tls: None,
            origin: Origin::HostFlag,
        }
    }

    /// Engine 29 refuses clients below API 1.44 with a 400 naming both
    /// versions; the testbed has no such engine, so its answer is made
    /// here.
    #[test]
    fn an_engine_refusing_the_api_version_is_reported_as_such() {
        let e = endpoint("tcp://10.0.0.5:2375");
        let refusal = BollardError::DockerResponseServerError {
            status_code: 400,
            message: "client version 1.41 is too old. Minimum supported API version is 1.44, \
                      please upgrade your client to a newer version"
                .into(),
        };
        let error = classify_connect(refusal, &e, Transport::Tcp);
        assert!(
            matches!(error, EngineError::VersionRejected { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with(
                "engine `e1` (tcp://10.0.0.5:2375) rejected the API version: client version 1.41"
            ),
            "{error}"
        );
        let unreadable =
            classify_connect(BollardError::APIVersionParseError {}, &e, Transport::Tcp);
        assert!(
            matches!(unreadable, EngineError::VersionRejected { .. }),
            "{unreadable:?}"
        );
    }
}
