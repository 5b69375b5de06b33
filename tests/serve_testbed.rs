//! `waybill serve` over two engines of the namespace testbed: a signed
//! push updates and validates the matching containers on both, and
//! leaves the container built from another repository alone.
//!
//! Needs root, `ip netns` and a Docker engine: without them the test
//! prints SKIP, or fails when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_images;
mod serve_support;
#[path = "testbed/mod.rs"]
mod testbed;

use serve_images::{images, OTHER, REPO};
use serve_support::*;
use testbed::{testbed_or_skip, Via};

const SECRET: &str = "testbed-secret";

#[test]
fn a_signed_push_updates_the_matching_containers_on_two_engines() {
    let test = "a_signed_push_updates_the_matching_containers_on_two_engines";
    if !docker::engine_or_skip(test) {
        return;
    }
    let Some(bed) = testbed_or_skip(test, &["a", "b"]) else {
        return;
    };
    let images = images();
    bed.load(&[&images.shop, &images.other]);
    let name = docker::unique_name("serve-bed");
    let other_name = docker::unique_name("serve-bed-other");
    for node in ["a", "b"] {
        let node = bed.node(node);
        for (container, image) in [(&name, &images.shop), (&other_name, &images.other)] {
            bed.docker(
                node,
                Via::Unix,
                &[
                    "run",
                    "-d",
                    "--network",
                    "none",
                    "--name",
                    container,
                    "--label",
                    docker::TEST_LABEL,
                    "--entrypoint",
                    "/bin/sleep",
                    image,
                    "600",
                ],
            )
            .ok();
        }
    }
    let (a, b) = (bed.node("a"), bed.node("b"));
    let config = format!(
        r#"
[engines]
hosts = ["{}", "{}"]

[[hook]]
name = "shop"
forge = "gitea"
secret_env = "HOOK_SECRET"
match_push = true
batch = 1
"#,
        a.unix, b.unix
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config, &[("HOOK_SECRET", SECRET)]);
    assert_eq!(server.get("/healthz").status, 200, "{}", server.log_text());

    let body = github_push(REPO, "main", SHA_B);
    let headers = [
        ("X-Gitea-Event", "push".to_string()),
        ("X-Gitea-Delivery", "bed-1".to_string()),
        (
            "X-Gitea-Signature",
            hex(&hmac_sha256(SECRET.as_bytes(), &[&body])),
        ),
    ];
    let r = server.post("/hooks/shop", &headers, &body);
    assert_eq!(r.status, 202, "{r:?}");
    let job = server.wait_job(r.json()["job"].as_u64().unwrap());
    assert_eq!(job["status"], "done", "{job:#}");
    let mut steps: Vec<String> = job["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["engine"].as_str().unwrap(),
                r["container"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["outcome"].as_str().unwrap()
            )
        })
        .collect();
    steps.sort();
    let expected: Vec<String> = [&a.unix, &b.unix]
        .iter()
        .flat_map(|engine| {
            ["update", "validate"].map(|action| format!("{engine} {name} {action} done"))
        })
        .collect();
    assert_eq!(steps, expected, "{job:#}");
    for node in [a, b] {
        let pushed = bed
            .docker(node, Via::Unix, &["exec", &name, "cat", "/tmp/pushed"])
            .ok();
        assert_eq!(
            pushed.stdout,
            format!("{REPO}.git refs/heads/main {SHA_B}\n")
        );
        let untouched = bed.docker(
            node,
            Via::Unix,
            &["exec", &other_name, "cat", "/tmp/pushed"],
        );
        assert!(
            !untouched.success(),
            "{OTHER}'s container was updated on {}",
            node.name
        );
    }
}
