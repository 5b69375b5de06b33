//! The pushed revision an UPDATE is for, and the rule that a container
//! already at that revision is not updated again.
//!
//! `waybill serve` runs a push's UPDATE with the pushed repository, ref
//! and revision in the environment ([`crate::report::PUSH_REVISION_VAR`]
//! and its siblings). `container --update` records them with the
//! UPDATE's result in the state file, so `--examine` shows them, and
//! refuses (exit 75) to run the method again for the revision that the
//! latest UPDATE already brought successfully. Any later UPDATE, by hand
//! or failed, replaces that result, so after it the same push runs again:
//! a container whose code is not known to be that revision is never
//! skipped. The environment is read through a function so tests can
//! supply their own.

use crate::record::Action;
use crate::report::{ActionResult, PUSH_REF_VAR, PUSH_REPOSITORY_VAR, PUSH_REVISION_VAR};
use std::ffi::OsString;

use super::state::{Outcome, State};

/// The push an UPDATE is run for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub revision: String,
    pub git_ref: Option<String>,
    pub repository: Option<String>,
}

impl Push {
    /// Writes the push into the UPDATE's result.
    pub fn record_in(self, result: &mut ActionResult) {
        result.revision = Some(self.revision);
        result.git_ref = self.git_ref;
        result.repository = self.repository;
    }
}

/// The longest value of a push variable recorded: the state file has a
/// 64 KiB cap, and a revision, ref or URL is far shorter.
pub const MAX_VALUE_BYTES: usize = 4096;

/// The push an UPDATE is run for: `None` without a revision. A value that
/// is not UTF-8 or over [`MAX_VALUE_BYTES`] is ignored with a warning.
pub fn from_env(env: impl Fn(&str) -> Option<OsString>) -> Option<Push> {
    let value = |var: &str| {
        let raw = env(var).filter(|v| !v.is_empty())?;
        match raw.into_string() {
            Ok(v) if v.len() <= MAX_VALUE_BYTES => Some(v),
            _ => {
                super::warn(format_args!(
                    "ignoring {var}: not UTF-8, or over {MAX_VALUE_BYTES} bytes"
                ));
                None
            }
        }
    };
    Some(Push {
        revision: value(PUSH_REVISION_VAR)?,
        repository: value(PUSH_REPOSITORY_VAR),
        git_ref: value(PUSH_REF_VAR),
    })
}

/// When the latest UPDATE succeeded for `push`'s revision: the epoch
/// seconds it finished at.
pub fn already_at(state: &State, push: &Push) -> Option<i64> {
    state
        .last(Action::Update)
        .filter(|r| r.outcome == Outcome::Ok)
        .filter(|r| r.revision.as_ref() == Some(&push.revision))
        .map(|r| r.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |var| vars.get(var).cloned()
    }

    fn push(revision: &str) -> Push {
        Push {
            revision: revision.into(),
            repository: None,
            git_ref: None,
        }
    }

    #[test]
    fn a_push_needs_a_revision() {
        assert_eq!(from_env(env(&[])), None);
        assert_eq!(
            from_env(env(&[
                (PUSH_REVISION_VAR, ""),
                (PUSH_REF_VAR, "refs/heads/x")
            ])),
            None
        );
        let found = from_env(env(&[
            (PUSH_REVISION_VAR, "abc"),
            (PUSH_REF_VAR, "refs/heads/main"),
            (PUSH_REPOSITORY_VAR, ""),
        ]));
        assert_eq!(
            found,
            Some(Push {
                revision: "abc".into(),
                repository: None,
                git_ref: Some("refs/heads/main".into()),
            })
        );
    }

    #[test]
    fn an_oversized_revision_is_ignored() {
        let long = "a".repeat(MAX_VALUE_BYTES + 1);
        assert_eq!(from_env(env(&[(PUSH_REVISION_VAR, &long)])), None);
    }

    #[test]
    fn only_a_successful_latest_update_to_the_revision_counts() {
        let mut state = State::default();
        let mut result = ActionResult {
            at: 7,
            outcome: Outcome::Ok,
            exit_code: 0,
            duration_ms: 1,
            revision: None,
            git_ref: None,
            repository: None,
        };
        push("abc").record_in(&mut result);
        state.actions.insert("update".into(), result.clone());
        assert_eq!(already_at(&state, &push("abc")), Some(7));
        assert_eq!(already_at(&state, &push("abd")), None);
        result.outcome = Outcome::Failed;
        state.actions.insert("update".into(), result.clone());
        assert_eq!(already_at(&state, &push("abc")), None);
        result.outcome = Outcome::Ok;
        result.revision = None;
        state.actions.insert("update".into(), result);
        assert_eq!(already_at(&state, &push("abc")), None);
    }
}
