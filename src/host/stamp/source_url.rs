//! Git remote URLs turned into the web address of the repository, and CI
//! build URLs, with credentials always removed.
//!
//! CI systems clone with tokens in the URL
//! (`https://gitlab-ci-token:TOKEN@gitlab.example/group/app.git`); the
//! record is baked into an image anyone may pull, so user names,
//! passwords, query strings and fragments never survive. This module
//! only rewrites strings; it does not look at the repository and does not
//! check that the address exists.
//!
//! The user part is cut off by hand, before any URL parser sees the text,
//! because a malformed one is exactly where parsers disagree: the
//! authority ends at the first `/`, `?`, `#` or `\`, and the user part at
//! the last `@` inside it. An `@` anywhere after the authority means the
//! user part itself held one of those characters, so where it ends cannot
//! be known: such a URL gives nothing rather than a piece of a password.
//! A port that is not a number is dropped too: it may be a password
//! written without its `@host`.

use url::Url;

/// The `https://host/owner/repo` web address for a git remote URL, or
/// `None` for remotes with no web address (local paths, `file://`) and
/// for malformed ones whose credentials cannot be told apart.
///
/// * `git@host:owner/repo.git` becomes `https://host/owner/repo`;
/// * `ssh://git@host:22/x.git` becomes `https://host/x` (the ssh port is
///   not the web port);
/// * `https://user:TOKEN@host:8443/x.git` becomes `https://host:8443/x`;
/// * `helper::https://…`, git's remote-helper form, is read as `https://…`.
pub fn web_url(remote: &str) -> Option<String> {
    let remote = without_transport(remote.trim());
    let (scheme, host, port, path) = if remote.contains("://") {
        let parts = Authority::split(remote)?;
        let host = parts.host.to_owned();
        match parts.scheme.to_ascii_lowercase().as_str() {
            "http" => ("http", host, parts.port, parts.rest),
            "https" => ("https", host, parts.port, parts.rest),
            // The ssh port is not the web server's.
            "ssh" | "git" | "git+ssh" | "ssh+git" => ("https", host, None, parts.rest),
            _ => return None,
        }
    } else {
        let (host, path) = scp_like(remote)?;
        ("https", host, None, path)
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let mut url = Url::parse(&format!("{scheme}://{host}{}/{path}", port_text(port))).ok()?;
    strip_credentials(&mut url);
    url.set_query(None);
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path).to_owned();
    url.set_path(&path);
    let text = url.to_string();
    Some(text.trim_end_matches('/').to_owned())
}

/// A CI build URL with any user name and password removed; otherwise
/// unchanged, query and fragment included (build URLs need theirs).
/// `None` for anything that is not an `http` or `https` URL, or whose
/// user part cannot be told apart: a build link is a web page, and text
/// that is not a URL has no defined place for credentials to be cut from.
pub fn without_credentials(text: &str) -> Option<String> {
    let parts = Authority::split(text.trim())?;
    let scheme = parts.scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let mut url = Url::parse(&format!(
        "{scheme}://{}{}{}",
        parts.host,
        port_text(parts.port),
        parts.rest
    ))
    .ok()?;
    strip_credentials(&mut url);
    Some(url.to_string())
}

/// `scheme://[user@]host[:port]rest`, cut up by hand.
struct Authority<'a> {
    scheme: &'a str,
    /// A name, an IPv4 address or a bracketed IPv6 address.
    host: &'a str,
    /// Only when it is a number.
    port: Option<&'a str>,
    /// The path, query and fragment, as written.
    rest: &'a str,
}

impl Authority<'_> {
    fn split(text: &str) -> Option<Authority<'_>> {
        let (scheme, after) = text.split_once("://")?;
        let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !scheme_ok {
            return None;
        }
        let end = after.find(['/', '?', '#', '\\']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        if rest.contains('@') {
            return None;
        }
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = split_port(host_port)?;
        Some(Authority {
            scheme,
            host,
            port: port.filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
            rest,
        })
    }
}

/// `host[:port]` or `[v6][:port]`; `None` when there is no host.
fn split_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if host_port.starts_with('[') {
        let close = host_port.find(']')?;
        let (host, after) = host_port.split_at(close + 1);
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    (!host.is_empty()).then_some((host, port))
}

fn port_text(port: Option<&str>) -> String {
    port.map(|p| format!(":{p}")).unwrap_or_default()
}

/// git's remote-helper form `transport::address` as its address.
fn without_transport(remote: &str) -> &str {
    match remote.split_once("::") {
        Some((transport, address))
            if transport.starts_with(|c: char| c.is_ascii_alphanumeric())
                && transport
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            address
        }
        _ => remote,
    }
}

/// git's scp-like syntax, `[user@]host:path` or `[user@][host]:path`
/// (brackets for an IPv6 address or `host:port`): a colon before any
/// slash. Returns the host and the path.
fn scp_like(remote: &str) -> Option<(String, &str)> {
    let head = &remote[..remote.find('/').unwrap_or(remote.len())];
    let (host, path) = match head.find('[') {
        Some(open) => {
            // Only a user part may come before the bracket.
            let before = &remote[..open];
            if !(before.is_empty() || before.ends_with('@')) {
                return None;
            }
            let rest = &remote[open + 1..];
            let close = rest.find(']')?;
            let path = rest[close + 1..].strip_prefix(':')?;
            let inside = &rest[..close];
            let inside = inside.rsplit_once('@').map_or(inside, |(_, h)| h);
            let host = if inside.parse::<std::net::Ipv6Addr>().is_ok() {
                format!("[{inside}]")
            } else {
                // `[host:port]`: the ssh port is not the web server's.
                inside.split(':').next().unwrap_or_default().to_owned()
            };
            (host, path)
        }
        None => {
            let rest = head.rfind('@').map_or(remote, |at| &remote[at + 1..]);
            let (host, path) = rest.split_once(':')?;
            if host.contains('/') {
                // The colon comes after a slash: a local path.
                return None;
            }
            (host.to_owned(), path)
        }
    };
    if host.is_empty() || path.is_empty() || path.starts_with("//") || path.contains('@') {
        return None;
    }
    Some((host, path))
}

fn strip_credentials(url: &mut Url) {
    // Cut off by hand already; this is the last guard. Both only fail for
    // URLs without a host, which have no credentials.
    let _ = url.set_username("");
    let _ = url.set_password(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Remote URL forms git accepts, and malformed ones, with the web
    /// address each must give. Every secret is spelled with `SECRET` or
    /// `TOKEN` in it, so the check that none survives is a plain search.
    const REMOTES: &[(&str, Option<&str>)] = &[
        // https with a token, as CI systems clone.
        ("https://user:TOKEN@host/x.git", Some("https://host/x")),
        ("https://TOKEN@host/x.git/", Some("https://host/x")),
        (
            "https://gitlab-ci-token:glcbt-SECRET@gitlab.example/group/app.git",
            Some("https://gitlab.example/group/app"),
        ),
        (
            "https://x-access-token:ghs_SECRET@github.com/o/r",
            Some("https://github.com/o/r"),
        ),
        // With a port: kept for the web, dropped for ssh.
        (
            "https://user:SECRET@host:8443/x.git",
            Some("https://host:8443/x"),
        ),
        ("ssh://git@host:22/x", Some("https://host/x")),
        (
            "ssh://user:SECRET@host.example:2222/g/x.git",
            Some("https://host.example/g/x"),
        ),
        (
            "git+ssh://user:SECRET@host/o/r.git",
            Some("https://host/o/r"),
        ),
        ("ssh+git://git@host/o/r.git", Some("https://host/o/r")),
        ("git://host/x.git", Some("https://host/x")),
        // scp-like forms.
        (
            "git@github.com:owner/repo.git",
            Some("https://github.com/owner/repo"),
        ),
        (
            "github.com:owner/repo",
            Some("https://github.com/owner/repo"),
        ),
        // Regression: the password of an scp-like form reached the path.
        (
            "user:SECRET@github.com:o/r.git",
            Some("https://github.com/o/r"),
        ),
        (
            "user:SE:CRET@github.com:/o/r.git",
            Some("https://github.com/o/r"),
        ),
        ("@github.com:o/r", Some("https://github.com/o/r")),
        (
            "[git@host.example:2222]:o/r.git",
            Some("https://host.example/o/r"),
        ),
        // IPv6 hosts.
        (
            "https://user:SECRET@[2001:db8::1]:8443/o/r.git",
            Some("https://[2001:db8::1]:8443/o/r"),
        ),
        (
            "ssh://git@[2001:db8::1]:22/o/r.git",
            Some("https://[2001:db8::1]/o/r"),
        ),
        (
            "user:SECRET@[2001:db8::1]:o/r.git",
            Some("https://[2001:db8::1]/o/r"),
        ),
        // Percent-encoded credentials.
        ("https://us%65r:p%40SECRET@host/x", Some("https://host/x")),
        ("https://%53ECRET%3Ax@host/x", Some("https://host/x")),
        // Query strings and fragments never survive.
        (
            "http://host:8080/x.git?private_token=SECRET#frag",
            Some("http://host:8080/x"),
        ),
        ("git@host:o/r.git?token=SECRET", Some("https://host/o/r")),
        // A remote helper's `transport::address`.
        (
            "persistent-https::https://user:SECRET@host/o/r",
            Some("https://host/o/r"),
        ),
        // Case: hosts are not case-sensitive, paths are.
        (
            "HTTPS://User:SECRET@Host.Example/O/R.git",
            Some("https://host.example/O/R"),
        ),
        // Malformed: the last `@` of the authority ends the user part.
        ("https://user:pa@SECRET@host/x", Some("https://host/x")),
        ("https://user:SECRET:more@host/x", Some("https://host/x")),
        ("https://@host/x", Some("https://host/x")),
        // Malformed: a port that is not a number is dropped, never kept
        // (it may be a password written without its `@host`).
        ("https://host:notaport/x", Some("https://host/x")),
        ("https://user:SECRET/x", Some("https://user/x")),
        // Malformed: a `/`, `?`, `#` or `\` in the password hides where
        // the user part ends; nothing is kept rather than a piece of it.
        ("https://user:SE/CRET@host/x", None),
        ("https://user:SE?CRET@host/x", None),
        ("https://user:SE#CRET@host/x", None),
        ("https://user:SE\\CRET@host/x", None),
        ("user:SE/CRET@host:o/r", None),
        ("git@host:o/r@SECRET", None),
        ("https://user:SECRET@/x", None),
        // No web address: local paths, file://, other schemes, junk.
        ("file:///srv/git/x.git", None),
        ("file://user:SECRET@host/x.git", None),
        ("ftp://user:SECRET@host/x.git", None),
        ("/srv/git/x.git", None),
        ("./x", None),
        ("../x:y", None),
        ("x", None),
        ("", None),
        ("@", None),
        ("user:SECRET@", None),
        ("host:", None),
        ("https://", None),
    ];

    #[test]
    fn remote_forms_lose_their_secrets_and_keep_host_and_path() {
        for (remote, web) in REMOTES {
            let got = web_url(remote);
            assert_eq!(got.as_deref(), *web, "{remote}");
            if let Some(got) = got {
                assert!(
                    !got.contains("SECRET") && !got.contains("TOKEN"),
                    "{remote} gave {got}"
                );
            }
        }
    }

    #[test]
    fn build_urls_keep_their_query_but_lose_credentials() {
        for (url, clean) in [
            (
                "https://u:SECRET@dev.azure.com/o/p/_build/results?buildId=5",
                Some("https://dev.azure.com/o/p/_build/results?buildId=5"),
            ),
            (
                "https://ci.example/job/x/1/",
                Some("https://ci.example/job/x/1/"),
            ),
            (
                "http://ci.example:8080/job/1",
                Some("http://ci.example:8080/job/1"),
            ),
            (
                "http://bitbucket.org/t/a/addon/pipelines/home#!/results/12",
                Some("http://bitbucket.org/t/a/addon/pipelines/home#!/results/12"),
            ),
            (
                "https://user:pa@SECRET@ci.example/x",
                Some("https://ci.example/x"),
            ),
            ("https://ci.example:SECRET/x", Some("https://ci.example/x")),
            ("https://user:SE/CRET@ci.example/x", None),
            // Regression: text that is not a URL was kept from its last
            // `@` on, whatever it held.
            ("user:SECRET@ci.example/job/1", None),
            ("SECRET", None),
            ("ci.example/job/1", None),
            ("ftp://ci.example/x", None),
        ] {
            assert_eq!(without_credentials(url).as_deref(), clean, "{url}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        // Hosts and paths are lower case and digits; users and passwords
        // are drawn from upper case and punctuation. So an upper-case
        // letter or a `%` in the output can only be a piece of a user
        // name or password, raw or percent-encoded.
        fn host() -> impl Strategy<Value = String> {
            "[a-z][a-z0-9]{0,8}(\\.[a-z]{2,4}){0,2}"
        }

        fn path() -> impl Strategy<Value = String> {
            "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,3}"
        }

        /// Any secret, including the characters that end a URL's user
        /// part early (`/ ? # \ [`), spaces, `@`, `:` and `%`.
        fn secret() -> impl Strategy<Value = String> {
            "[A-Z][A-Z@:/?#%!$&'()*+,;= \\\\\\[\\]~^|\\t]{0,12}"
        }

        /// A secret that does not end the user part early: with it, the
        /// host and path must be kept as well.
        fn plain_secret() -> impl Strategy<Value = String> {
            "[A-Z][A-Z@:%!$&'()*+,;= ~^|]{0,12}"
        }

        fn percent_encoded(text: &str) -> String {
            text.bytes().map(|b| format!("%{b:02X}")).collect()
        }

        /// Every remote form carrying `user` and `password`, with the
        /// web address it should give when both are plain.
        fn forms(user: &str, password: &str, host: &str, path: &str) -> Vec<(String, String)> {
            let web = format!("https://{host}/{path}");
            vec![
                (
                    format!("https://{user}:{password}@{host}/{path}.git"),
                    web.clone(),
                ),
                (
                    format!("http://{user}:{password}@{host}:8080/{path}?q=1"),
                    format!("http://{host}:8080/{path}"),
                ),
                (format!("https://{password}@{host}/{path}"), web.clone()),
                (
                    format!("ssh://{user}:{password}@{host}:22/{path}.git"),
                    web.clone(),
                ),
                (
                    format!("git+ssh://{user}:{password}@{host}/{path}"),
                    web.clone(),
                ),
                (format!("{user}:{password}@{host}:{path}.git"), web.clone()),
                (format!("{user}:{password}@{host}:/{path}"), web.clone()),
                (format!("[{user}:{password}@{host}:22]:{path}"), web.clone()),
                (
                    format!("{user}:{password}@[2001:db8::1]:{path}"),
                    format!("https://[2001:db8::1]/{path}"),
                ),
                (
                    format!("https://{user}:{password}@[2001:db8::1]:8443/{path}"),
                    format!("https://[2001:db8::1]:8443/{path}"),
                ),
                (
                    format!("helper::https://{user}:{password}@{host}/{path}"),
                    web.clone(),
                ),
                (
                    format!(
                        "https://{}:{}@{host}/{path}",
                        percent_encoded(user),
                        percent_encoded(password)
                    ),
                    web,
                ),
            ]
        }

        fn leaks(output: &str) -> bool {
            output.contains(|c: char| c.is_ascii_uppercase() || c == '%')
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(1024))]

            #[test]
            fn no_form_lets_any_piece_of_a_password_through(
                user in "[A-Z]{0,6}", password in secret(), host in host(), path in path()
            ) {
                for (remote, _) in forms(&user, &password, &host, &path) {
                    if let Some(out) = web_url(&remote) {
                        prop_assert!(!leaks(&out), "{remote:?} gave {out:?}");
                    }
                    if let Some(out) = without_credentials(&remote) {
                        prop_assert!(!leaks(&out), "{remote:?} gave {out:?}");
                    }
                }
            }

            #[test]
            fn plain_credentials_are_cut_and_host_and_path_kept(
                user in "[A-Z]{0,6}", password in plain_secret(), host in host(), path in path()
            ) {
                for (remote, web) in forms(&user, &password, &host, &path) {
                    prop_assert_eq!(web_url(&remote), Some(web), "{}", remote);
                }
            }
        }
    }
}
