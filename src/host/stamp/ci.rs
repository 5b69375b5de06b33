//! Which CI system is running this build, and what it says about it.
//!
//! The systems and their variables are a table in [`super::ci_vendors`];
//! this module only evaluates a row against an [`Env`]. It reads no git
//! state and decides nothing about the record: [`super`] decides how CI
//! facts and git facts combine. It never copies a variable it was not
//! asked for, so tokens in the environment cannot reach a record.

use super::ci_vendors::VENDORS;
use super::source_url;
use crate::host::env::Env;

/// How a CI system is recognised.
#[derive(Debug, Clone, Copy)]
pub enum Detect {
    /// One of these variables is set and not blank.
    AnySet(&'static [&'static str]),
    /// This variable has this value (ignoring ASCII case).
    Equals(&'static str, &'static str),
}

/// Where one fact comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The system does not provide it.
    None,
    /// One variable's value.
    Var(&'static str),
    /// The first of these sources that yields a value.
    First(&'static [Source]),
    /// The variable's value minus `prefix`, only when it starts with it.
    Strip {
        var: &'static str,
        prefix: &'static str,
    },
    /// `${NAME}` placeholders filled from the environment; nothing when
    /// any of them is unset.
    Template(&'static str),
    /// `value` when `var` is set.
    IfSet {
        var: &'static str,
        value: &'static str,
    },
}

/// One CI system: how to recognise it and where each fact is.
#[derive(Debug, Clone, Copy)]
pub struct Vendor {
    /// The record's `ci_system` value.
    pub system: &'static str,
    pub detect: Detect,
    pub sha: Source,
    pub branch: Source,
    pub tag: Source,
    pub build_id: Source,
    pub build_url: Source,
    pub cause: Source,
    pub build_tag: Source,
}

/// What the CI system says about this build. Every value is single-line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiFacts {
    pub system: &'static str,
    pub sha: Option<String>,
    /// Normalised: no `refs/heads/` or `origin/`; never a tag or a
    /// pull request ref.
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub build_id: Option<String>,
    /// With any credentials removed.
    pub build_url: Option<String>,
    pub cause: Option<String>,
    /// Safe as a file or image tag component: `[A-Za-z0-9._-]` only.
    pub build_tag: Option<String>,
}

/// The CI system this environment belongs to, if any.
pub fn detect(env: &Env) -> Option<CiFacts> {
    VENDORS
        .iter()
        .find(|vendor| vendor.detect.matches(env))
        .map(|vendor| vendor.facts(env))
}

impl Detect {
    fn matches(self, env: &Env) -> bool {
        match self {
            Detect::AnySet(vars) => vars.iter().any(|var| env.get(var).is_some()),
            Detect::Equals(var, value) => env.is(var, value),
        }
    }
}

impl Vendor {
    /// Reads this row's facts from `env`.
    pub fn facts(&self, env: &Env) -> CiFacts {
        let tag = self.tag.resolve(env);
        let branch = self
            .branch
            .resolve(env)
            .and_then(|b| normalize_branch(&b))
            // Tag builds report the tag where the branch goes
            // (Jenkins BRANCH_NAME, Travis TRAVIS_BRANCH): not a branch.
            .filter(|b| Some(b) != tag.as_ref());
        CiFacts {
            system: self.system,
            sha: self.sha.resolve(env),
            branch,
            tag,
            build_id: self.build_id.resolve(env),
            build_url: self
                .build_url
                .resolve(env)
                .and_then(|url| source_url::without_credentials(&url)),
            cause: self.cause.resolve(env),
            build_tag: self.build_tag.resolve(env).map(|t| slug(&t)),
        }
    }
}

impl Source {
    /// The value this source yields in `env`. Values with control
    /// characters are treated as unset: they could not be written on one
    /// line of label output, and no CI system sets them.
    pub fn resolve(self, env: &Env) -> Option<String> {
        let value = match self {
            Source::None => None,
            Source::Var(var) => env.get(var).map(str::to_owned),
            Source::First(sources) => sources.iter().find_map(|s| s.resolve(env)),
            Source::Strip { var, prefix } => env
                .get(var)
                .and_then(|v| v.strip_prefix(prefix))
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            Source::Template(template) => fill_template(template, env),
            Source::IfSet { var, value } => env.get(var).map(|_| value.to_owned()),
        };
        value.filter(|v| !v.chars().any(char::is_control))
    }

    /// Every variable this source reads, for documentation and tests.
    pub fn vars(self) -> Vec<&'static str> {
        match self {
            Source::None => Vec::new(),
            Source::Var(var) | Source::Strip { var, .. } | Source::IfSet { var, .. } => vec![var],
            Source::First(sources) => sources.iter().flat_map(|s| s.vars()).collect(),
            Source::Template(template) => placeholders(template).collect(),
        }
    }
}

/// Strips `refs/heads/`, `refs/remotes/origin/` and `origin/`; refuses
/// other refs (`refs/tags/...`, `refs/pull/.../merge`), which name no branch.
pub fn normalize_branch(raw: &str) -> Option<String> {
    let name = raw.trim();
    let name = if let Some(rest) = name.strip_prefix("refs/heads/") {
        rest
    } else if let Some(rest) = name.strip_prefix("refs/remotes/") {
        rest.split_once('/').map_or(rest, |(_, branch)| branch)
    } else if name.starts_with("refs/") {
        return None;
    } else {
        name
    };
    let name = name.strip_prefix("origin/").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_owned())
}

/// Replaces every character outside `[A-Za-z0-9._-]` with `-`, as Jenkins
/// does for the slashes of a job name in BUILD_TAG.
fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn fill_template(template: &str, env: &Env) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        out.push_str(env.get(&after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn placeholders(template: &'static str) -> impl Iterator<Item = &'static str> {
    template
        .split("${")
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().copied().collect()
    }

    #[test]
    fn no_ci_variables_means_no_ci() {
        assert_eq!(detect(&env(&[("HOME", "/root"), ("CI", "true")])), None);
    }

    #[test]
    fn every_vendor_has_a_unique_system_name_and_reads_a_sha_and_build_id() {
        let mut seen = std::collections::BTreeSet::new();
        for vendor in VENDORS {
            assert!(seen.insert(vendor.system), "{} twice", vendor.system);
            assert!(!vendor.sha.vars().is_empty(), "{}: no sha", vendor.system);
            assert!(
                !vendor.build_id.vars().is_empty(),
                "{}: no build id",
                vendor.system
            );
            assert!(
                !vendor.build_tag.vars().is_empty(),
                "{}: no build tag",
                vendor.system
            );
        }
    }

    #[test]
    fn each_vendor_is_detected_by_its_own_variables() {
        for vendor in VENDORS {
            let marker: Vec<(&str, &str)> = match vendor.detect {
                Detect::AnySet(vars) => vec![(vars[0], "1")],
                Detect::Equals(var, value) => vec![(var, value)],
            };
            let detected = detect(&env(&marker)).map(|f| f.system);
            assert_eq!(detected, Some(vendor.system), "marker {marker:?}");
        }
    }

    #[test]
    fn gitea_and_forgejo_win_over_github() {
        let gitea = env(&[("GITHUB_ACTIONS", "true"), ("GITEA_ACTIONS", "true")]);
        assert_eq!(detect(&gitea).map(|f| f.system), Some("gitea-actions"));
        let forgejo = env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITEA_ACTIONS", "true"),
            ("FORGEJO_ACTIONS", "true"),
        ]);
        assert_eq!(detect(&forgejo).map(|f| f.system), Some("forgejo-actions"));
        let github = env(&[("GITHUB_ACTIONS", "true"), ("GITEA_ACTIONS", "")]);
        assert_eq!(detect(&github).map(|f| f.system), Some("github-actions"));
    }

    #[test]
    fn woodpecker_wins_over_drone_compat_variables() {
        let e = env(&[("CI", "woodpecker"), ("DRONE", "true")]);
        assert_eq!(detect(&e).map(|f| f.system), Some("woodpecker"));
    }

    #[test]
    fn branches_are_normalised() {
        assert_eq!(normalize_branch("refs/heads/main").as_deref(), Some("main"));
        assert_eq!(normalize_branch("origin/main").as_deref(), Some("main"));
        assert_eq!(
            normalize_branch("refs/heads/feature/x").as_deref(),
            Some("feature/x")
        );
        assert_eq!(
            normalize_branch("refs/remotes/origin/dev").as_deref(),
            Some("dev")
        );
        assert_eq!(normalize_branch("refs/tags/v1"), None);
        assert_eq!(normalize_branch("refs/pull/7/merge"), None);
        assert_eq!(normalize_branch("origin/"), None);
    }

    #[test]
    fn github_tag_build_has_a_tag_and_no_branch() {
        let facts = detect(&env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF", "refs/tags/v1.2.0"),
            ("GITHUB_HEAD_REF", ""),
        ]))
        .unwrap();
        assert_eq!(facts.tag.as_deref(), Some("v1.2.0"));
        assert_eq!(facts.branch, None);
    }

    #[test]
    fn a_branch_equal_to_the_tag_is_dropped() {
        let facts = detect(&env(&[
            ("TRAVIS", "true"),
            ("TRAVIS_BRANCH", "v2"),
            ("TRAVIS_TAG", "v2"),
        ]))
        .unwrap();
        assert_eq!(facts.branch, None);
        assert_eq!(facts.tag.as_deref(), Some("v2"));
    }

    #[test]
    fn templates_need_every_placeholder() {
        let e = env(&[("A", "x"), ("B", "y")]);
        assert_eq!(fill_template("${A}-${B}", &e).as_deref(), Some("x-y"));
        assert_eq!(fill_template("${A}-${C}", &e), None);
        assert_eq!(fill_template("${A", &e), None);
        assert_eq!(
            placeholders("a${X}b${Y}").collect::<Vec<_>>(),
            vec!["X", "Y"]
        );
    }

    #[test]
    fn build_tags_are_slugged_and_urls_lose_credentials() {
        let facts = detect(&env(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "group/sub group/app"),
            ("CI_PIPELINE_IID", "7"),
            (
                "CI_PIPELINE_URL",
                "https://gitlab-ci-token:s3cret@gitlab.example/g/app/-/pipelines/9",
            ),
        ]))
        .unwrap();
        assert_eq!(
            facts.build_tag.as_deref(),
            Some("gitlab-ci-group-sub-group-app-7")
        );
        assert_eq!(
            facts.build_url.as_deref(),
            Some("https://gitlab.example/g/app/-/pipelines/9")
        );
    }

    #[test]
    fn values_with_control_characters_are_ignored() {
        let facts = detect(&env(&[("DRONE", "true"), ("DRONE_BRANCH", "main\nx")])).unwrap();
        assert_eq!(facts.branch, None);
    }
}
