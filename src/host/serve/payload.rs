//! Reading a forge's push out of a verified request body.
//!
//! GitHub, Gitea and Forgejo share one payload shape; GitLab has its
//! own; a generic sender may use GitHub's shape or a flat
//! `{"repository": URL, "ref": …, "after": …}`. Tag pushes, branch
//! deletions (`deleted: true` or an all-zero `after`) and other events
//! (ping and the like) are [`Event::Ignored`]: acknowledged, nothing
//! runs. The fields kept are checked for shape (a revision is hex, a URL
//! has no control characters) because they travel on into an exec's
//! environment; they never reach a shell or a command line.

use super::forge::ForgeKind;
use serde_json::Value;

/// The longest URL, ref or name taken from a payload.
const MAX_FIELD: usize = 2048;

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Push(Push),
    /// Acknowledged, nothing runs; the reason is for the response and log.
    Ignored(String),
}

/// A push to a branch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Push {
    /// The repository's URLs as the payload gives them, most useful
    /// first (clone URL, web URL, ssh URL); at least one.
    pub repository_urls: Vec<String>,
    /// `owner/name` (`path_with_namespace` on GitLab), when given.
    pub full_name: Option<String>,
    /// The full ref: `refs/heads/main`.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The branch the ref names: `main`.
    pub branch: String,
    /// The revision pushed (`after`): hex.
    pub revision: String,
}

impl Push {
    /// The URL shown in job records and given to the UPDATE method.
    pub fn repository(&self) -> &str {
        &self.repository_urls[0]
    }
}

/// Why a body is not a usable push; the message names what is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the push payload lacks `{0}`")]
    Missing(&'static str),
    #[error("the push payload's `{0}` is not usable: {1}")]
    Invalid(&'static str, &'static str),
}

/// Reads the request body of a hook of kind `forge`; `event` is the
/// forge's event header, when it sent one.
pub fn parse(forge: ForgeKind, event: Option<&str>, body: &[u8]) -> Result<Event, PayloadError> {
    if let Some(event) = event {
        let is_push = matches!(event, "push" | "Push Hook");
        if !is_push {
            return Ok(Event::Ignored(format!(
                "event `{}` is not a push",
                crate::safe_text::escape(event)
            )));
        }
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(PayloadError::NotJson("expected a JSON object".into()));
    }
    let git_ref = text(&value, "ref")?.ok_or(PayloadError::Missing("ref"))?;
    let after = text(&value, "after")?.ok_or(PayloadError::Missing("after"))?;
    let (urls, full_name) = match forge {
        ForgeKind::Gitlab => repository(
            &value,
            "project",
            &["git_http_url", "web_url", "git_ssh_url"],
            "path_with_namespace",
        )?,
        _ if forge.github_shaped() || value.get("repository").is_some_and(Value::is_object) => {
            repository(
                &value,
                "repository",
                &["clone_url", "html_url", "ssh_url"],
                "full_name",
            )?
        }
        _ => {
            let url = text(&value, "repository")?.ok_or(PayloadError::Missing("repository"))?;
            (vec![url], None)
        }
    };
    for url in &urls {
        if url.chars().any(char::is_control) || url.contains(char::is_whitespace) {
            return Err(PayloadError::Invalid(
                "repository",
                "it holds spaces or control characters",
            ));
        }
    }
    if value.get("deleted").and_then(Value::as_bool) == Some(true)
        || (!after.is_empty() && after.bytes().all(|b| b == b'0'))
    {
        return Ok(Event::Ignored("the branch was deleted".into()));
    }
    if git_ref.starts_with("refs/tags/") {
        return Ok(Event::Ignored("a tag push".into()));
    }
    let Some(branch) = git_ref.strip_prefix("refs/heads/") else {
        return Ok(Event::Ignored("the ref is not a branch".into()));
    };
    if branch.is_empty() || git_ref.chars().any(|c| c.is_control() || c == ' ') {
        return Err(PayloadError::Invalid("ref", "not a branch name"));
    }
    if after.len() < 7 || after.len() > 64 || !after.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PayloadError::Invalid("after", "not a hex revision"));
    }
    Ok(Event::Push(Push {
        repository_urls: urls,
        full_name,
        branch: branch.to_owned(),
        git_ref,
        revision: after.to_ascii_lowercase(),
    }))
}

/// The repository URLs in `value[object]`, in the order of `keys`.
fn repository(
    value: &Value,
    object: &'static str,
    keys: &[&'static str],
    name_key: &'static str,
) -> Result<(Vec<String>, Option<String>), PayloadError> {
    let repo = value.get(object).ok_or(PayloadError::Missing(object))?;
    let mut urls = Vec::new();
    for key in keys {
        if let Some(url) = text(repo, key)? {
            if !url.is_empty() && !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    if urls.is_empty() {
        return Err(PayloadError::Missing(match object {
            "project" => "project.git_http_url",
            _ => "repository.clone_url",
        }));
    }
    Ok((urls, text(repo, name_key)?))
}

/// A string field; `Ok(None)` when absent or null.
fn text(value: &Value, key: &'static str) -> Result<Option<String>, PayloadError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= MAX_FIELD => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(PayloadError::Invalid(key, "too long")),
        Some(_) => Err(PayloadError::Invalid(key, "not a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    fn github(git_ref: &str, after: &str) -> Vec<u8> {
        serde_json::json!({
            "ref": git_ref, "after": after, "deleted": false,
            "repository": {"clone_url": "https://git.example/o/r.git",
                           "html_url": "https://git.example/o/r",
                           "ssh_url": "git@git.example:o/r.git", "full_name": "o/r"}
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn github_push_gives_urls_branch_and_revision() {
        let Event::Push(p) = parse(
            ForgeKind::Github,
            Some("push"),
            &github("refs/heads/main", SHA),
        )
        .unwrap() else {
            panic!("not a push")
        };
        assert_eq!(p.repository(), "https://git.example/o/r.git");
        assert_eq!(p.repository_urls.len(), 3);
        assert_eq!(p.branch, "main");
        assert_eq!(p.revision, SHA);
        assert_eq!(p.full_name.as_deref(), Some("o/r"));
    }

    #[test]
    fn tags_deletions_and_pings_are_ignored() {
        for body in [
            github("refs/tags/v1", SHA),
            github("refs/heads/main", &"0".repeat(40)),
        ] {
            assert!(matches!(
                parse(ForgeKind::Gitea, Some("push"), &body),
                Ok(Event::Ignored(_))
            ));
        }
        assert!(matches!(
            parse(ForgeKind::Github, Some("ping"), b"{}"),
            Ok(Event::Ignored(_))
        ));
        assert!(matches!(
            parse(ForgeKind::Gitlab, Some("Tag Push Hook"), b"{}"),
            Ok(Event::Ignored(_))
        ));
    }

    #[test]
    fn gitlab_push_reads_project_urls() {
        let body = serde_json::json!({
            "object_kind": "push", "ref": "refs/heads/dev", "after": SHA,
            "project": {"git_http_url": "https://gitlab.example/g/p.git",
                        "git_ssh_url": "git@gitlab.example:g/p.git",
                        "path_with_namespace": "g/p"}
        });
        let Event::Push(p) = parse(
            ForgeKind::Gitlab,
            Some("Push Hook"),
            body.to_string().as_bytes(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(p.repository(), "https://gitlab.example/g/p.git");
        assert_eq!(p.branch, "dev");
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            parse(ForgeKind::Github, Some("push"), b"{\"after\":\"abc\"}"),
            Err(PayloadError::Missing("ref"))
        );
        assert_eq!(
            parse(
                ForgeKind::Github,
                Some("push"),
                format!("{{\"ref\":\"refs/heads/m\",\"after\":\"{SHA}\"}}").as_bytes()
            ),
            Err(PayloadError::Missing("repository"))
        );
        assert!(matches!(
            parse(ForgeKind::Github, None, b"{nope"),
            Err(PayloadError::NotJson(_))
        ));
        assert_eq!(
            parse(
                ForgeKind::Github,
                None,
                &github("refs/heads/main", "$(reboot)")
            ),
            Err(PayloadError::Invalid("after", "not a hex revision"))
        );
    }

    #[test]
    fn generic_flat_payload_is_read() {
        let body = format!("{{\"repository\":\"https://x.example/a/b\",\"ref\":\"refs/heads/main\",\"after\":\"{SHA}\"}}");
        let Event::Push(p) = parse(ForgeKind::Generic, None, body.as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(p.repository(), "https://x.example/a/b");
    }
}
