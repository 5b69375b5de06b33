//! `POST /hooks/{name}` over real HTTP against the real `waybill serve`:
//! every forge's signature scheme, the response table, and what the log
//! line holds. The engines named are unreachable on purpose: these tests
//! are about the HTTP side, and a job against no engine fails fast.
//! End-to-end runs on real engines are in tests/serve_engines.rs.

#![cfg(feature = "host")]

mod serve_support;

use base64::Engine as _;
use serve_support::*;

const SECRET: &str = "hook-secret-Xy7";
const REPO: &str = "https://git.example/example/shop";

fn config(extra: &str) -> String {
    format!(
        r#"
[engines]
hosts = ["unix:///nonexistent/waybill-test.sock"]

[[hook]]
name = "gh"
forge = "github"
secret_env = "HOOK_SECRET"
match_push = true

[[hook]]
name = "vector"
forge = "github"
secret_env = "VECTOR_SECRET"
project = "x"

[[hook]]
name = "gitea"
forge = "gitea"
secret_env = "HOOK_SECRET"
match_push = true

[[hook]]
name = "forgejo"
forge = "forgejo"
secret_env = "HOOK_SECRET"
match_push = true

[[hook]]
name = "gitlab-signed"
forge = "gitlab"
secret_env = "GITLAB_SIGNING"
match_push = true

[[hook]]
name = "gitlab-token"
forge = "gitlab"
secret_env = "HOOK_SECRET"
match_push = true

[[hook]]
name = "bearer"
forge = "generic"
secret_env = "HOOK_SECRET"
project = "shop"

[[hook]]
name = "generic-hmac"
forge = "generic"
secret_env = "HOOK_SECRET"
signature_header = "X-Signature"
project = "shop"

[[hook]]
name = "limited"
forge = "github"
secret_env = "HOOK_SECRET"
match_push = true
rate_limit = {{ requests = 2, per_secs = 3600 }}
{extra}
"#
    )
}

const SIGNING_KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

fn signing_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(SIGNING_KEY)
    )
}

fn start(dir: &std::path::Path, extra: &str) -> Server {
    let signing = signing_secret();
    Server::start(
        dir,
        &config(extra),
        &[
            ("HOOK_SECRET", SECRET),
            ("VECTOR_SECRET", "It's a Secret to Everybody"),
            ("GITLAB_SIGNING", &signing),
        ],
    )
}

fn github_headers(body: &[u8], delivery: &str) -> Vec<(&'static str, String)> {
    vec![
        ("X-GitHub-Event", "push".into()),
        ("X-GitHub-Delivery", delivery.into()),
        (
            "X-Hub-Signature-256",
            format!("sha256={}", hex(&hmac_sha256(SECRET.as_bytes(), &[body]))),
        ),
        ("Content-Type", "application/json".into()),
    ]
}

fn gitlab_signed_headers(body: &[u8], id: &str, timestamp: i64) -> Vec<(&'static str, String)> {
    let ts = timestamp.to_string();
    let mac = hmac_sha256(
        SIGNING_KEY,
        &[id.as_bytes(), b".", ts.as_bytes(), b".", body],
    );
    vec![
        ("X-Gitlab-Event", "Push Hook".into()),
        ("webhook-id", id.into()),
        ("webhook-timestamp", ts),
        (
            "webhook-signature",
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(mac)
            ),
        ),
    ]
}

fn assert_accepted(r: &Response) -> u64 {
    assert_eq!(r.status, 202, "{r:?}");
    let id = r.json()["job"].as_u64().expect("a job id");
    assert_eq!(
        r.header("location"),
        Some(format!("/jobs/{id}").as_str()),
        "{r:?}"
    );
    id
}

fn assert_invalid(r: &Response) {
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.json(), serde_json::json!({"error": "invalid signature"}));
}

#[test]
fn github_published_test_vector_is_accepted_and_a_changed_byte_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    let headers = [
        ("X-GitHub-Event", "ping".to_string()),
        ("X-Hub-Signature-256", sig.into()),
    ];
    let ok = server.post("/hooks/vector", &headers, b"Hello, World!");
    assert_eq!(ok.status, 200, "{ok:?}");
    assert!(
        ok.json()["ignored"].as_str().unwrap().contains("ping"),
        "{ok:?}"
    );
    assert_invalid(&server.post("/hooks/vector", &headers, b"Hello, World?"));
}

#[test]
fn every_forge_accepts_its_valid_signature_and_refuses_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let body = github_push(REPO, "main", SHA_A);
    let good = hex(&hmac_sha256(SECRET.as_bytes(), &[&body]));
    let bad = hex(&hmac_sha256(b"not the secret", &[&body]));

    // GitHub
    assert_accepted(&server.post("/hooks/gh", &github_headers(&body, "gh-1"), &body));
    let mut wrong = github_headers(&body, "gh-2");
    wrong[2].1 = format!("sha256={bad}");
    assert_invalid(&server.post("/hooks/gh", &wrong, &body));
    assert_invalid(&server.post("/hooks/gh", &[("X-GitHub-Event", "push".into())], &body));

    // Gitea and Forgejo, which also send GitHub's headers (signed with
    // the same key): each is verified by its own header.
    for (hook, event, sig, delivery) in [
        (
            "gitea",
            "X-Gitea-Event",
            "X-Gitea-Signature",
            "X-Gitea-Delivery",
        ),
        (
            "forgejo",
            "X-Forgejo-Event",
            "X-Forgejo-Signature",
            "X-Forgejo-Delivery",
        ),
    ] {
        let headers = |s: &str, d: &str| {
            vec![
                (event, "push".to_string()),
                (sig, s.to_string()),
                (delivery, d.to_string()),
                ("X-GitHub-Event", "push".to_string()),
                ("X-Hub-Signature-256", format!("sha256={good}")),
            ]
        };
        assert_accepted(&server.post(
            &format!("/hooks/{hook}"),
            &headers(&good, &format!("{hook}-1")),
            &body,
        ));
        assert_invalid(&server.post(
            &format!("/hooks/{hook}"),
            &headers(&bad, &format!("{hook}-2")),
            &body,
        ));
    }

    // GitLab signing token: valid, wrong key, stale timestamp.
    let lab = gitlab_push(REPO, "main", SHA_A);
    let now = epoch_now();
    assert_accepted(&server.post(
        "/hooks/gitlab-signed",
        &gitlab_signed_headers(&lab, "msg_1", now),
        &lab,
    ));
    let mut forged = gitlab_signed_headers(&lab, "msg_2", now);
    forged[3].1 = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(b"k", &[&lab]))
    );
    assert_invalid(&server.post("/hooks/gitlab-signed", &forged, &lab));
    let stale = gitlab_signed_headers(&lab, "msg_3", now - 600);
    assert_invalid(&server.post("/hooks/gitlab-signed", &stale, &lab));

    // GitLab shared token.
    let token = |t: &str, uuid: &str| {
        vec![
            ("X-Gitlab-Event", "Push Hook".to_string()),
            ("X-Gitlab-Token", t.to_string()),
            ("X-Gitlab-Event-UUID", uuid.to_string()),
        ]
    };
    assert_accepted(&server.post("/hooks/gitlab-token", &token(SECRET, "u1"), &lab));
    assert_invalid(&server.post("/hooks/gitlab-token", &token("hook-secret", "u2"), &lab));

    // Generic: bearer token, and an HMAC in a named header.
    assert_accepted(&server.post(
        "/hooks/bearer",
        &[("Authorization", format!("Bearer {SECRET}"))],
        &body,
    ));
    assert_invalid(&server.post(
        "/hooks/bearer",
        &[("Authorization", "Bearer nope".into())],
        &body,
    ));
    assert_accepted(&server.post(
        "/hooks/generic-hmac",
        &[("X-Signature", good.clone())],
        &body,
    ));
    assert_invalid(&server.post(
        "/hooks/generic-hmac",
        &[("X-Signature", bad.clone())],
        &body,
    ));

    // The log names hook, forge and delivery, never the secret or a signature.
    let log = server.log_text();
    assert!(
        log.contains("hook=gh") && log.contains("forge=github") && log.contains("delivery=gh-1"),
        "{log}"
    );
    assert!(
        log.contains("forge=forgejo") && log.contains("forge=gitlab"),
        "{log}"
    );
    for secret_text in [SECRET, &good, &bad, &signing_secret()] {
        assert!(
            !log.contains(secret_text),
            "the log holds a secret or signature:\n{log}"
        );
    }
}

#[test]
fn a_redelivery_is_acknowledged_as_duplicate_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let cfg = format!(
        "state_dir = {:?}\n{}",
        state.display().to_string(),
        config("")
    );
    let envs = [
        ("HOOK_SECRET", SECRET),
        ("VECTOR_SECRET", "v"),
        ("GITLAB_SIGNING", "whsec_AAAA"),
    ];
    let body = github_push(REPO, "main", SHA_A);
    let headers = github_headers(&body, "delivery-42");
    let server = Server::start(dir.path(), &cfg, &envs);
    let id = assert_accepted(&server.post("/hooks/gh", &headers, &body));
    let again = server.post("/hooks/gh", &headers, &body);
    assert_eq!(
        (again.status, again.json()),
        (200, serde_json::json!({"duplicate": true}))
    );
    server.wait_job(id);
    let (code, _) = server.stop();
    assert_eq!(code, Some(0));

    let server = Server::start(dir.path(), &cfg, &envs);
    let after_restart = server.post("/hooks/gh", &headers, &body);
    assert_eq!(after_restart.status, 200, "{after_restart:?}");
    assert_eq!(after_restart.json()["duplicate"], true);
    // A new delivery id is a new delivery.
    assert_accepted(&server.post("/hooks/gh", &github_headers(&body, "delivery-43"), &body));
}

#[test]
fn an_oversized_chunked_body_is_refused_413_while_streaming() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    // 1 MiB limit; 1 MiB + 16 KiB sent chunked, no Content-Length.
    let r = post_chunked(
        server.addr,
        "/hooks/gh",
        &[("X-GitHub-Event", "push".into())],
        16 * 1024,
        65,
    );
    assert_eq!(r.status, 413, "{r:?}");
    // A declared length over the limit is refused before any byte is read.
    let declared = post_declaring(server.addr, "/hooks/gh", 1024 * 1024 + 1);
    assert_eq!(declared.status, 413, "{declared:?}");
    // At the limit is fine (and then the signature decides).
    let exact = vec![b' '; 1024 * 1024];
    assert_invalid(&server.post("/hooks/gh", &[], &exact));
}

#[test]
fn unknown_hook_is_404() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let r = server.post("/hooks/nope", &[], b"{}");
    assert_eq!(r.status, 404, "{r:?}");
    assert_eq!(server.get("/hooks/gh").status, 405);
}

#[test]
fn over_the_rate_limit_is_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let body = github_push(REPO, "main", SHA_A);
    for n in 0..2 {
        assert_accepted(&server.post(
            "/hooks/limited",
            &github_headers(&body, &format!("rl-{n}")),
            &body,
        ));
    }
    let r = server.post("/hooks/limited", &github_headers(&body, "rl-3"), &body);
    assert_eq!(r.status, 429, "{r:?}");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=1800).contains(&retry), "{retry}");
    // A bad signature does not spend the budget, and is still a 401.
    let mut forged = github_headers(&body, "rl-4");
    forged[2].1 = "sha256=00".into();
    assert_invalid(&server.post("/hooks/limited", &forged, &body));
}

#[test]
fn bad_json_and_missing_push_fields_are_400_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let not_json = b"{not json".to_vec();
    let r = server.post("/hooks/gh", &github_headers(&not_json, "bj-1"), &not_json);
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.json()["error"].as_str().unwrap().contains("not JSON"),
        "{r:?}"
    );
    let no_ref = br#"{"after":"1111111111111111111111111111111111111111","repository":{"clone_url":"https://x/y.git"}}"#.to_vec();
    let r = server.post("/hooks/gh", &github_headers(&no_ref, "bj-2"), &no_ref);
    assert_eq!(r.status, 400, "{r:?}");
    assert!(
        r.json()["error"].as_str().unwrap().contains("`ref`"),
        "{r:?}"
    );
    let no_repo =
        br#"{"ref":"refs/heads/main","after":"1111111111111111111111111111111111111111"}"#.to_vec();
    let r = server.post("/hooks/gh", &github_headers(&no_repo, "bj-3"), &no_repo);
    assert!(r.status == 400 && r.body.contains("repository"), "{r:?}");
    // A 400 is not remembered: the fixed redelivery is accepted.
    let fixed = github_push(REPO, "main", SHA_A);
    assert_accepted(&server.post("/hooks/gh", &github_headers(&fixed, "bj-1"), &fixed));
}

#[test]
fn tag_pushes_deletions_and_pings_do_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), "");
    let mut tag: serde_json::Value =
        serde_json::from_slice(&github_push(REPO, "main", SHA_A)).unwrap();
    tag["ref"] = "refs/tags/v1.0".into();
    let tag = tag.to_string().into_bytes();
    let deleted = github_push(REPO, "main", "0000000000000000000000000000000000000000");
    for (n, body) in [tag, deleted].iter().enumerate() {
        let r = server.post(
            "/hooks/gh",
            &github_headers(body, &format!("nop-{n}")),
            body,
        );
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.json()["ignored"].is_string(), "{r:?}");
    }
    let ping = b"{\"zen\":\"hi\"}".to_vec();
    let mut headers = github_headers(&ping, "nop-ping");
    headers[0].1 = "ping".into();
    assert_eq!(server.post("/hooks/gh", &headers, &ping).status, 200);
    let jobs = server.get("/jobs").json();
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 0, "{jobs}");
}
