//! `GET /metrics` over real HTTP against the real `waybill serve`: after
//! accepted, refused and unknown-hook requests, a job against an
//! unreachable engine and a `/healthz`, the exposition counts them, and
//! `promtool check metrics` (Prometheus's own parser and linter) accepts
//! it without a finding. Without promtool the test skips loudly (fails
//! with CI=true; Debian package `prometheus`).

#![cfg(feature = "host")]

mod docker;
mod serve_support;

use serve_support::deadline::output_or_panic;
use serve_support::*;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const SECRET: &str = "metrics-secret-Q3";
const REPO: &str = "https://git.example/example/shop";

/// The socket does not exist, so the engine is down (label escaping of
/// hostile names is unit-tested in src/host/serve/metrics.rs).
const ENGINE: &str = "unix:///nonexistent/waybill-metrics.sock";

fn config() -> String {
    format!(
        r#"
[engines]
hosts = ["{ENGINE}"]

[[hook]]
name = "gh"
forge = "github"
secret_env = "HOOK_SECRET"
match_push = true
"#
    )
}

fn find_promtool() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("promtool"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| "promtool is not on PATH (Debian package `prometheus`)".to_string())
}

fn signed(body: &[u8], secret: &str, delivery: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-GitHub-Event", "push".into()),
        ("X-GitHub-Delivery", delivery.into()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), &[body]))),
        ),
        ("Content-Type", "application/json".into()),
    ]
}

#[test]
fn metrics_count_requests_and_jobs_and_pass_promtool() {
    let promtool = find_promtool();
    if !docker::prerequisite_or_skip(
        "metrics_count_requests_and_jobs_and_pass_promtool",
        "promtool",
        promtool.as_ref().map(|_| ()).map_err(Clone::clone),
    ) {
        return;
    }
    let promtool = promtool.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(), &[("HOOK_SECRET", SECRET)]);

    let body = github_push(REPO, "main", SHA_A);
    let bad = server.post("/hooks/gh", &signed(&body, "wrong", "d-bad"), &body);
    assert_eq!(bad.status, 401, "{bad:?}");
    let unknown = server.post("/hooks/nope", &signed(&body, SECRET, "d-x"), &body);
    assert_eq!(unknown.status, 404, "{unknown:?}");
    let accepted = server.post("/hooks/gh", &signed(&body, SECRET, "d-ok"), &body);
    assert_eq!(accepted.status, 202, "{accepted:?}");
    let job = server.wait_job(accepted.json()["job"].as_u64().unwrap());
    assert_eq!(job["status"], "failed", "{job:#}");
    let health = server.get("/healthz");
    assert_eq!(health.status, 503, "{health:?}");

    let r = server.get("/metrics");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = r.body;
    for line in [
        "waybill_serve_hooks_received_total{forge=\"github\"} 2".to_owned(),
        "waybill_serve_hooks_received_total{forge=\"none\"} 1".to_owned(),
        "waybill_serve_hooks_rejected_total{forge=\"github\",reason=\"invalid_signature\"} 1"
            .to_owned(),
        "waybill_serve_hooks_rejected_total{forge=\"none\",reason=\"unknown_hook\"} 1".to_owned(),
        "waybill_serve_jobs_total{action=\"update\",result=\"failed\"} 1".to_owned(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in:\n{text}"
        );
    }

    assert!(
        text.lines()
            .any(|l| l.starts_with("waybill_serve_engine_up{engine=") && l.ends_with("} 0")),
        "no engine marked down in:\n{text}"
    );
    assert!(text.contains("waybill_serve_execs_total"), "{text}");

    let mut cmd = Command::new(&promtool);
    cmd.args(["check", "metrics"]);
    let out = output_or_panic(&mut cmd, Some(text.as_bytes()), Duration::from_secs(60));
    assert_eq!(
        out.status.code(),
        Some(0),
        "promtool check metrics refused or linted the exposition:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        text
    );
    let (code, _) = server.stop();
    assert_eq!(code, Some(0));
}
