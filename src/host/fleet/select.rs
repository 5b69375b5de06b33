//! Selectors: which discovered containers a command is about.
//!
//! Names are exact names, id prefixes or glob patterns (`*`, `?`); the
//! other filters look at the container's labels and at its own image's
//! record (the newest of the ancestry): `--project`, `--branch`, and
//! `--source`, compared after normalising the URL the way stamping
//! writes it (https, ssh and scp-like forms, `.git` suffix, host case),
//! so `git@Host:o/r.git` selects `https://host/o/r`. A container that
//! could not be described matches only name and label filters.

use crate::host::stamp::source_url::web_url;
use crate::record::Record;
use std::collections::BTreeMap;
use wildmatch::WildMatch;

/// Every filter of one command; all given ones must match.
#[derive(Debug, Default)]
pub struct Selector {
    names: Vec<String>,
    pub project: Option<String>,
    pub labels: Vec<(String, String)>,
    source: Option<String>,
    pub branch: Option<String>,
}

/// What a selector looks at.
pub struct Candidate<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    /// The container's own image's record, when it was described.
    pub record: Option<&'a Record>,
}

impl Selector {
    pub fn new(names: Vec<String>) -> Selector {
        Selector {
            names,
            ..Selector::default()
        }
    }

    /// Selects by source URL, in any of git's URL forms.
    pub fn with_source(mut self, url: Option<String>) -> Selector {
        self.source = url.map(|u| normalise_url(&u));
        self
    }

    /// Whether any filter was given (an empty result then says so).
    pub fn is_filtering(&self) -> bool {
        !self.names.is_empty()
            || self.project.is_some()
            || !self.labels.is_empty()
            || self.source.is_some()
            || self.branch.is_some()
    }

    /// The filters that need no description: names and labels. Checked
    /// before a container is described, so a filtered `ls` over a large
    /// fleet execs into only the containers it may show.
    pub fn matches_listing(&self, name: &str, id: &str, labels: &BTreeMap<String, String>) -> bool {
        let c = Candidate {
            name,
            id,
            labels,
            record: None,
        };
        let name_ok = self.names.is_empty() || self.names.iter().any(|p| name_matches(p, &c));
        name_ok
            && self
                .labels
                .iter()
                .all(|(k, v)| labels.get(k).is_some_and(|found| found == v))
    }

    pub fn matches(&self, c: &Candidate<'_>) -> bool {
        let cheap_ok = self.matches_listing(c.name, c.id, c.labels);
        let record_ok = |wanted: &Option<String>, get: fn(&Record) -> Option<String>| {
            wanted.as_ref().map_or(true, |w| {
                c.record.and_then(get).is_some_and(|found| &found == w)
            })
        };
        cheap_ok
            && record_ok(&self.project, |r| Some(r.project.clone()))
            && record_ok(&self.branch, |r| r.git_branch.clone())
            && record_ok(&self.source, |r| r.source_url.as_deref().map(normalise_url))
    }
}

fn name_matches(pattern: &str, c: &Candidate<'_>) -> bool {
    if pattern.contains(['*', '?']) {
        return WildMatch::new(pattern).matches(c.name);
    }
    c.name == pattern || (!pattern.is_empty() && c.id.starts_with(pattern))
}

/// The one form every spelling of a repository URL is compared in.
pub fn normalise_url(url: &str) -> String {
    match web_url(url) {
        Some(web) => web,
        None => url.trim().trim_end_matches('/').to_owned(),
    }
}

/// Parses `--label KEY=VALUE`.
pub fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(source: &str) -> Record {
        Record {
            project: "web".into(),
            git_branch: Some("main".into()),
            source_url: Some(source.into()),
            ..Record::default()
        }
    }

    fn candidate<'a>(
        record: Option<&'a Record>,
        labels: &'a BTreeMap<String, String>,
    ) -> Candidate<'a> {
        Candidate {
            name: "shop-web-1",
            id: "3f2a9c",
            labels,
            record,
        }
    }

    #[test]
    fn names_match_exactly_by_id_prefix_or_by_glob() {
        let labels = BTreeMap::new();
        let c = candidate(None, &labels);
        for yes in ["shop-web-1", "3f2a", "shop-*", "*-web-?"] {
            assert!(Selector::new(vec![yes.into()]).matches(&c), "{yes}");
        }
        for no in ["shop-web", "f2a", "db-*"] {
            assert!(!Selector::new(vec![no.into()]).matches(&c), "{no}");
        }
    }

    #[test]
    fn source_urls_match_in_every_git_form() {
        let labels = BTreeMap::new();
        let r = record("https://github.com/Acme/web.git");
        let c = candidate(Some(&r), &labels);
        for url in [
            "https://github.com/Acme/web",
            "git@GitHub.com:Acme/web.git",
            "ssh://git@github.com/Acme/web",
            "https://GITHUB.com/Acme/web/",
        ] {
            let s = Selector::new(vec![]).with_source(Some(url.into()));
            assert!(s.matches(&c), "{url}");
        }
        let s = Selector::new(vec![]).with_source(Some("https://github.com/Acme/api".into()));
        assert!(!s.matches(&c));
    }

    #[test]
    fn record_filters_never_match_a_container_without_a_record() {
        let labels = BTreeMap::from([("tier".to_string(), "front".to_string())]);
        let mut s = Selector::new(vec![]);
        s.project = Some("web".into());
        assert!(!s.matches(&candidate(None, &labels)));
        let r = record("https://x.example/a");
        assert!(s.matches(&candidate(Some(&r), &labels)));
        let mut s = Selector::new(vec![]);
        s.labels = vec![("tier".into(), "front".into())];
        assert!(s.matches(&candidate(None, &labels)));
        s.labels = vec![("tier".into(), "back".into())];
        assert!(!s.matches(&candidate(None, &labels)));
    }
}
