//! A record's source URL and git ref as a link to the commit's page,
//! when the URL is a forge whose commit pages we know the form of:
//! GitHub (`/commit/REF`), GitLab (`/-/commit/REF`), Gitea, Forgejo and
//! Codeberg (`/commit/REF`). Anything else gets no link.
//!
//! The URL comes from a record, so it is untrusted: it is first brought
//! to its web form by the fleet's own normaliser (any git URL form;
//! user information never kept), then parsed, and only `https` or
//! `http` with a known host form and a ref of 7 to 64 hex digits makes a
//! link. The page puts it in a quoted `href`, escaped by maud.

use crate::host::fleet::select::normalise_url;

/// The forge a source URL's host belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forge {
    GitHub,
    GitLab,
    /// Gitea, Forgejo and Codeberg share the form.
    Gitea,
}

fn forge_of(host: &str) -> Option<Forge> {
    let host = host.to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let has = |word: &str| labels.iter().any(|l| *l == word || l.starts_with(word));
    if host == "github.com" || host.ends_with(".github.com") || has("github") {
        Some(Forge::GitHub)
    } else if host == "gitlab.com" || has("gitlab") {
        Some(Forge::GitLab)
    } else if host == "codeberg.org" || has("gitea") || has("forgejo") || has("codeberg") {
        Some(Forge::Gitea)
    } else {
        None
    }
}

/// The commit page of `gitref` in the repository at `source_url`.
pub fn commit_url(source_url: &str, gitref: &str) -> Option<String> {
    let hex = (7..=64).contains(&gitref.len()) && gitref.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return None;
    }
    let web = normalise_url(source_url);
    let mut url = url::Url::parse(&web).ok()?;
    if !matches!(url.scheme(), "https" | "http") || !url.username().is_empty() {
        return None;
    }
    let forge = forge_of(url.host_str()?)?;
    let path = url.path().trim_end_matches('/').trim_end_matches(".git");
    // owner/repository at least (GitLab allows subgroups).
    if path.split('/').filter(|s| !s.is_empty()).count() < 2 {
        return None;
    }
    let page = match forge {
        Forge::GitLab => format!("{path}/-/commit/{gitref}"),
        Forge::GitHub | Forge::Gitea => format!("{path}/commit/{gitref}"),
    };
    url.set_path(&page);
    url.set_query(None);
    url.set_fragment(None);
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn known_forges_link_to_their_commit_pages_in_any_url_form() {
        assert_eq!(
            commit_url("git@github.com:acme/shop.git", SHA).as_deref(),
            Some(format!("https://github.com/acme/shop/commit/{SHA}").as_str())
        );
        assert_eq!(
            commit_url("https://gitlab.com/acme/group/shop.git", SHA).as_deref(),
            Some(format!("https://gitlab.com/acme/group/shop/-/commit/{SHA}").as_str())
        );
        assert_eq!(
            commit_url("https://codeberg.org/acme/shop", SHA).as_deref(),
            Some(format!("https://codeberg.org/acme/shop/commit/{SHA}").as_str())
        );
        assert_eq!(
            commit_url("https://gitea.example.org/acme/shop", SHA).as_deref(),
            Some(format!("https://gitea.example.org/acme/shop/commit/{SHA}").as_str())
        );
    }

    #[test]
    fn unknown_hosts_bad_refs_and_other_schemes_get_no_link() {
        assert_eq!(commit_url("https://example.org/acme/shop", SHA), None);
        assert_eq!(commit_url("https://github.com/acme/shop", "main"), None);
        assert_eq!(
            commit_url("https://github.com/acme/shop", "\"><script>"),
            None
        );
        assert_eq!(commit_url("javascript:alert(1)//github.com/a/b", SHA), None);
        assert_eq!(commit_url("https://github.com/", SHA), None);
    }
}
