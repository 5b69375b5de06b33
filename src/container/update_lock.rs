//! The update lock: only one UPDATE runs at a time in a container.
//!
//! The lock is an `flock` on `<state_dir>/update.lock`, held for as long
//! as the returned [`UpdateLock`] lives. The kernel drops it with the file
//! descriptor, so a crashed or killed UPDATE never leaves a stale lock; the
//! descriptor is close-on-exec, so the method does not inherit it and
//! cannot keep the lock alive after `container` is gone. Whoever takes the
//! lock writes who they are into the file, so a refused UPDATE can name
//! the holder.
//!
//! Only UPDATE locks. VALIDATE, MONITOR and METRICS never wait for it:
//! update scripts typically run `container --validate` themselves.

use super::state::{now, StateDir};
use super::{passwd, ContainerError};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "update.lock";

/// How often `--wait` tries the lock again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Held while an UPDATE runs; dropping it releases the lock.
#[derive(Debug)]
pub struct UpdateLock {
    _lock: Flock<File>,
}

/// Who holds the lock, as written into the lock file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub uid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Epoch seconds when the lock was taken.
    pub since: i64,
}

impl Holder {
    fn me() -> Holder {
        let uid = nix::unistd::getuid().as_raw();
        Holder {
            pid: std::process::id(),
            uid,
            user: passwd::user_name(uid),
            since: now(),
        }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}, ", self.pid)?;
        match &self.user {
            Some(user) => write!(f, "user {user} (uid {})", self.uid)?,
            None => write!(f, "uid {}", self.uid)?,
        }
        match crate::record::BuildTime::from_epoch(self.since) {
            Some(at) => write!(f, ", since {at} UTC"),
            None => Ok(()),
        }
    }
}

/// Takes the update lock, waiting up to `wait` for a running UPDATE to
/// finish; without `wait` a held lock is refused at once.
pub fn acquire(state_dir: &StateDir, wait: Option<Duration>) -> Result<UpdateLock, ContainerError> {
    let path = state_dir.file(LOCK_FILE);
    let lock_error = |source| ContainerError::Lock {
        path: path.clone(),
        source,
    };
    fs::create_dir_all(state_dir.path()).map_err(lock_error)?;
    // std opens with O_CLOEXEC: the method must not inherit the lock.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&path)
        .map_err(lock_error)?;
    // `Some(None)`: a wait too long to represent, which is forever.
    let deadline = wait.map(|w| Instant::now().checked_add(w));
    let mut told = false;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(announce(lock, &path)),
            Err((returned, Errno::EINTR)) => file = returned,
            Err((returned, Errno::EWOULDBLOCK)) => {
                file = returned;
                let holder = describe_holder(&mut file, &path);
                match deadline {
                    Some(deadline) if deadline.map_or(true, |d| Instant::now() < d) => {
                        if !told {
                            told = true;
                            crate::output::stderr_line(format_args!(
                                "container: waiting up to {}s for the running UPDATE ({}) to finish",
                                wait.unwrap_or_default().as_secs(),
                                crate::safe_text::Escaped(&holder)
                            ));
                        }
                        std::thread::sleep(POLL_INTERVAL);
                    }
                    _ => return Err(ContainerError::UpdateLocked { holder }),
                }
            }
            Err((_, errno)) => return Err(lock_error(errno.into())),
        }
    }
}

/// Writes who we are into the lock file we now hold.
fn announce(mut lock: Flock<File>, path: &Path) -> UpdateLock {
    let holder = Holder::me();
    let written = serde_json::to_vec(&holder)
        .map_err(std::io::Error::from)
        .and_then(|mut bytes| {
            bytes.push(b'\n');
            lock.set_len(0)?;
            lock.seek(SeekFrom::Start(0))?;
            lock.write_all(&bytes)
        });
    if let Err(e) = written {
        // The lock is held all the same; only the name is missing.
        super::warn(format_args!(
            "cannot write the update lock holder into `{}`: {e}",
            path.display()
        ));
    }
    UpdateLock { _lock: lock }
}

/// Who holds the lock, for a message.
fn describe_holder(file: &mut File, path: &Path) -> String {
    let mut bytes = Vec::new();
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(4096).read_to_end(&mut bytes));
    match read
        .ok()
        .and_then(|_| serde_json::from_slice::<Holder>(&bytes).ok())
    {
        Some(holder) => holder.to_string(),
        // Taken a moment ago and not yet written, or written by a
        // different version: still say where to look.
        None => format!("holder not yet recorded in `{}`", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path().join("state"));
        let first = acquire(&state, None).unwrap();
        let err = acquire(&state, None).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        assert_eq!(err.exit_code(), crate::exit::TEMPFAIL);
        drop(first);
        acquire(&state, None).unwrap();
    }

    #[test]
    fn holder_reads_well() {
        let holder = Holder {
            pid: 42,
            uid: 0,
            user: Some("root".into()),
            since: 0,
        };
        assert_eq!(
            holder.to_string(),
            "pid 42, user root (uid 0), since 1970-01-01 00:00:00 UTC"
        );
    }
}
