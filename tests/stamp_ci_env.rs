//! `waybill stamp` inside each supported CI system, simulated by the
//! environment the system sets: one table row per system, run against a
//! real repository with the real binary.

// The `waybill` binary needs the `host` feature.
#![cfg(feature = "host")]

mod stamp_support;

use serde_json::{json, Value};
use stamp_support::{field, stamp, Repo};

/// What a row expects in the record.
struct Expect {
    system: &'static str,
    branch: Option<&'static str>,
    build_id: &'static str,
    build_url: Option<&'static str>,
    cause: Option<&'static str>,
    build_tag: &'static str,
}

/// One CI system: the variables it sets for a build, and the record
/// fields that must come out. `SHA` in a value is replaced by HEAD.
struct Case {
    env: &'static [(&'static str, &'static str)],
    expect: Expect,
}

const CASES: &[Case] = &[
    Case {
        env: &[
            ("JENKINS_URL", "https://jenkins.example/"),
            ("BUILD_TAG", "jenkins-web-app-42"),
            ("BUILD_NUMBER", "42"),
            ("BUILD_URL", "https://jenkins.example/job/web/job/app/42/"),
            ("BUILD_CAUSE", "TIMERTRIGGER"),
            ("GIT_COMMIT", "SHA"),
            ("GIT_BRANCH", "origin/feature/x"),
        ],
        expect: Expect {
            system: "jenkins",
            branch: Some("feature/x"),
            build_id: "42",
            build_url: Some("https://jenkins.example/job/web/job/app/42/"),
            cause: Some("TIMERTRIGGER"),
            build_tag: "jenkins-web-app-42",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "SHA"),
            ("GITHUB_REF", "refs/heads/release/2"),
            ("GITHUB_HEAD_REF", ""),
            ("GITHUB_RUN_ID", "9876543210"),
            ("GITHUB_RUN_NUMBER", "17"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "octo/app"),
            ("GITHUB_EVENT_NAME", "push"),
        ],
        expect: Expect {
            system: "github-actions",
            branch: Some("release/2"),
            build_id: "9876543210",
            build_url: Some("https://github.com/octo/app/actions/runs/9876543210"),
            cause: Some("push"),
            build_tag: "github-actions-octo-app-17",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITEA_ACTIONS", "true"),
            ("GITHUB_SHA", "SHA"),
            ("GITHUB_REF", "refs/pull/5/head"),
            ("GITHUB_HEAD_REF", "topic"),
            ("GITHUB_RUN_ID", "812"),
            ("GITHUB_RUN_NUMBER", "44"),
            ("GITHUB_SERVER_URL", "https://gitea.example"),
            ("GITHUB_REPOSITORY", "team/app"),
            ("GITHUB_EVENT_NAME", "pull_request"),
        ],
        expect: Expect {
            system: "gitea-actions",
            branch: Some("topic"),
            build_id: "812",
            build_url: Some("https://gitea.example/team/app/actions/runs/44"),
            cause: Some("pull_request"),
            build_tag: "gitea-actions-team-app-44",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("FORGEJO_ACTIONS", "true"),
            ("GITHUB_SHA", "SHA"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_RUN_ID", "3001"),
            ("GITHUB_RUN_NUMBER", "8"),
            ("GITHUB_SERVER_URL", "https://codeberg.org"),
            ("GITHUB_REPOSITORY", "me/app"),
            ("GITHUB_EVENT_NAME", "schedule"),
        ],
        expect: Expect {
            system: "forgejo-actions",
            branch: Some("main"),
            build_id: "3001",
            build_url: Some("https://codeberg.org/me/app/actions/runs/8"),
            cause: Some("schedule"),
            build_tag: "forgejo-actions-me-app-8",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", "SHA"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_COMMIT_REF_NAME", "main"),
            ("CI_PIPELINE_ID", "123456"),
            ("CI_PIPELINE_IID", "77"),
            (
                "CI_PIPELINE_URL",
                "https://gitlab.example/group/app/-/pipelines/123456",
            ),
            ("CI_PIPELINE_SOURCE", "web"),
            ("CI_PROJECT_PATH", "group/app"),
            ("CI_JOB_TOKEN", "glcbt-MUST-NOT-LEAK"),
        ],
        expect: Expect {
            system: "gitlab-ci",
            branch: Some("main"),
            build_id: "123456",
            build_url: Some("https://gitlab.example/group/app/-/pipelines/123456"),
            cause: Some("web"),
            build_tag: "gitlab-ci-group-app-77",
        },
    },
    Case {
        env: &[
            ("CI", "woodpecker"),
            ("DRONE", "true"),
            ("DRONE_BUILD_NUMBER", "999"),
            ("CI_COMMIT_SHA", "SHA"),
            ("CI_COMMIT_BRANCH", "dev"),
            ("CI_PIPELINE_NUMBER", "31"),
            ("CI_PIPELINE_URL", "https://ci.example/repos/4/pipeline/31"),
            ("CI_PIPELINE_EVENT", "cron"),
            ("CI_REPO", "team/app"),
        ],
        expect: Expect {
            system: "woodpecker",
            branch: Some("dev"),
            build_id: "31",
            build_url: Some("https://ci.example/repos/4/pipeline/31"),
            cause: Some("cron"),
            build_tag: "woodpecker-team-app-31",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("DRONE", "true"),
            ("DRONE_COMMIT_SHA", "SHA"),
            ("DRONE_BRANCH", "main"),
            ("DRONE_SOURCE_BRANCH", "feature/y"),
            ("DRONE_BUILD_NUMBER", "5"),
            ("DRONE_BUILD_LINK", "https://drone.example/team/app/5"),
            ("DRONE_BUILD_EVENT", "pull_request"),
            ("DRONE_REPO", "team/app"),
        ],
        expect: Expect {
            system: "drone",
            branch: Some("feature/y"),
            build_id: "5",
            build_url: Some("https://drone.example/team/app/5"),
            cause: Some("pull_request"),
            build_tag: "drone-team-app-5",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("CIRCLECI", "true"),
            ("CIRCLE_SHA1", "SHA"),
            ("CIRCLE_BRANCH", "main"),
            ("CIRCLE_BUILD_NUM", "1201"),
            ("CIRCLE_BUILD_URL", "https://circleci.com/gh/team/app/1201"),
            ("CIRCLE_PROJECT_REPONAME", "app"),
            ("CIRCLE_PULL_REQUEST", "https://github.com/team/app/pull/3"),
        ],
        expect: Expect {
            system: "circleci",
            branch: Some("main"),
            build_id: "1201",
            build_url: Some("https://circleci.com/gh/team/app/1201"),
            cause: Some("pull_request"),
            build_tag: "circleci-app-1201",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("BUILDKITE", "true"),
            ("BUILDKITE_COMMIT", "HEAD"),
            ("BUILDKITE_BRANCH", "main"),
            ("BUILDKITE_BUILD_NUMBER", "64"),
            (
                "BUILDKITE_BUILD_URL",
                "https://buildkite.com/team/app/builds/64",
            ),
            ("BUILDKITE_SOURCE", "ui"),
            ("BUILDKITE_PIPELINE_SLUG", "app"),
        ],
        expect: Expect {
            system: "buildkite",
            branch: Some("main"),
            build_id: "64",
            build_url: Some("https://buildkite.com/team/app/builds/64"),
            cause: Some("ui"),
            build_tag: "buildkite-app-64",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("TRAVIS", "true"),
            ("TRAVIS_COMMIT", "SHA"),
            ("TRAVIS_BRANCH", "main"),
            ("TRAVIS_PULL_REQUEST_BRANCH", ""),
            ("TRAVIS_BUILD_NUMBER", "88"),
            (
                "TRAVIS_BUILD_WEB_URL",
                "https://app.travis-ci.com/team/app/builds/88",
            ),
            ("TRAVIS_EVENT_TYPE", "api"),
            ("TRAVIS_REPO_SLUG", "team/app"),
        ],
        expect: Expect {
            system: "travis",
            branch: Some("main"),
            build_id: "88",
            build_url: Some("https://app.travis-ci.com/team/app/builds/88"),
            cause: Some("api"),
            build_tag: "travis-team-app-88",
        },
    },
    Case {
        env: &[
            ("TF_BUILD", "True"),
            ("BUILD_SOURCEVERSION", "SHA"),
            ("BUILD_SOURCEBRANCH", "refs/heads/main"),
            ("BUILD_BUILDID", "4321"),
            ("BUILD_BUILDNUMBER", "20250101.3"),
            ("BUILD_DEFINITIONNAME", "app ci"),
            ("BUILD_REASON", "IndividualCI"),
            ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/org/"),
            ("SYSTEM_TEAMPROJECTID", "0f1e2d3c"),
        ],
        expect: Expect {
            system: "azure-pipelines",
            branch: Some("main"),
            build_id: "4321",
            build_url: Some("https://dev.azure.com/org/0f1e2d3c/_build/results?buildId=4321"),
            cause: Some("IndividualCI"),
            build_tag: "azure-pipelines-app-ci-20250101.3",
        },
    },
    Case {
        env: &[
            ("CI", "true"),
            ("BITBUCKET_BUILD_NUMBER", "12"),
            ("BITBUCKET_COMMIT", "SHA"),
            ("BITBUCKET_BRANCH", "main"),
            ("BITBUCKET_REPO_SLUG", "app"),
            ("BITBUCKET_GIT_HTTP_ORIGIN", "http://bitbucket.org/team/app"),
        ],
        expect: Expect {
            system: "bitbucket-pipelines",
            branch: Some("main"),
            build_id: "12",
            build_url: Some("http://bitbucket.org/team/app/addon/pipelines/home#!/results/12"),
            cause: None,
            build_tag: "bitbucket-pipelines-app-12",
        },
    },
    Case {
        env: &[
            ("TEAMCITY_VERSION", "2024.12"),
            ("BUILD_VCS_NUMBER", "SHA"),
            ("BUILD_NUMBER", "301"),
            ("TEAMCITY_BUILDCONF_NAME", "Build"),
        ],
        expect: Expect {
            system: "teamcity",
            // No branch variable: git's own branch is used.
            branch: Some("main"),
            build_id: "301",
            build_url: None,
            cause: None,
            build_tag: "teamcity-Build-301",
        },
    },
];

fn env_with_head(case: &Case, head: &str) -> Vec<(&'static str, String)> {
    case.env
        .iter()
        .map(|&(k, v)| {
            (
                k,
                if v == "SHA" {
                    head.to_owned()
                } else {
                    v.to_owned()
                },
            )
        })
        .collect()
}

#[test]
fn each_ci_system_fills_the_build_fields() {
    let repo = Repo::new();
    let head = repo.head();
    // CI checkouts are detached; the branch must come from CI variables.
    repo.git(&["checkout", "-q", "--detach"]);
    for case in CASES {
        let e = &case.expect;
        let owned = env_with_head(case, &head);
        let env: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let run = stamp(repo.path(), &["--project", "demo"], &env);
        let record = run.json();
        let check = |name: &str, want: Value| {
            if field(&record, name) != &want {
                run.explain(&format!("{}: field {name} should be {want}", e.system));
            }
        };
        check("ci", json!(true));
        check("ci_system", json!(e.system));
        check("gitref", json!(head));
        check("build_id", json!(e.build_id));
        check("build_url", json!(e.build_url));
        check("build_cause", json!(e.cause));
        check("build_tag", json!(e.build_tag));
        if e.system != "teamcity" {
            check("git_branch", json!(e.branch));
        }
        if run.stdout().contains("MUST-NOT-LEAK") {
            run.explain("an unrelated CI variable reached the record");
        }
        if run.stderr().contains("warning") {
            run.explain("the CI system's commit is HEAD: no warning expected");
        }
    }
}

#[test]
fn teamcity_without_a_branch_variable_keeps_the_local_branch() {
    let repo = Repo::new();
    let record = stamp(
        repo.path(),
        &["--project", "demo"],
        &[("TEAMCITY_VERSION", "2024.12"), ("BUILD_NUMBER", "1")],
    )
    .json();
    assert_eq!(record["ci_system"], json!("teamcity"));
    assert_eq!(record["git_branch"], json!("main"));
}

#[test]
fn gitea_and_forgejo_are_not_mistaken_for_github() {
    let repo = Repo::new();
    for (marker, system) in [
        ("GITEA_ACTIONS", "gitea-actions"),
        ("FORGEJO_ACTIONS", "forgejo-actions"),
    ] {
        let env = [("GITHUB_ACTIONS", "true"), (marker, "true")];
        let record = stamp(repo.path(), &["--project", "demo"], &env).json();
        assert_eq!(record["ci_system"], json!(system), "{marker}");
    }
}

#[test]
fn ci_branch_refs_are_normalised() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "--detach"]);
    for (env, branch) in [
        (
            vec![("JENKINS_URL", "x"), ("GIT_BRANCH", "origin/main")],
            Some("main"),
        ),
        (
            vec![("JENKINS_URL", "x"), ("GIT_BRANCH", "refs/heads/feature/z")],
            Some("feature/z"),
        ),
        (
            vec![
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_REF", "refs/heads/main"),
            ],
            Some("main"),
        ),
        (
            vec![
                ("TF_BUILD", "True"),
                ("BUILD_SOURCEBRANCH", "refs/heads/rel/1"),
            ],
            Some("rel/1"),
        ),
        (
            vec![("TF_BUILD", "True"), ("BUILD_SOURCEBRANCH", "refs/tags/v1")],
            None,
        ),
    ] {
        let run = stamp(repo.path(), &["--project", "demo"], &env);
        let record = run.json();
        if field(&record, "git_branch") != &json!(branch) {
            run.explain(&format!("git_branch should be {branch:?}"));
        }
    }
}

#[test]
fn a_ci_tag_build_records_the_tag_even_when_the_clone_has_no_tags() {
    let repo = Repo::new();
    repo.git(&["checkout", "-q", "--detach"]);
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_COMMIT_TAG", "v2.0.0"),
        ("CI_COMMIT_REF_NAME", "v2.0.0"),
    ];
    let args = ["--project", "demo"];
    let record = stamp(repo.path(), &args, &env).json();
    assert_eq!(record["git_tags"], json!(["v2.0.0"]));
    assert_eq!(record["git_describe"], json!("v2.0.0"));
    assert_eq!(field(&record, "git_branch"), &Value::Null, "{record}");
    let labels = stamp(
        repo.path(),
        &["--project", "demo", "--format", "labels"],
        &env,
    )
    .ok();
    assert!(
        labels.contains("--label=org.opencontainers.image.version=v2.0.0\n"),
        "{labels}"
    );
}

#[test]
fn outside_ci_the_record_says_so() {
    let repo = Repo::new();
    let record = stamp(repo.path(), &["--project", "demo"], &[("CI", "true")]).json();
    assert_eq!(record["ci"], json!(false));
    for name in [
        "ci_system",
        "build_id",
        "build_url",
        "build_cause",
        "build_tag",
    ] {
        assert_eq!(field(&record, name), &Value::Null, "{name}: {record}");
    }
}

#[test]
fn a_ci_commit_other_than_head_is_warned_about() {
    let repo = Repo::new();
    let other = "0123456789abcdef0123456789abcdef01234567";
    let run = stamp(
        repo.path(),
        &["--project", "demo"],
        &[("GITHUB_ACTIONS", "true"), ("GITHUB_SHA", other)],
    );
    let record = run.json();
    assert_eq!(
        record["gitref"],
        json!(repo.head()),
        "the record names HEAD"
    );
    if !run.stderr().contains(other) {
        run.explain("expected a warning naming the CI commit");
    }
}
