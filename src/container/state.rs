//! Runtime state: what happened to this container since it was created.
//!
//! Kept in a state directory in the container's writable layer, so it
//! survives `docker restart` and is gone with `docker rm`. Every change is
//! a read, change and atomic write back ([`crate::files::atomic`]) under a
//! lock taken within [`lock::DEADLINE`], so two actions finishing at once
//! cannot lose each other's result, a crash never leaves half a file, and
//! a stuck holder only costs the record, never the action.
//!
//! The state file is read only if it is a regular file of at most
//! [`MAX_STATE_BYTES`]: a symlink, FIFO or device is refused and left
//! alone. A file that is too large or does not parse is moved aside under
//! a name no other is using, with a warning, and the tool carries on.
//! Reading for a report takes no lock: the atomic rename means a reader
//! sees one whole version.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::files::{atomic, lock, read, FileError};
use crate::record::Action;
/// The result types live with the report that shows them; the state
/// file stores them as they are.
pub use crate::report::{ActionResult, Outcome};

/// The default state directory inside a container.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/waybill";

const STATE_FILE: &str = "state.json";
const STATE_LOCK: &str = "state.lock";

/// The largest state file read. What `container` writes stays far below:
/// a few hundred bytes. Documented in docs/actions.md.
pub const MAX_STATE_BYTES: u64 = 64 * 1024;

/// How many quarantine names with the same time are tried.
const MAX_ASIDE_NAMES: u32 = 1000;

/// Everything the state file records.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Epoch seconds of the first `--start` in this container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_started_at: Option<i64>,
    /// Epoch seconds of the latest `--start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_started_at: Option<i64>,
    #[serde(default)]
    pub start_count: u64,
    /// The latest result of each action, keyed by `update`, `validate`, ...
    #[serde(default)]
    pub actions: BTreeMap<String, ActionResult>,
}

impl State {
    pub fn last(&self, action: Action) -> Option<&ActionResult> {
        self.actions.get(action.key())
    }

    /// Counts a start at `now`. A count that cannot go higher is refused
    /// rather than wrapped, and then nothing about the start changes.
    pub fn count_start(&mut self, now: i64) -> Result<(), StateError> {
        self.start_count = self
            .start_count
            .checked_add(1)
            .ok_or(StateError::StartCountFull {
                count: self.start_count,
            })?;
        self.first_started_at.get_or_insert(now);
        self.last_started_at = Some(now);
        Ok(())
    }
}

/// Why the state could not be updated. Never fatal: callers show it as a
/// warning ([`StateDir::update_or_warn`]).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot create the state directory: {0}")]
    CreateDir(#[source] io::Error),

    #[error("cannot take the state lock `{}`: {source}", path.display())]
    Lock { path: PathBuf, source: FileError },

    #[error("refusing state file `{}`: {source}", path.display())]
    Refused { path: PathBuf, source: FileError },

    #[error("cannot move state file `{}` aside: {source}", path.display())]
    Quarantine { path: PathBuf, source: io::Error },

    #[error("cannot write state file `{}`: {source}", path.display())]
    Write { path: PathBuf, source: FileError },

    #[error("start_count is already {count}, the most it can hold; this start is not counted")]
    StartCountFull { count: u64 },
}

/// The state directory of one container.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    pub fn new(dir: impl Into<PathBuf>) -> StateDir {
        StateDir { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// A file in the state directory, such as a lock.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads the state for a report, changing nothing. `Ok(None)` means
    /// the container has no state yet; a corrupt or refused file is an
    /// `Err` with the reason, for the caller to show as a warning.
    pub fn read(&self) -> Result<Option<State>, String> {
        let path = self.file(STATE_FILE);
        match read::regular(&path, MAX_STATE_BYTES) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                format!(
                    "state file `{}` is corrupt and was ignored: {e}",
                    path.display()
                )
            }),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e @ FileError::TooLarge { .. }) => {
                Err(format!("state file `{}` was ignored: {e}", path.display()))
            }
            Err(e) => Err(format!("refusing state file `{}`: {e}", path.display())),
        }
    }

    /// Applies `change` to the state and writes it back atomically. When
    /// `change` refuses, nothing is written. Returns warnings worth showing
    /// (a corrupt file moved aside).
    pub fn update(
        &self,
        change: impl FnOnce(&mut State) -> Result<(), StateError>,
    ) -> Result<Vec<String>, StateError> {
        fs::create_dir_all(&self.dir).map_err(StateError::CreateDir)?;
        let lock_path = self.file(STATE_LOCK);
        let _guard = lock::open(&lock_path)
            .and_then(|file| lock::exclusive(file, lock::DEADLINE))
            .map_err(|source| StateError::Lock {
                path: lock_path,
                source,
            })?;

        let mut warnings = Vec::new();
        let path = self.file(STATE_FILE);
        let mut state = match read::regular(&path, MAX_STATE_BYTES) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(state) => state,
                Err(e) => {
                    let aside = self.move_aside(now())?;
                    warnings.push(format!(
                        "state file `{}` was corrupt ({e}); moved it to `{}` and started afresh",
                        path.display(),
                        aside.display()
                    ));
                    State::default()
                }
            },
            Err(e) if e.is_not_found() => State::default(),
            // Not something `container` wrote: kept for a look, not read.
            Err(e @ FileError::TooLarge { .. }) => {
                let aside = self.move_aside(now())?;
                warnings.push(format!(
                    "state file `{}` was not read: {e}; moved it to `{}` and started afresh",
                    path.display(),
                    aside.display()
                ));
                State::default()
            }
            // A symlink, FIFO or device is someone's doing: left alone.
            Err(source) => return Err(StateError::Refused { path, source }),
        };
        change(&mut state)?;
        let mut bytes = serde_json::to_vec_pretty(&state).map_err(|e| StateError::Write {
            path: path.clone(),
            source: FileError::Io(e.into()),
        })?;
        bytes.push(b'\n');
        atomic::write(&path, &bytes).map_err(|source| StateError::Write { path, source })?;
        Ok(warnings)
    }

    /// [`StateDir::update`] for recording a fact that must never fail the
    /// command: any problem becomes a warning naming `what` was recorded.
    pub fn update_or_warn(&self, what: &str, change: impl FnOnce(&mut State)) {
        self.try_update_or_warn(what, |state| {
            change(state);
            Ok(())
        });
    }

    /// [`StateDir::update_or_warn`] for a change that may refuse, such as
    /// [`State::count_start`].
    pub fn try_update_or_warn(
        &self,
        what: &str,
        change: impl FnOnce(&mut State) -> Result<(), StateError>,
    ) {
        match self.update(change) {
            Ok(warnings) => warnings.into_iter().for_each(super::warn),
            Err(e) => super::warn(format_args!(
                "cannot record {what} in `{}`: {e}",
                self.dir.display()
            )),
        }
    }

    /// Moves the state file to `state.json.corrupt-<at>`, or to
    /// `…-<at>-N` when that name is taken: a quarantined file is never
    /// overwritten. Called under the state lock, so no other `container`
    /// picks a name at the same time.
    fn move_aside(&self, at: i64) -> Result<PathBuf, StateError> {
        let path = self.file(STATE_FILE);
        let error = |source| StateError::Quarantine {
            path: path.clone(),
            source,
        };
        for n in 0..MAX_ASIDE_NAMES {
            let name = match n {
                0 => format!("{STATE_FILE}.corrupt-{at}"),
                n => format!("{STATE_FILE}.corrupt-{at}-{n}"),
            };
            let aside = self.file(&name);
            match fs::symlink_metadata(&aside) {
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::rename(&path, &aside).map_err(error)?;
                    return Ok(aside);
                }
                Err(e) => return Err(error(e)),
            }
        }
        Err(error(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{MAX_ASIDE_NAMES} names for moved-aside state files are taken"),
        )))
    }
}

/// Seconds since the epoch, from the system clock.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_accumulate_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path().join("state"));
        assert_eq!(state.read(), Ok(None));
        state.update(|s| s.count_start(10)).unwrap();
        state.update(|s| s.count_start(20)).unwrap();
        let read = state.read().unwrap().unwrap();
        assert_eq!(read.start_count, 2);
        assert_eq!(read.first_started_at, Some(10));
        assert_eq!(read.last_started_at, Some(20));
    }

    #[test]
    fn corrupt_state_is_moved_aside_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(STATE_FILE), "{not json").unwrap();
        let state = StateDir::new(dir.path());
        assert!(state.read().is_err());
        let warnings = state
            .update(|s| {
                s.start_count = 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(state.read().unwrap().unwrap().start_count, 1);
        let aside = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".corrupt-")
            })
            .count();
        assert_eq!(aside, 1);
    }

    #[test]
    fn a_full_start_count_is_refused_and_changes_nothing() {
        let mut state = State {
            start_count: u64::MAX,
            last_started_at: Some(5),
            ..State::default()
        };
        let err = state.count_start(10).unwrap_err();
        assert!(err.to_string().contains("start_count"), "{err}");
        assert_eq!(state.start_count, u64::MAX);
        assert_eq!(state.last_started_at, Some(5));
        assert_eq!(state.first_started_at, None);
    }

    #[test]
    fn a_refused_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        state.update(|s| s.count_start(1)).unwrap();
        let err = state
            .update(|_| Err(StateError::StartCountFull { count: 0 }))
            .unwrap_err();
        assert!(matches!(err, StateError::StartCountFull { .. }));
        assert_eq!(state.read().unwrap().unwrap().start_count, 1);
    }

    // Regression: quarantined files were named after the second alone, so
    // a second corrupt file in the same second replaced the first.
    #[test]
    fn files_moved_aside_in_the_same_second_keep_unique_names() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        let mut names = Vec::new();
        for body in ["one", "two", "three"] {
            fs::write(dir.path().join(STATE_FILE), body).unwrap();
            names.push(state.move_aside(1_700_000_000).unwrap());
        }
        let bodies: Vec<String> = names
            .iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect();
        assert_eq!(bodies, ["one", "two", "three"]);
        assert!(names[0].ends_with("state.json.corrupt-1700000000"));
        assert!(names[1].ends_with("state.json.corrupt-1700000000-1"));
    }
}
