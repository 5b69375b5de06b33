//! `waybill serve` against the real local engine: a signed push updates
//! the containers built from the pushed repository and branch, hands
//! the UPDATE method the pushed repository, ref and revision, validates
//! after, and leaves other containers alone; the container records the
//! revision, and a later push of it updates nothing; pushes arriving during a
//! running update coalesce into exactly one follow-up with the newest
//! revision; `/healthz` is 200 when the engine answers.
//!
//! Needs a Docker engine: without one every test prints SKIP, or fails
//! when CI=true.

#![cfg(feature = "host")]

mod docker;
mod engine_images;
mod serve_images;
mod serve_support;

use docker::{engine_or_skip, ContainerGuard};
use serve_images::{images, REPO};
use serve_support::*;

const SECRET: &str = "engines-secret";

fn config(group: &str) -> String {
    // Only this test's containers: its group label, and the pushed repository.
    format!(
        r#"
[[hook]]
name = "shop"
forge = "github"
secret_env = "HOOK_SECRET"
match_push = true
labels = {{ "io.waybill.serve-group" = "{group}" }}
"#
    )
}

fn start(dir: &std::path::Path, group: &str) -> Server {
    Server::start(dir, &config(group), &[("HOOK_SECRET", SECRET)])
}

/// A unique group and its `docker run` label arguments.
fn group(what: &str) -> (String, [String; 2]) {
    let group = docker::unique_name(what);
    let args = [
        "--label".to_owned(),
        format!("io.waybill.serve-group={group}"),
    ];
    (group, args)
}

fn push(server: &Server, delivery: &str, repo: &str, sha: &str) -> serde_json::Value {
    let body = github_push(repo, "main", sha);
    let headers = [
        ("X-GitHub-Event", "push".to_string()),
        ("X-GitHub-Delivery", delivery.to_string()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), &[&body]))),
        ),
    ];
    let r = server.post("/hooks/shop", &headers, &body);
    assert_eq!(r.status, 202, "{r:?}\n{}", server.log_text());
    r.json()
}

fn file_in(container: &ContainerGuard, path: &str) -> String {
    let out = container.exec(&["cat", path]);
    if out.success() {
        out.stdout
    } else {
        String::new()
    }
}

#[test]
fn a_signed_push_updates_and_validates_only_the_containers_built_from_that_repository() {
    if !engine_or_skip(
        "a_signed_push_updates_and_validates_only_the_containers_built_from_that_repository",
    ) {
        return;
    }
    let images = images();
    let (group, labels) = group("e2e");
    let labels = [labels[0].as_str(), labels[1].as_str()];
    let shop = engine_images::sleeper("serve-shop", &images.shop, &labels);
    let other = engine_images::sleeper("serve-other", &images.other, &labels);
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &group);

    let id = push(&server, "e2e-1", REPO, SHA_A)["job"].as_u64().unwrap();
    let job = server.wait_job(id);
    assert_eq!(job["status"], "done", "{job:#}\n{}", server.log_text());
    let steps: Vec<(String, String, String)> = job["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["container"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (shop.name.clone(), "update".into(), "done".into()),
            (shop.name.clone(), "validate".into(), "done".into())
        ],
        "{job:#}"
    );
    assert!(
        job["results"][0]["stdout_tail"]
            .as_str()
            .unwrap()
            .contains(&format!("updated to {SHA_A}")),
        "{job:#}"
    );
    assert_eq!(
        file_in(&shop, "/tmp/pushed"),
        format!("{REPO}.git refs/heads/main {SHA_A}\n")
    );
    // VALIDATE is not handed the push.
    assert_eq!(file_in(&shop, "/tmp/validated"), "validate saw []\n");
    assert_eq!(
        file_in(&other, "/tmp/pushed"),
        "",
        "the other repository's container was touched"
    );

    // The same delivery again updates nothing.
    let body = github_push(REPO, "main", SHA_A);
    let headers = [
        ("X-GitHub-Event", "push".to_string()),
        ("X-GitHub-Delivery", "e2e-1".to_string()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), &[&body]))),
        ),
    ];
    let again = server.post("/hooks/shop", &headers, &body);
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(
        server.get("/jobs").json()["jobs"].as_array().unwrap().len(),
        1
    );
    assert_eq!(file_in(&shop, "/tmp/pushed").lines().count(), 1);

    // The container's runtime state shows the revision it was updated to.
    let examine = shop.exec(&["container", "--examine", "--json"]);
    assert!(examine.success(), "{examine}");
    let report: serde_json::Value = serde_json::from_str(&examine.stdout).unwrap();
    let update = &report["runtime"]["last"]["update"];
    assert_eq!(update["revision"], SHA_A, "{report:#}");
    assert_eq!(update["ref"], "refs/heads/main", "{report:#}");
    assert_eq!(update["repository"], format!("{REPO}.git"), "{report:#}");

    // A new delivery of the revision the container already has: its
    // `container --update` exits 75 without running the method, the job
    // shows it skipped, and nothing is validated again.
    let id = push(&server, "e2e-2", REPO, SHA_A)["job"].as_u64().unwrap();
    let job = server.wait_job(id);
    let results = job["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{job:#}");
    assert_eq!(results[0]["container"], shop.name.as_str(), "{job:#}");
    assert_eq!(results[0]["outcome"], "skipped", "{job:#}");
    assert_eq!(file_in(&shop, "/tmp/pushed").lines().count(), 1);
    assert_eq!(file_in(&shop, "/tmp/validated").lines().count(), 1);

    assert_eq!(server.get("/healthz").status, 200, "{}", server.log_text());
}

#[test]
fn pushes_during_a_running_update_coalesce_into_one_follow_up_with_the_newest_revision() {
    if !engine_or_skip(
        "pushes_during_a_running_update_coalesce_into_one_follow_up_with_the_newest_revision",
    ) {
        return;
    }
    let images = images();
    let (group, labels) = group("coalesce");
    let args = [
        labels[0].as_str(),
        labels[1].as_str(),
        "-e",
        "UPDATE_HOLD=1",
    ];
    let shop = engine_images::sleeper("serve-coalesce", &images.shop, &args);
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &group);

    let first = push(&server, "c-1", REPO, SHA_A)["job"].as_u64().unwrap();
    // Wait until the first UPDATE is running (and held).
    docker::wait_until("the first UPDATE to start", PATIENCE * 3, || {
        let out = shop.exec(&["test", "-e", "/tmp/update-started"]);
        if out.success() {
            Ok(())
        } else {
            Err(server.log_text())
        }
    });
    let second = push(&server, "c-2", REPO, SHA_B);
    let third = push(&server, "c-3", REPO, SHA_C);
    let follow_up = second["job"].as_u64().unwrap();
    assert_ne!(follow_up, first);
    assert_eq!(second["coalesced"], false);
    assert_eq!(
        (third["job"].as_u64(), third["coalesced"].as_bool()),
        (Some(follow_up), Some(true))
    );
    shop.exec(&["touch", "/tmp/release"]);

    let one = server.wait_job(first);
    let two = server.wait_job(follow_up);
    assert_eq!(
        (one["status"].as_str(), two["status"].as_str()),
        (Some("done"), Some("done")),
        "{one:#}\n{two:#}"
    );
    assert_eq!(two["trigger"]["revision"], SHA_C);
    assert_eq!(two["trigger"]["delivery"], "c-3");
    assert_eq!(two["trigger"]["coalesced"], 1);
    assert_eq!(
        server.get("/jobs").json()["jobs"].as_array().unwrap().len(),
        2
    );
    let revisions: Vec<String> = file_in(&shop, "/tmp/pushed")
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        revisions,
        [SHA_A, SHA_C],
        "exactly two runs, the second with the newest revision"
    );
}

#[test]
fn sigterm_lets_a_running_job_reach_its_grace_then_records_it_interrupted() {
    if !engine_or_skip("sigterm_lets_a_running_job_reach_its_grace_then_records_it_interrupted") {
        return;
    }
    let images = images();
    let (group, labels) = group("shutdown");
    let args = [
        labels[0].as_str(),
        labels[1].as_str(),
        "-e",
        "UPDATE_HOLD=1",
    ];
    let shop = engine_images::sleeper("serve-shutdown", &images.shop, &args);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let cfg = format!(
        "state_dir = {:?}\nshutdown_grace_secs = 1\n{}",
        state.display().to_string(),
        config(&group)
    );
    let server = Server::start(dir.path(), &cfg, &[("HOOK_SECRET", SECRET)]);
    let id = push(&server, "s-1", REPO, SHA_A)["job"].as_u64().unwrap();
    docker::wait_until("the UPDATE to start", PATIENCE * 3, || {
        let out = shop.exec(&["test", "-e", "/tmp/update-started"]);
        if out.success() {
            Ok(())
        } else {
            Err(server.log_text())
        }
    });
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("interrupted by shutdown"), "{log}");

    let server = Server::start(dir.path(), &cfg, &[("HOOK_SECRET", SECRET)]);
    let job = server.get(&format!("/jobs/{id}")).json();
    assert_eq!(job["status"], "interrupted", "{job:#}");
    assert!(
        job["error"].as_str().unwrap().contains("shut down"),
        "{job:#}"
    );
    shop.exec(&["touch", "/tmp/release"]);
}
