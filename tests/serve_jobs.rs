//! Jobs of the real `waybill serve`: the history survives a restart (a
//! torn last line is skipped with a warning), `GET /jobs` pages,
//! `POST /jobs` needs the operator's bearer token, `/healthz` names an
//! engine that is down, and SIGTERM stops the server with exit 0. The
//! engine named is unreachable on purpose, so every job fails fast with
//! an engine error; jobs on real engines are in tests/serve_engines.rs.

#![cfg(feature = "host")]

mod serve_support;

use serve_support::*;
use std::io::Write;

const SECRET: &str = "jobs-secret";
const TOKEN: &str = "operator-token-1";

fn config(state: Option<&std::path::Path>) -> String {
    let state = state.map_or(String::new(), |p| {
        format!("state_dir = {:?}\n", p.display().to_string())
    });
    format!(
        r#"{state}
[engines]
hosts = ["unix:///nonexistent/waybill-test.sock"]

[operator]
token_env = "OP_TOKEN"

[[hook]]
name = "gh"
forge = "github"
secret_env = "HOOK_SECRET"
match_push = true
"#
    )
}

const ENVS: [(&str, &str); 2] = [("HOOK_SECRET", SECRET), ("OP_TOKEN", TOKEN)];

fn push(server: &Server, delivery: &str, sha: &str) -> u64 {
    let body = github_push("https://git.example/o/r", "main", sha);
    let headers = [
        ("X-GitHub-Event", "push".to_string()),
        ("X-GitHub-Delivery", delivery.to_string()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), &[&body]))),
        ),
    ];
    let r = server.post("/hooks/gh", &headers, &body);
    assert_eq!(r.status, 202, "{r:?}");
    r.json()["job"].as_u64().unwrap()
}

fn operator(server: &Server, token: &str, body: &str) -> Response {
    server.post(
        "/jobs",
        &[
            ("Authorization", format!("Bearer {token}")),
            ("Content-Type", "application/json".into()),
        ],
        body.as_bytes(),
    )
}

#[test]
fn job_history_survives_a_restart_and_a_torn_last_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let server = Server::start(dir.path(), &config(Some(&state)), &ENVS);
    let id = push(&server, "d-1", SHA_A);
    let job = server.wait_job(id);
    assert_eq!(job["status"], "failed", "{job:#}");
    assert_eq!(job["action"], "update");
    assert_eq!(job["trigger"]["kind"], "hook");
    assert_eq!(job["trigger"]["forge"], "github");
    assert_eq!(job["trigger"]["delivery"], "d-1");
    assert_eq!(job["trigger"]["repository"], "https://git.example/o/r.git");
    assert_eq!(job["trigger"]["ref"], "refs/heads/main");
    assert_eq!(job["trigger"]["revision"], SHA_A);
    assert_eq!(job["selection"]["source"], "https://git.example/o/r");
    assert_eq!(job["selection"]["branch"], "main");
    assert!(
        job["engine_errors"][0]["error"]
            .as_str()
            .unwrap()
            .contains("nonexistent"),
        "{job:#}"
    );
    let (code, log) = server.stop();
    assert_eq!(code, Some(0), "{log}");

    // A crash mid-write leaves half a line.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(state.join("jobs.jsonl"))
        .unwrap();
    file.write_all(b"{\"id\":99,\"status\":\"runn").unwrap();
    drop(file);

    let server = Server::start(dir.path(), &config(Some(&state)), &ENVS);
    let again = server.get(&format!("/jobs/{id}"));
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.json(), job, "the job reads back as it was");
    assert!(
        server.log_text().contains("torn last line"),
        "{}",
        server.log_text()
    );
    // Ids go on counting after the restart.
    let next = push(&server, "d-2", SHA_B);
    assert!(next > id, "{next} after {id}");
    assert_eq!(server.get("/jobs/99").status, 404);
}

#[test]
fn jobs_page_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(None), &ENVS);
    let ids: Vec<u64> = (0..3)
        .map(|n| push(&server, &format!("p-{n}"), [SHA_A, SHA_B, SHA_C][n]))
        .collect();
    for id in &ids {
        server.wait_job(*id);
    }
    let first = server.get("/jobs?limit=2").json();
    let got: Vec<u64> = first["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [ids[2], ids[1]], "{first:#}");
    let before = first["next_before"].as_u64().expect("a next page");
    let second = server.get(&format!("/jobs?limit=2&before={before}")).json();
    let got: Vec<u64> = second["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [ids[0]], "{second:#}");
    assert!(second["next_before"].is_null());
    assert_eq!(server.get("/jobs/nope").status, 404);
}

#[test]
fn post_jobs_needs_the_operator_token_and_a_selection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(None), &ENVS);
    let body = r#"{"action":"validate","selection":{"all":true}}"#;
    assert_eq!(operator(&server, "wrong", body).status, 401);
    assert_eq!(server.post("/jobs", &[], body.as_bytes()).status, 401);
    let r = operator(&server, TOKEN, body);
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.json()["job"].as_u64().unwrap();
    assert_eq!(r.header("location"), Some(format!("/jobs/{id}").as_str()));
    let job = server.wait_job(id);
    assert_eq!(
        (job["action"].as_str(), job["trigger"]["kind"].as_str()),
        (Some("validate"), Some("operator"))
    );
    assert_eq!(
        operator(&server, TOKEN, r#"{"action":"reboot"}"#).status,
        400
    );
    let nothing = operator(&server, TOKEN, r#"{"action":"validate","selection":{}}"#);
    assert_eq!(nothing.status, 400, "{nothing:?}");
    assert_eq!(operator(&server, TOKEN, "{").status, 400);
    assert!(!server.log_text().contains(TOKEN));
}

#[test]
fn healthz_names_an_engine_that_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &config(None), &ENVS);
    let r = server.get("/healthz");
    assert_eq!(r.status, 503, "{r:?}");
    let doc = r.json();
    assert_eq!(
        doc["down"],
        serde_json::json!(["unix:///nonexistent/waybill-test.sock"]),
        "{doc:#}"
    );
}
