//! Endpoint resolution agrees with the docker CLI on stores the docker CLI
//! itself made: `docker context create` writes the store in a temporary
//! `DOCKER_CONFIG`, `docker context inspect` says what it holds, and
//! `waybill::host::endpoint::resolve` must read the same host, TLS
//! material and current context. No engine is needed, only the CLI.

#![cfg(feature = "host")]

mod docker;

use docker::{prerequisite_or_skip, run_with_deadline, Output};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use waybill::host::endpoint::{resolve, EndpointArgs, EndpointError};
use waybill::host::env::Env;

const DEADLINE: Duration = Duration::from_secs(60);

/// `docker ARGS` with DOCKER_CONFIG set to `config`, and nothing else of
/// this process's docker settings.
fn docker_in(config: &Path, args: &[&str]) -> Result<Output, String> {
    let mut cmd = Command::new("docker");
    cmd.args(args)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH");
    run_with_deadline(&mut cmd, DEADLINE)
}

fn cli_or_skip(test: &str, config: &Path) -> bool {
    let check = docker_in(config, &["context", "ls", "--quiet"])
        .and_then(|out| out.success().then_some(()).ok_or_else(|| out.to_string()));
    prerequisite_or_skip(test, "the docker CLI", check)
}

#[track_caller]
fn docker_ok(config: &Path, args: &[&str]) -> Output {
    docker_in(config, args)
        .unwrap_or_else(|e| panic!("{e}"))
        .ok()
}

fn env_for(config: &Path, vars: &[(&str, &str)]) -> Env {
    std::iter::once(("DOCKER_CONFIG", config.to_str().expect("utf-8 path")))
        .chain(vars.iter().copied())
        .collect()
}

#[test]
fn contexts_made_by_the_docker_cli_resolve_as_docker_context_inspect_says() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("docker");
    if !cli_or_skip(
        "contexts_made_by_the_docker_cli_resolve_as_docker_context_inspect_says",
        &config,
    ) {
        return;
    }
    let pem = dir.path().join("pem");
    std::fs::create_dir(&pem).unwrap();
    // The CLI parses the material before storing it: make a real
    // self-signed certificate, which also serves as its own CA.
    let mut openssl = Command::new("openssl");
    openssl.current_dir(&pem).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "1",
        "-subj",
        "/CN=waybill-test",
    ]);
    let made = run_with_deadline(&mut openssl, DEADLINE)
        .and_then(|out| out.success().then_some(()).ok_or_else(|| out.to_string()));
    if !prerequisite_or_skip(
        "contexts_made_by_the_docker_cli_resolve_as_docker_context_inspect_says",
        "openssl",
        made,
    ) {
        return;
    }
    std::fs::copy(pem.join("cert.pem"), pem.join("ca.pem")).unwrap();
    let tls = format!(
        "host=tcp://10.0.0.5:2376,ca={0}/ca.pem,cert={0}/cert.pem,key={0}/key.pem",
        pem.display()
    );
    docker_ok(&config, &["context", "create", "secure", "--docker", &tls]);
    docker_ok(
        &config,
        &[
            "context",
            "create",
            "far",
            "--docker",
            "host=ssh://ops@10.0.0.6:2222",
        ],
    );
    docker_ok(
        &config,
        &[
            "context",
            "create",
            "lax",
            "--docker",
            "host=tcp://10.0.0.7:2376,skip-tls-verify=true",
        ],
    );
    docker_ok(&config, &["context", "use", "far"]);

    let inspect = docker_ok(&config, &["context", "inspect", "secure", "far", "lax"]);
    let inspected: Vec<Value> = serde_json::from_str(&inspect.stdout).expect("inspect prints JSON");
    let args = EndpointArgs {
        contexts: vec!["secure".into(), "far".into(), "lax".into()],
        ..EndpointArgs::default()
    };
    let endpoints = resolve(&args, &env_for(&config, &[])).expect("resolves");
    for (endpoint, cli) in endpoints.iter().zip(&inspected) {
        assert_eq!(endpoint.name, cli["Name"].as_str().unwrap());
        assert_eq!(
            endpoint.url,
            cli["Endpoints"]["docker"]["Host"].as_str().unwrap()
        );
        let skip = cli["Endpoints"]["docker"]["SkipTLSVerify"]
            .as_bool()
            .unwrap();
        let material: Vec<&str> = cli["TLSMaterial"]["docker"]
            .as_array()
            .map(|files| files.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let tls_path = Path::new(cli["Storage"]["TLSPath"].as_str().unwrap()).join("docker");
        match &endpoint.tls {
            None => assert!(material.is_empty() && !skip, "{endpoint:?} vs {cli}"),
            Some(tls) => {
                assert_eq!(tls.verify, !skip, "{endpoint:?}");
                let ours: Vec<&str> = [
                    (&tls.ca, "ca.pem"),
                    (&tls.cert, "cert.pem"),
                    (&tls.key, "key.pem"),
                ]
                .into_iter()
                .filter_map(|(path, name)| {
                    let path = path.as_ref()?;
                    assert_eq!(path, &tls_path.join(name));
                    Some(name)
                })
                .collect();
                assert_eq!(ours, material, "{endpoint:?}");
            }
        }
    }

    // `docker context use far` set currentContext; nothing else is set.
    let current = resolve(&EndpointArgs::default(), &env_for(&config, &[])).unwrap();
    assert_eq!(current[0].url, "ssh://ops@10.0.0.6:2222");

    // --all-contexts lists what `docker context ls` lists, in its order.
    let ls = docker_ok(&config, &["context", "ls", "--format", "{{.Name}}"]);
    let listed: Vec<&str> = ls
        .stdout
        .lines()
        .map(|l| l.trim_end_matches(" *"))
        .collect();
    let all = EndpointArgs {
        all_contexts: true,
        ..EndpointArgs::default()
    };
    let names: Vec<String> = resolve(&all, &env_for(&config, &[]))
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, listed);
}

#[test]
fn a_context_the_docker_cli_does_not_know_is_refused_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("docker");
    if !cli_or_skip(
        "a_context_the_docker_cli_does_not_know_is_refused_by_both",
        &config,
    ) {
        return;
    }
    let cli = docker_in(&config, &["--context", "nope", "context", "inspect"]).unwrap();
    assert!(!cli.success(), "{cli}");
    let error = resolve(
        &EndpointArgs::default(),
        &env_for(&config, &[("DOCKER_CONTEXT", "nope")]),
    )
    .unwrap_err();
    assert!(
        matches!(error, EndpointError::NoSuchContext { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("DOCKER_CONTEXT"), "{error}");
}
