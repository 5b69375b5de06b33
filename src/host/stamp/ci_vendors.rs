//! The CI systems `waybill stamp` recognises, as data: one row per system,
//! naming the environment variables it sets.
//!
//! Rows are tried in order and the first whose detection matches wins, so
//! systems that imitate another come before it: Forgejo and Gitea Actions
//! set `GITHUB_ACTIONS=true` too, Woodpecker sets `CI_COMMIT_*` names that
//! GitLab also uses. This module holds no logic; [`super::ci`] evaluates
//! the rows. docs/ci-matrix.md is the same table for readers: keep them
//! equal. Variable names were checked against each vendor's documentation.

use super::ci::{Detect, Source, Vendor};
use Source::{First, IfSet, Strip, Template, Var};

/// Every recognised CI system, in detection order.
pub const VENDORS: &[Vendor] = &[
    // https://www.jenkins.io/doc/book/pipeline/jenkins-file/#using-environment-variables
    // BUILD_CAUSE comes from the EnvInject plugin (TIMERTRIGGER, SCMTRIGGER,
    // MANUALTRIGGER, UPSTREAMTRIGGER, ...). CHANGE_BRANCH is a multibranch
    // pull request's source branch, where BRANCH_NAME is `PR-12`.
    Vendor {
        system: "jenkins",
        detect: Detect::AnySet(&["JENKINS_URL", "JENKINS_HOME"]),
        sha: Var("GIT_COMMIT"),
        branch: First(&[
            Var("CHANGE_BRANCH"),
            Var("BRANCH_NAME"),
            Var("GIT_LOCAL_BRANCH"),
            Var("GIT_BRANCH"),
        ]),
        tag: Var("TAG_NAME"),
        build_id: Var("BUILD_NUMBER"),
        build_url: Var("BUILD_URL"),
        cause: Var("BUILD_CAUSE"),
        build_tag: Var("BUILD_TAG"),
    },
    // https://forgejo.org/docs/latest/user/actions/reference/ — Forgejo
    // mirrors the GITHUB_* variables. Its run pages are numbered by the
    // repository's run number, not GITHUB_RUN_ID.
    Vendor {
        system: "forgejo-actions",
        detect: Detect::Equals("FORGEJO_ACTIONS", "true"),
        sha: Var("GITHUB_SHA"),
        branch: First(&[Var("GITHUB_HEAD_REF"), Var("GITHUB_REF")]),
        tag: Strip {
            var: "GITHUB_REF",
            prefix: "refs/tags/",
        },
        build_id: Var("GITHUB_RUN_ID"),
        build_url: Template(
            "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_NUMBER}",
        ),
        cause: Var("GITHUB_EVENT_NAME"),
        build_tag: Template("forgejo-actions-${GITHUB_REPOSITORY}-${GITHUB_RUN_NUMBER}"),
    },
    // https://docs.gitea.com/usage/actions/comparison — GitHub-compatible
    // variables plus GITEA_ACTIONS=true. Gitea's run pages accept the run
    // number (go-gitea/gitea#28621).
    Vendor {
        system: "gitea-actions",
        detect: Detect::Equals("GITEA_ACTIONS", "true"),
        sha: Var("GITHUB_SHA"),
        branch: First(&[Var("GITHUB_HEAD_REF"), Var("GITHUB_REF")]),
        tag: Strip {
            var: "GITHUB_REF",
            prefix: "refs/tags/",
        },
        build_id: Var("GITHUB_RUN_ID"),
        build_url: Template(
            "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_NUMBER}",
        ),
        cause: Var("GITHUB_EVENT_NAME"),
        build_tag: Template("gitea-actions-${GITHUB_REPOSITORY}-${GITHUB_RUN_NUMBER}"),
    },
    // https://docs.github.com/en/actions/reference/variables-reference
    // GITHUB_HEAD_REF is set (non-empty) only for pull requests.
    Vendor {
        system: "github-actions",
        detect: Detect::Equals("GITHUB_ACTIONS", "true"),
        sha: Var("GITHUB_SHA"),
        branch: First(&[Var("GITHUB_HEAD_REF"), Var("GITHUB_REF")]),
        tag: Strip {
            var: "GITHUB_REF",
            prefix: "refs/tags/",
        },
        build_id: Var("GITHUB_RUN_ID"),
        build_url: Template(
            "${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}",
        ),
        cause: Var("GITHUB_EVENT_NAME"),
        build_tag: Template("github-actions-${GITHUB_REPOSITORY}-${GITHUB_RUN_NUMBER}"),
    },
    // https://docs.gitlab.com/ci/variables/predefined_variables/
    // CI_COMMIT_BRANCH is unset in merge request and tag pipelines.
    Vendor {
        system: "gitlab-ci",
        detect: Detect::Equals("GITLAB_CI", "true"),
        sha: Var("CI_COMMIT_SHA"),
        branch: First(&[
            Var("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
            Var("CI_COMMIT_BRANCH"),
            Var("CI_COMMIT_REF_NAME"),
        ]),
        tag: Var("CI_COMMIT_TAG"),
        build_id: Var("CI_PIPELINE_ID"),
        build_url: Var("CI_PIPELINE_URL"),
        cause: Var("CI_PIPELINE_SOURCE"),
        build_tag: Template("gitlab-ci-${CI_PROJECT_PATH}-${CI_PIPELINE_IID}"),
    },
    // https://woodpecker-ci.org/docs/usage/environment — CI=woodpecker
    // since 1.0. Before 1.0 Woodpecker set CI=drone and DRONE_* variables,
    // and is read as Drone (the values are the same facts).
    Vendor {
        system: "woodpecker",
        detect: Detect::Equals("CI", "woodpecker"),
        sha: Var("CI_COMMIT_SHA"),
        branch: First(&[Var("CI_COMMIT_SOURCE_BRANCH"), Var("CI_COMMIT_BRANCH")]),
        tag: Var("CI_COMMIT_TAG"),
        build_id: Var("CI_PIPELINE_NUMBER"),
        build_url: Var("CI_PIPELINE_URL"),
        cause: Var("CI_PIPELINE_EVENT"),
        build_tag: Template("woodpecker-${CI_REPO}-${CI_PIPELINE_NUMBER}"),
    },
    // https://docs.drone.io/pipeline/environment/reference/
    Vendor {
        system: "drone",
        detect: Detect::Equals("DRONE", "true"),
        sha: Var("DRONE_COMMIT_SHA"),
        branch: First(&[Var("DRONE_SOURCE_BRANCH"), Var("DRONE_BRANCH")]),
        tag: Var("DRONE_TAG"),
        build_id: Var("DRONE_BUILD_NUMBER"),
        build_url: Var("DRONE_BUILD_LINK"),
        cause: Var("DRONE_BUILD_EVENT"),
        build_tag: Template("drone-${DRONE_REPO}-${DRONE_BUILD_NUMBER}"),
    },
    // https://circleci.com/docs/reference/variables/ — no trigger variable;
    // the cause is derived from the tag and pull request variables.
    Vendor {
        system: "circleci",
        detect: Detect::Equals("CIRCLECI", "true"),
        sha: Var("CIRCLE_SHA1"),
        branch: Var("CIRCLE_BRANCH"),
        tag: Var("CIRCLE_TAG"),
        build_id: Var("CIRCLE_BUILD_NUM"),
        build_url: Var("CIRCLE_BUILD_URL"),
        cause: First(&[
            IfSet {
                var: "CIRCLE_TAG",
                value: "tag",
            },
            IfSet {
                var: "CIRCLE_PULL_REQUEST",
                value: "pull_request",
            },
        ]),
        build_tag: Template("circleci-${CIRCLE_PROJECT_REPONAME}-${CIRCLE_BUILD_NUM}"),
    },
    // https://buildkite.com/docs/pipelines/configure/environment-variables
    // BUILDKITE_BRANCH is the pull request's own branch in PR builds.
    Vendor {
        system: "buildkite",
        detect: Detect::Equals("BUILDKITE", "true"),
        sha: Var("BUILDKITE_COMMIT"),
        branch: Var("BUILDKITE_BRANCH"),
        tag: Var("BUILDKITE_TAG"),
        build_id: Var("BUILDKITE_BUILD_NUMBER"),
        build_url: Var("BUILDKITE_BUILD_URL"),
        cause: Var("BUILDKITE_SOURCE"),
        build_tag: Template("buildkite-${BUILDKITE_PIPELINE_SLUG}-${BUILDKITE_BUILD_NUMBER}"),
    },
    // https://docs.travis-ci.com/user/environment-variables/
    Vendor {
        system: "travis",
        detect: Detect::Equals("TRAVIS", "true"),
        sha: Var("TRAVIS_COMMIT"),
        branch: First(&[Var("TRAVIS_PULL_REQUEST_BRANCH"), Var("TRAVIS_BRANCH")]),
        tag: Var("TRAVIS_TAG"),
        build_id: Var("TRAVIS_BUILD_NUMBER"),
        build_url: Var("TRAVIS_BUILD_WEB_URL"),
        cause: Var("TRAVIS_EVENT_TYPE"),
        build_tag: Template("travis-${TRAVIS_REPO_SLUG}-${TRAVIS_BUILD_NUMBER}"),
    },
    // https://learn.microsoft.com/azure/devops/pipelines/build/variables
    // TF_BUILD is `True`; detection ignores case. The project ID rather
    // than its name goes into the URL, as names may contain spaces.
    Vendor {
        system: "azure-pipelines",
        detect: Detect::Equals("TF_BUILD", "true"),
        sha: Var("BUILD_SOURCEVERSION"),
        branch: First(&[
            Var("SYSTEM_PULLREQUEST_SOURCEBRANCH"),
            Var("BUILD_SOURCEBRANCH"),
        ]),
        tag: Strip {
            var: "BUILD_SOURCEBRANCH",
            prefix: "refs/tags/",
        },
        build_id: Var("BUILD_BUILDID"),
        build_url: Template(
            "${SYSTEM_COLLECTIONURI}${SYSTEM_TEAMPROJECTID}/_build/results?buildId=${BUILD_BUILDID}",
        ),
        cause: Var("BUILD_REASON"),
        build_tag: Template("azure-pipelines-${BUILD_DEFINITIONNAME}-${BUILD_BUILDNUMBER}"),
    },
    // https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/
    // No trigger variable; the cause is derived as for CircleCI.
    Vendor {
        system: "bitbucket-pipelines",
        detect: Detect::AnySet(&["BITBUCKET_BUILD_NUMBER"]),
        sha: Var("BITBUCKET_COMMIT"),
        branch: Var("BITBUCKET_BRANCH"),
        tag: Var("BITBUCKET_TAG"),
        build_id: Var("BITBUCKET_BUILD_NUMBER"),
        build_url: Template(
            "${BITBUCKET_GIT_HTTP_ORIGIN}/addon/pipelines/home#!/results/${BITBUCKET_BUILD_NUMBER}",
        ),
        cause: First(&[
            IfSet {
                var: "BITBUCKET_TAG",
                value: "tag",
            },
            IfSet {
                var: "BITBUCKET_PR_ID",
                value: "pull_request",
            },
        ]),
        build_tag: Template("bitbucket-pipelines-${BITBUCKET_REPO_SLUG}-${BITBUCKET_BUILD_NUMBER}"),
    },
    // https://www.jetbrains.com/help/teamcity/predefined-build-parameters.html
    // TeamCity exports no branch, URL or trigger variable by default;
    // BRANCH_NAME is read when the build configuration sets it
    // (env.BRANCH_NAME = %teamcity.build.branch%), otherwise git decides.
    Vendor {
        system: "teamcity",
        detect: Detect::AnySet(&["TEAMCITY_VERSION"]),
        sha: Var("BUILD_VCS_NUMBER"),
        branch: Var("BRANCH_NAME"),
        tag: Source::None,
        build_id: Var("BUILD_NUMBER"),
        build_url: Source::None,
        cause: Source::None,
        build_tag: Template("teamcity-${TEAMCITY_BUILDCONF_NAME}-${BUILD_NUMBER}"),
    },
];
