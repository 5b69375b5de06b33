//! `Engine::connect` reaches real engines of the multi-host testbed over
//! every transport (unix, tcp, TLS with the testbed's client certificate,
//! ssh through the testbed's wrapper on the node's port 2222), negotiates
//! each engine's own API version (20.10 → 1.41, 26.1 → 1.45), and
//! classifies each failure, naming the engine: a stopped engine is
//! unreachable, a TLS engine refuses a client without certificates or
//! trusting another CA, plain tcp and TLS do not mix, and ssh that cannot
//! reach sshd or log in says so in ssh's own words.
//!
//! Most tests call the library from a tokio runtime of their own; the
//! ssh port test also runs the real `waybill ls`, whose exec into the
//! node's container goes over the same ssh connection kind.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
#[path = "testbed/mod.rs"]
mod testbed;

use docker::{run_with_deadline, unique_name, COMMAND_DEADLINE};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Once, RwLock};
use std::time::Duration;
use testbed::{testbed_or_skip, Testbed, Via};
use waybill::host::endpoint::{resolve, Endpoint, EndpointArgs, Origin, TlsFiles};
use waybill::host::engine::{Engine, EngineError, Listing, CONNECT_DEADLINE};
use waybill::host::env::Env;

const NODES: [&str; 3] = ["a", "b:tls", "c:ssh,engine26"];

/// Tests hold this for reading while they need every node up; the test
/// that stops a node holds it for writing.
static NODES_UP: RwLock<()> = RwLock::new(());

fn bed(test: &str) -> Option<&'static Testbed> {
    let bed = testbed_or_skip(test, &NODES)?;
    // waybill's ssh transport runs `ssh` from PATH: the testbed's
    // wrapper (user, key, no host-key prompt; no port) goes first, once,
    // before any test connects over ssh.
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
        (
            host_endpoint(c.ssh.as_deref().expect("c has ssh"), |_| {}),
            "1.45",
        ),
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

/// Regression: bollard's ssh connector handed `root@ADDR:2222` to ssh as
/// one host name, so an address with a port other than 22 was refused.
/// The testbed's ssh config has no `Port` line, so only the address can
/// tell ssh the port.
#[test]
fn an_ssh_address_with_a_port_reaches_that_port_and_waybill_ls_execs_there() {
    let test = "an_ssh_address_with_a_port_reaches_that_port_and_waybill_ls_execs_there";
    let Some(bed) = bed(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let c = bed.node("c");
    let url = c.ssh.clone().expect("c has ssh");
    assert!(url.ends_with(":2222"), "{url}");
    let config_path = bed.ssh_bin().with_file_name("ssh_config");
    let config = std::fs::read_to_string(&config_path).expect("the testbed's ssh config");
    assert!(
        !config
            .lines()
            .any(|line| line.trim_start().to_lowercase().starts_with("port")),
        "{} names a port, so this test would not show that waybill passes it:\n{config}",
        config_path.display()
    );

    // The library: it connects, negotiates 26.1's API version, and
    // answers more than one request over ssh.
    let ssh = endpoint("c-ssh", &url, None);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let listed = runtime.block_on(async {
        let engine = Engine::connect(&ssh).await?;
        assert_eq!(engine.api_version(), "1.45");
        engine.list_containers(Listing::All).await
    });
    listed.unwrap_or_else(|e| panic!("{url}: {e}"));

    // The binary: a running container of a copy-in image (no labels) on
    // c is described by an exec of its `container` tool, which over ssh
    // is an upgraded HTTP connection through `docker system dial-stdio`.
    let images = engine_images::build();
    bed.load(&[&images.tool]);
    let name = unique_name("ssh-port");
    bed.docker(
        c,
        Via::Unix,
        &[
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            docker::TEST_LABEL,
            &images.tool,
            "/bin/sleep",
            "600",
        ],
    )
    .ok();
    let path = std::env::var("PATH").unwrap_or_default();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_waybill"));
    for var in ["DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"] {
        cmd.env_remove(var);
    }
    cmd.env("PATH", format!("{}:{path}", bed.ssh_bin().display()))
        .args(["ls", &name, "--json", "-H", &url]);
    let out = run_with_deadline(&mut cmd, COMMAND_DEADLINE)
        .unwrap_or_else(|e| panic!("{e}"))
        .ok();
    let listing: serde_json::Value =
        serde_json::from_str(&out.stdout).expect("ls --json prints JSON");
    let rows = listing["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0]["container"], name.as_str(), "{out}");
    assert_eq!(rows[0]["source"], "exec", "{out}");
    assert_eq!(rows[0]["project"], engine_images::PROJECT, "{out}");
    bed.docker(c, Via::Unix, &["rm", "-f", &name]).ok();
}

#[test]
fn ssh_failures_name_the_engine_and_say_what_ssh_said() {
    let test = "ssh_failures_name_the_engine_and_say_what_ssh_said";
    let Some(bed) = bed(test) else { return };
    let _up = NODES_UP.read().unwrap_or_else(|p| p.into_inner());
    let (a, c) = (bed.node("a"), bed.node("c"));

    // A host with no sshd (a's address), on the default port and on
    // another: ssh cannot connect, and says where it tried.
    for (name, url, port) in [
        ("a-ssh", format!("ssh://root@{}", a.addr), "22"),
        ("a-ssh-port", format!("ssh://root@{}:2222", a.addr), "2222"),
    ] {
        let no_sshd = endpoint(name, &url, None);
        let error = connect(&no_sshd).err().expect("a has no sshd");
        assert!(matches!(error, EngineError::SshFailed { .. }), "{error:?}");
        assert_names_engine(&error, &no_sshd);
        let text = error.to_string();
        assert!(
            text.contains("ssh exited with status 255")
                && text.contains(&format!("port {port}"))
                && text.to_lowercase().contains("connection refused"),
            "{text}"
        );
    }

    // c's sshd, as a user it does not know: the login is refused.
    let stranger = endpoint(
        "c-stranger",
        &format!("ssh://waybill-no-such-user@{}:2222", c.addr),
        None,
    );
    let error = connect(&stranger).err().expect("an unknown user logged in");
    assert!(matches!(error, EngineError::SshFailed { .. }), "{error:?}");
    assert_names_engine(&error, &stranger);
    let text = error.to_string();
    assert!(
        text.contains("Permission denied") && text.contains("without a prompt"),
        "{text}"
    );
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
