//! Git remote URLs turned into the web address of the repository, with
//! credentials always removed.
//!
//! CI systems clone with tokens in the URL
//! (`https://gitlab-ci-token:TOKEN@gitlab.example/group/app.git`); the
//! record is baked into an image anyone may pull, so user names,
//! passwords, query strings and fragments never survive. This module
//! only rewrites strings; it does not look at the repository and does not
//! check that the address exists.

use url::Url;

/// The `https://host/owner/repo` web address for a git remote URL, or
/// `None` for remotes with no web address (local paths, `file://`).
///
/// * `git@host:owner/repo.git` becomes `https://host/owner/repo`;
/// * `ssh://git@host:22/x.git` becomes `https://host/x` (the ssh port is
///   not the web port);
/// * `https://user:TOKEN@host:8443/x.git` becomes `https://host:8443/x`.
pub fn web_url(remote: &str) -> Option<String> {
    let remote = remote.trim();
    let mut url = if remote.contains("://") {
        let url = Url::parse(remote).ok()?;
        match url.scheme() {
            "http" | "https" => url,
            "ssh" | "git" | "git+ssh" | "ssh+git" => {
                let host = url.host_str()?;
                Url::parse(&format!("https://{host}{}", url.path())).ok()?
            }
            _ => return None,
        }
    } else {
        scp_like(remote)?
    };
    strip_credentials(&mut url);
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path).to_owned();
    url.set_path(&path);
    let text = url.to_string();
    Some(text.trim_end_matches('/').to_owned())
}

/// `url` with any user name and password removed; otherwise unchanged,
/// query included (build URLs need theirs). Text that is not a URL is
/// returned as it is, minus anything up to an `@` that could be
/// credentials.
pub fn without_credentials(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.has_host() => {
            strip_credentials(&mut url);
            url.to_string()
        }
        _ => text.rsplit('@').next().unwrap_or(text).to_owned(),
    }
}

fn strip_credentials(url: &mut Url) {
    // Both only fail for URLs without a host, which have no credentials.
    let _ = url.set_username("");
    let _ = url.set_password(None);
}

/// git's scp-like syntax, `[user@]host:path`: a colon before any slash.
fn scp_like(remote: &str) -> Option<Url> {
    let (before, path) = remote.split_once(':')?;
    if before.contains('/') || path.starts_with("//") {
        return None;
    }
    let host = before.rsplit('@').next()?;
    if host.is_empty() || path.is_empty() {
        return None;
    }
    let path = path.trim_start_matches('/');
    Url::parse(&format!("https://{host}/{path}")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_become_web_urls() {
        for (remote, web) in [
            (
                "git@github.com:owner/repo.git",
                "https://github.com/owner/repo",
            ),
            ("github.com:owner/repo", "https://github.com/owner/repo"),
            ("ssh://git@host:22/x", "https://host/x"),
            (
                "ssh://git@host.example:2222/g/x.git",
                "https://host.example/g/x",
            ),
            ("git://host/x.git", "https://host/x"),
            ("https://user:TOKEN@host/x.git", "https://host/x"),
            ("https://TOKEN@host/x.git/", "https://host/x"),
            (
                "https://gitlab-ci-token:glcbt-abc@gitlab.example/group/app.git",
                "https://gitlab.example/group/app",
            ),
            (
                "http://host:8080/x.git?private_token=T#frag",
                "http://host:8080/x",
            ),
        ] {
            assert_eq!(web_url(remote).as_deref(), Some(web), "{remote}");
        }
    }

    #[test]
    fn local_remotes_have_no_web_url() {
        for remote in ["/srv/git/x.git", "./x", "file:///srv/git/x.git", "x", ""] {
            assert_eq!(web_url(remote), None, "{remote}");
        }
    }

    #[test]
    fn build_urls_keep_their_query_but_lose_credentials() {
        assert_eq!(
            without_credentials("https://u:p@dev.azure.com/o/p/_build/results?buildId=5"),
            "https://dev.azure.com/o/p/_build/results?buildId=5"
        );
        assert_eq!(
            without_credentials("https://ci.example/job/x/1/"),
            "https://ci.example/job/x/1/"
        );
    }
}
