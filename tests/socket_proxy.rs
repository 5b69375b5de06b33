//! The socket proxy of docs/operations.md, run for real: the nginx
//! `server` block printed there (only its listen address and socket
//! path changed) in front of the local engine, in an nginx of its own. `waybill ls`, `examine`,
//! `update` (an attached exec) work through it — so the
//! endpoint list in the document is enough for them — and what waybill
//! never does, creating a container, is refused with 403.
//!
//! An earlier draft used HAProxy: Debian's 2.6 drops the upgrade of the
//! exec start (a POST with a body), so every exec failed; the document
//! says so.
//!
//! Needs a Docker engine and nginx (Debian package `nginx`): without
//! them the test prints SKIP, or fails when CI is set.

#![cfg(feature = "host")]

mod docker;
mod engine_images;

use docker::{
    engine_or_skip, prerequisite_or_skip, run, run_with_deadline, wait_until, Output,
    COMMAND_DEADLINE,
};
use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DOC: &str = "docs/operations.md";

/// The proxy's `server` block of the document, as written.
fn documented_config() -> String {
    let text = fs::read_to_string(Path::new(ROOT).join(DOC)).expect("read the document");
    let mut blocks = text.split("```nginx\n").skip(1);
    blocks
        .find_map(|rest| {
            let block = rest.split("```").next()?;
            block.contains("docker.sock").then(|| block.to_string())
        })
        .unwrap_or_else(|| panic!("{DOC} has no socket proxy block (```nginx with `docker.sock`)"))
}

/// A whole nginx configuration around `server`, with its files in `dir`.
fn nginx_conf(dir: &Path, server: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\nevents {{ worker_connections 64; }}\n\
         http {{\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         {server}\n}}\n"
    )
}

/// The engine's unix socket, as the docker CLI here reaches it.
fn engine_socket() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if host.starts_with("unix://") => host.trim_start_matches("unix://").to_string(),
        _ => "/var/run/docker.sock".to_string(),
    }
}

/// nginx in the foreground, killed when dropped.
struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_present() -> Result<(), String> {
    match run_with_deadline(Command::new("nginx").arg("-v"), COMMAND_DEADLINE) {
        Ok(out) if out.success() => Ok(()),
        Ok(out) => Err(out.to_string()),
        Err(e) => Err(format!("{e} (Debian package `nginx`)")),
    }
}

fn waybill(host: &str, args: &[&str]) -> Output {
    run(
        Command::new(env!("CARGO_BIN_EXE_waybill"))
            .args(args)
            .args(["--host", host])
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT"),
        COMMAND_DEADLINE,
    )
}

#[test]
fn waybill_works_through_the_documented_socket_proxy_and_little_else_does() {
    let test = "waybill_works_through_the_documented_socket_proxy_and_little_else_does";
    if !engine_or_skip(test) || !prerequisite_or_skip(test, "nginx", nginx_present()) {
        return;
    }
    let images = engine_images::build();
    let group = docker::unique_name("proxy");
    let group_label = format!("io.waybill.group={group}");
    let container = engine_images::sleeper("proxied", &images.tool, &["--label", &group_label]);

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let documented = documented_config();
    let server = documented
        .replace(
            "listen 127.0.0.1:2375;",
            &format!("listen 127.0.0.1:{port};"),
        )
        .replace(
            "unix:/var/run/docker.sock:",
            &format!("unix:{}:", engine_socket()),
        );
    assert!(
        server.contains(&format!("127.0.0.1:{port};")),
        "the listen line moved"
    );
    let dir = tempfile::tempdir().expect("a directory for the config");
    let path = dir.path().join("nginx.conf");
    fs::write(&path, nginx_conf(dir.path(), &server)).expect("write the config");
    let prefix = format!("-p{}", dir.path().display());
    run(
        Command::new("nginx").args([&prefix, "-t", "-c"]).arg(&path),
        COMMAND_DEADLINE,
    )
    .ok();
    let _proxy = Proxy(
        Command::new("nginx")
            .arg(&prefix)
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start haproxy"),
    );
    let host = format!("tcp://127.0.0.1:{port}");
    wait_until("nginx to listen", Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port))
            .map(|_| ())
            .map_err(|e| e.to_string())
    });

    // Listing (GET /version, /containers/json), examine (inspect and an
    // exec), update with validate (exec create, start, inspect).
    let ls = waybill(&host, &["ls", "--label", &group_label, "--json"]).ok();
    assert!(ls.stdout.contains(&container.name), "{ls}");
    let examine = waybill(&host, &["examine", &container.name]).ok();
    assert!(examine.stdout.contains(engine_images::PROJECT), "{examine}");
    let update = waybill(&host, &["update", "--label", &group_label]);
    assert!(update.success(), "{update}");

    // Creating a container, what waybill never does, is refused.
    let create = run(
        Command::new("docker")
            .args(["-H", &host, "create", "--label", docker::TEST_LABEL])
            .arg(&images.bare)
            .arg("true"),
        COMMAND_DEADLINE,
    );
    assert!(
        !create.success(),
        "the proxy let a create through:\n{create}"
    );
    assert!(create.all_output().contains("403"), "{create}");
}
