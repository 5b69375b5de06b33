//! Runtime state: what happened to this container since it was created.
//!
//! Kept in a state directory in the container's writable layer, so it
//! survives `docker restart` and is gone with `docker rm`. Every write
//! goes to a temporary file that is fsynced and renamed over the old one,
//! under a lock, so two actions finishing at once cannot lose each
//! other's result and a crash never leaves half a file. A state file that
//! does not parse is moved aside with a warning; the tool carries on.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::record::Action;

/// The default state directory inside a container.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/waybill";

const STATE_FILE: &str = "state.json";
const STATE_LOCK: &str = "state.lock";

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
}

/// How the latest run of an action ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    /// Epoch seconds when it finished.
    pub at: i64,
    pub outcome: Outcome,
    /// The exit code `container` reported for it.
    pub exit_code: u8,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The method exited 0.
    Ok,
    /// The method exited non-zero, or its output was rejected.
    Failed,
    /// The method ran past its timeout and was killed.
    TimedOut,
    /// The method was killed by a signal.
    Killed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::TimedOut => "timed out",
            Outcome::Killed => "killed",
        }
    }
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
    /// the container has no state yet; a corrupt file is an `Err` with the
    /// reason, for the caller to show as a warning.
    pub fn read(&self) -> Result<Option<State>, String> {
        let path = self.file(STATE_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                format!(
                    "state file `{}` is corrupt and was ignored: {e}",
                    path.display()
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read state file `{}`: {e}", path.display())),
        }
    }

    /// Applies `change` to the state and writes it back atomically.
    /// Returns warnings worth showing (a corrupt file moved aside).
    pub fn update(&self, change: impl FnOnce(&mut State)) -> io::Result<Vec<String>> {
        fs::create_dir_all(&self.dir)?;
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.file(STATE_LOCK))?;
        let _guard = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, errno)| io::Error::from(errno))?;

        let mut warnings = Vec::new();
        let path = self.file(STATE_FILE);
        let mut state = match fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(state) => state,
                Err(e) => {
                    let aside = self.file(&format!("{STATE_FILE}.corrupt-{}", now()));
                    fs::rename(&path, &aside)?;
                    warnings.push(format!(
                        "state file `{}` was corrupt ({e}); moved it to `{}` and started afresh",
                        path.display(),
                        aside.display()
                    ));
                    State::default()
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e),
        };
        change(&mut state);
        self.write_atomically(&path, &state)?;
        Ok(warnings)
    }

    /// [`StateDir::update`] for recording a fact that must never fail the
    /// command: any problem becomes a warning naming `what` was recorded.
    pub fn update_or_warn(&self, what: &str, change: impl FnOnce(&mut State)) {
        match self.update(change) {
            Ok(warnings) => warnings.into_iter().for_each(super::warn),
            Err(e) => super::warn(format_args!(
                "cannot record {what} in `{}`: {e}",
                self.dir.display()
            )),
        }
    }

    fn write_atomically(&self, path: &Path, state: &State) -> io::Result<()> {
        let tmp = self.file(&format!("{STATE_FILE}.tmp"));
        let mut file = File::create(&tmp)?;
        serde_json::to_writer_pretty(&mut file, state)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        File::open(&self.dir)?.sync_all()
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
        state.update(|s| s.start_count += 1).unwrap();
        state.update(|s| s.start_count += 1).unwrap();
        assert_eq!(state.read().unwrap().unwrap().start_count, 2);
    }

    #[test]
    fn corrupt_state_is_moved_aside_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(STATE_FILE), "{not json").unwrap();
        let state = StateDir::new(dir.path());
        assert!(state.read().is_err());
        let warnings = state.update(|s| s.start_count = 1).unwrap();
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
}
