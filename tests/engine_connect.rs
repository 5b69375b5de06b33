//! `Engine::connect` reaches real engines of the multi-host testbed over
//! every transport (unix, tcp, TLS with the testbed's client certificate,
//! ssh through the testbed's wrapper), negotiates each engine's own API
//! version (20.10 → 1.41, 26.1 → 1.45), and classifies each failure,
//! naming the engine: a stopped engine is unreachable, a TLS engine
//! refuses a client without certificates or trusting another CA, plain
//! tcp and TLS do not mix, and ssh settings bollard cannot honour are
//! refused with the fix.
//!
//! No `waybill` subcommand connects to arbitrary engines yet, so these
//! tests call the library from a tokio runtime of their own; the
//! real-binary tests come with `waybill ls`.

#![cfg(feature = "host")]

mod docker;
#[path = "testbed/mod.rs"]
mod testbed;

use docker::run_with_deadline;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Once, RwLock};
use std::time::Duration;
use testbed::{testbed_or_skip, Testbed};
use waybill::host::endpoint::{resolve, Endpoint, EndpointArgs, Origin, TlsFiles};
use waybill::host::engine::{Engine, EngineError, CONNECT_DEADLINE};
use waybill::host::env::Env;

const NODES: [&str; 3] = ["a", "b:tls", "c:ssh,engine26"];

/// Tests hold this for reading while they need every node up; the test
/// that stops a node holds it for writing.
static NODES_UP: RwLock<()> = RwLock::new(());

fn bed(test: &str) -> Option<&'static Testbed> {
    let bed = testbed_or_skip(test, &NODES)?;
    // bollard's ssh transport runs `ssh` from PATH: the testbed's
    // wrapper (key, port, no host-key prompt) goes first, once, before
    // any test connects over ssh.
    static PATH: Once = Once::new();
    PATH.call_once(|| {
        let path = std::env::var("PATH").unwrap_or_default();
        std::env::set_var("PATH", format!("{}:{path}", bed.ssh_bin().display()));
    });
    Some(bed)
}

fn connect(endpoint: &Endpoint) -> Result<Engine, EngineError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(Engine::connect(endpoint))
}

/// The endpoint `waybill -H URL` (plus `extra` flags) resolves to, with
/// nothing of this process's docker settings.
fn host_endpoint(url: &str, extra: impl FnOnce(&mut EndpointArgs)) -> Endpoint {
    let mut args = EndpointArgs {
        hosts: vec![url.to_string()],
        ..EndpointArgs::default()
    };
    extra(&mut args);
    let mut found = resolve(&args, &Env::default()).expect("the address resolves");
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

fn endpoint(name: &str, url: &str, tls: Option<TlsFiles>) -> Endpoint {
    Endpoint {
        name: name.into(),
        url: url.into(),
        tls,
        origin: Origin::HostFlag,
    }
}

fn tls_files(dir: &Path) -> TlsFiles {
    TlsFiles {
        ca: Some(dir.join("ca.pem")),
        cert: Some(dir.join("cert.pem")),
        key: Some(dir.join("key.pem")),
        verify: true,
    }
}

/// The ssh address of `node` without the testbed's port: the wrapper's
/// ssh config gives port 2222 for the node's address.
fn ssh_without_port(bed: &Testbed, node: &str) -> String {
    let url = bed.node(node).ssh.clone().expect("an ssh node");
    url.strip_suffix(":2222")
        .expect("the testbed's ssh port")
        .to_string()
}

#[track_caller]
fn assert_names_engine(error: &EngineError, endpoint: &Endpoint) {
    let text = error.to_string();
    assert!(
        text.contains(&format!("`{}`", endpoint.name)) && text.contains(&endpoint.url),
        "the error names neither the engine nor its address: {text}"
    );
}

#[test]
fn every_transport_connects_and_negotiates_the_engines_own_api_version() {
    let test = "every_transport_connects_and_negotiates_the_engines_own_api_version";
    let Some(bed) = bed(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let (a, b, c) = (bed.node("a"), bed.node("b"), bed.node("c"));
    let tls_dir = b.tls_dir.clone().expect("b has TLS");
    let cases = [
        (host_endpoint(&a.unix, |_| {}), "1.41"),
        (host_endpoint(&a.tcp, |_| {}), "1.41"),
        (
            host_endpoint(&b.tcp, |args| {
                args.tlsverify = true;
                args.tlscacert = Some(tls_dir.join("ca.pem"));
                args.tlscert = Some(tls_dir.join("cert.pem"));
                args.tlskey = Some(tls_dir.join("key.pem"));
            }),
            "1.41",
        ),
        (host_endpoint(&c.unix, |_| {}), "1.45"),
        (host_endpoint(&c.tcp, |_| {}), "1.45"),
        (host_endpoint(&ssh_without_port(bed, "c"), |_| {}), "1.45"),
    ];
    for (endpoint, api) in cases {
        let engine =
            connect(&endpoint).unwrap_or_else(|e| panic!("{} did not connect: {e}", endpoint.url));
        assert_eq!(engine.name(), endpoint.name);
        assert_eq!(engine.url(), endpoint.url);
        assert_eq!(engine.api_version(), api, "{}", endpoint.url);
    }
    assert!(b.version.starts_with("20.10.") && c.version.starts_with("26.1."));
}

#[test]
fn a_stopped_engine_is_unreachable_and_named() {
    let test = "a_stopped_engine_is_unreachable_and_named";
    let Some(bed) = bed(test) else { return };
    let _stopping = NODES_UP.write().unwrap_or_else(|p| p.into_inner());
    let a = bed.node("a");
    bed.stop_node("a");
    let outcome = [
        endpoint("a-unix", &a.unix, None),
        endpoint("a-tcp", &a.tcp, None),
    ]
    .map(|endpoint| (connect(&endpoint).err(), endpoint));
    bed.start_node("a");
    for (error, endpoint) in outcome {
        let error = error.unwrap_or_else(|| panic!("{} answered while stopped", endpoint.url));
        assert!(
            matches!(error, EngineError::EngineUnreachable { .. }),
            "{error:?}"
        );
        assert_names_engine(&error, &endpoint);
        assert!(error.to_string().contains("unreachable"), "{error}");
    }
    // Started again, it answers.
    docker::wait_until("node a to answer again", Duration::from_secs(60), || {
        connect(&endpoint("a", &a.unix, None))
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
}

#[test]
fn a_tls_engine_refuses_a_client_without_its_certificate_or_trusting_another_ca() {
    let test = "a_tls_engine_refuses_a_client_without_its_certificate_or_trusting_another_ca";
    let Some(bed) = bed(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let b = bed.node("b");
    let dir = b.tls_dir.clone().expect("b has TLS");

    // The engine's CA, but no client certificate (a context may hold
    // only a CA): the engine demands one.
    let no_cert = endpoint(
        "b-no-cert",
        &b.tcp,
        Some(TlsFiles {
            cert: None,
            key: None,
            ..tls_files(&dir)
        }),
    );
    let error = connect(&no_cert)
        .err()
        .expect("b accepted a client without certificate");
    assert!(matches!(error, EngineError::TlsRefused { .. }), "{error:?}");
    assert_names_engine(&error, &no_cert);

    // The client's certificate, but trusting another CA: the engine's
    // certificate is not accepted.
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let other_ca = make_ca(scratch.path());
    let wrong_ca = endpoint(
        "b-wrong-ca",
        &b.tcp,
        Some(TlsFiles {
            ca: Some(other_ca),
            ..tls_files(&dir)
        }),
    );
    let error = connect(&wrong_ca)
        .err()
        .expect("b's certificate passed another CA");
    assert!(matches!(error, EngineError::TlsRefused { .. }), "{error:?}");
    assert_names_engine(&error, &wrong_ca);
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
}

#[test]
fn plain_tcp_and_tls_do_not_mix_and_the_error_says_so() {
    let test = "plain_tcp_and_tls_do_not_mix_and_the_error_says_so";
    let Some(bed) = bed(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let (a, b) = (bed.node("a"), bed.node("b"));
    let dir = b.tls_dir.clone().expect("b has TLS");

    // A plain client on the TLS port.
    let plain = endpoint("b-plain", &b.tcp, None);
    let error = connect(&plain).err().expect("b answered plain tcp");
    assert!(matches!(error, EngineError::TlsRefused { .. }), "{error:?}");
    assert_names_engine(&error, &plain);
    assert!(error.to_string().contains("speaks TLS"), "{error}");

    // A TLS client on a plain port.
    let tls = endpoint("a-tls", &a.tcp, Some(tls_files(&dir)));
    let error = connect(&tls).err().expect("a answered a TLS handshake");
    assert!(matches!(error, EngineError::TlsRefused { .. }), "{error:?}");
    assert_names_engine(&error, &tls);
}

#[test]
fn ssh_failures_name_the_engine_and_the_fix() {
    let test = "ssh_failures_name_the_engine_and_the_fix";
    let Some(bed) = bed(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());

    // A port in the address: bollard would hand `host:port` to ssh as a
    // host name, so it is refused with the ssh_config fix.
    let with_port = endpoint("c-port", bed.node("c").ssh.as_deref().expect("ssh"), None);
    let error = connect(&with_port).err().expect("a port was accepted");
    assert!(matches!(error, EngineError::SshFailed { .. }), "{error:?}");
    assert_names_engine(&error, &with_port);
    assert!(error.to_string().contains("Port 2222"), "{error}");

    // A host with no sshd (a's address, port 22): ssh cannot log in.
    let no_sshd = endpoint("a-ssh", &format!("ssh://root@{}", bed.node("a").addr), None);
    let error = connect(&no_sshd).err().expect("a has no sshd");
    assert!(matches!(error, EngineError::SshFailed { .. }), "{error:?}");
    assert_names_engine(&error, &no_sshd);
}

#[test]
fn settings_the_tls_client_cannot_honour_are_refused_before_connecting() {
    // No engine is needed: these are refused before any connection.
    let dir = PathBuf::from("/nonexistent-waybill-certs");
    let skip = endpoint(
        "skip",
        "tcp://127.0.0.1:9",
        Some(TlsFiles {
            verify: false,
            ..tls_files(&dir)
        }),
    );
    let no_ca = endpoint(
        "no-ca",
        "tcp://127.0.0.1:9",
        Some(TlsFiles {
            ca: None,
            ..tls_files(&dir)
        }),
    );
    let missing_ca = endpoint("missing-ca", "tcp://127.0.0.1:9", Some(tls_files(&dir)));
    for endpoint in [skip, no_ca, missing_ca] {
        let error = connect(&endpoint).err().expect("refused");
        assert!(
            matches!(error, EngineError::TlsUnsupported { .. }),
            "{error:?}"
        );
        assert_names_engine(&error, &endpoint);
    }
}

#[test]
fn a_missing_socket_is_unreachable_and_named() {
    let missing = endpoint("gone", "unix:///nonexistent/waybill/docker.sock", None);
    let error = connect(&missing).err().expect("no socket there");
    assert!(
        matches!(error, EngineError::EngineUnreachable { .. }),
        "{error:?}"
    );
    assert_names_engine(&error, &missing);
    assert!(error.to_string().contains("does not exist"), "{error}");
}

#[test]
fn an_engine_that_accepts_but_never_answers_is_unreachable_after_the_connect_deadline() {
    // A listening socket that nobody accepts from: the kernel completes
    // the connection, and the request is never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
    let url = format!("tcp://{}", silent.local_addr().expect("its address"));
    let mute = endpoint("mute", &url, None);
    let error = connect(&mute).err().expect("a silent engine connected");
    assert!(
        matches!(error, EngineError::EngineUnreachable { .. }),
        "{error:?}"
    );
    assert_names_engine(&error, &mute);
    let within = format!("no answer within {} s", CONNECT_DEADLINE.as_secs());
    assert!(error.to_string().contains(&within), "{error}");
}

/// A fresh self-signed CA in `dir`; its certificate's path.
fn make_ca(dir: &Path) -> PathBuf {
    let (key, cert) = (dir.join("other-ca-key.pem"), dir.join("other-ca.pem"));
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
    ])
    .arg("-keyout")
    .arg(&key)
    .arg("-out")
    .arg(&cert)
    .args(["-subj", "/CN=waybill other test CA"]);
    run_with_deadline(&mut cmd, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{e}"))
        .ok();
    cert
}
