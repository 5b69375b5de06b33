//! The environment the host commands read, as a value.
//!
//! `main` snapshots the process environment once into an [`Env`]; code
//! below it reads variables only through that snapshot, so tests inject
//! any CI environment without touching the process's own. This module
//! does not interpret variables (that is `stamp::ci` and
//! `stamp::build_time`), and it never dumps the environment anywhere.

use std::collections::BTreeMap;

/// A snapshot of environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The current process environment. Variables whose name or value is
    /// not UTF-8 are left out: no CI system sets such variables, and
    /// `std::env::vars` would panic on them.
    pub fn from_process() -> Env {
        std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect()
    }

    /// The value of `name` as set, even when empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// The value of `name` with surrounding whitespace trimmed; `None`
    /// when unset or blank. CI systems often export a variable empty
    /// (`GITHUB_HEAD_REF=` outside pull requests) to mean "not set".
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Whether `name` is set to exactly `value` (ignoring surrounding
    /// whitespace and ASCII case, as CI systems disagree on `true`/`True`).
    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Env {
        Env {
            vars: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_read_as_unset() {
        let env: Env = [("A", ""), ("B", "  "), ("C", " x ")].into_iter().collect();
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("C"), Some("x"));
        assert_eq!(env.raw("A"), Some(""));
        assert_eq!(env.get("D"), None);
    }

    #[test]
    fn flag_comparison_ignores_case() {
        let env: Env = [("TF_BUILD", "True")].into_iter().collect();
        assert!(env.is("TF_BUILD", "true"));
        assert!(!env.is("TF_BUILD", "false"));
        assert!(!env.is("MISSING", "true"));
    }
}
