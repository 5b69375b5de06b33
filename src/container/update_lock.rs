//! The update lock: only one UPDATE runs at a time in a container.
//!
//! The lock is an `flock` on `<state_dir>/update.lock`. An `flock`
//! belongs to the open file description, and the kernel drops it when the
//! last descriptor for it is closed: so the UPDATE method inherits the
//! descriptor (its number is in [`FD_VAR`]), and the lock stays held for
//! as long as `container` or any process of the method that kept the
//! descriptor lives. If `container` is killed, the method it started still
//! holds the lock, and no second method can start beside it; once every
//! holder has gone there is no stale lock to clean up. The price: a
//! daemon the method starts keeps the lock until it exits, unless it is
//! started with the descriptor closed (docs/actions.md).
//!
//! Whoever takes the lock writes who they are into the file, so a refused
//! UPDATE can name the holder, and say when that holder has gone but its
//! method has not.
//!
//! Only UPDATE locks. VALIDATE, MONITOR and METRICS never wait for it:
//! update scripts typically run `container --validate` themselves.

use super::state::{now, StateDir};
use super::{passwd, ContainerError};
use nix::errno::Errno;
use nix::libc::{LOCK_EX, LOCK_NB};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::time::{Duration, Instant};

/// The lock file's name in the state directory.
pub const LOCK_FILE: &str = "update.lock";

/// The environment variable that tells the UPDATE method which of its
/// descriptors holds the lock.
pub const FD_VAR: &str = "CONTAINER_UPDATE_LOCK_FD";

/// How often `--wait` tries the lock again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Held while an UPDATE runs; dropping it closes our descriptor, which
/// releases the lock unless the method's processes still hold theirs.
///
/// Regression: it never unlocks explicitly (as nix's `Flock` does on
/// drop): `LOCK_UN` acts on the open file description, so it would take
/// the lock away from the method's processes too.
#[derive(Debug)]
pub struct UpdateLock {
    lock: File,
}

impl UpdateLock {
    /// Our descriptor for the lock, close-on-exec; the method's copy is
    /// made inheritable in the child only.
    pub fn as_raw_fd(&self) -> RawFd {
        self.lock.as_raw_fd()
    }
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
        if let Some(at) = crate::record::BuildTime::from_epoch(self.since) {
            write!(f, ", since {at} UTC")?;
        }
        if !self.is_alive() {
            write!(
                f,
                "; pid {} has exited, but processes of its UPDATE method still hold the lock",
                self.pid
            )?;
        }
        Ok(())
    }
}

impl Holder {
    /// Whether the `container` that took the lock still runs (a recycled
    /// pid can make this say yes wrongly; it only changes a message).
    fn is_alive(&self) -> bool {
        let Ok(pid) = i32::try_from(self.pid) else {
            return false;
        };
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) != Err(Errno::ESRCH)
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
    // std opens with O_CLOEXEC: only the method inherits the lock, not
    // whatever else might be executed.
    // A symlink is not followed and a FIFO or device is refused, as for
    // every lock file (`files::lock`).
    let mut file = crate::files::lock::open(&path).map_err(|e| {
        lock_error(match e {
            crate::files::FileError::Io(source) => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        })
    })?;
    // `Some(None)`: a wait too long to represent, which is forever.
    let deadline = wait.map(|w| Instant::now().checked_add(w));
    let mut told = false;
    loop {
        // SAFETY: flock(2) on a descriptor we own.
        let locked = unsafe { nix::libc::flock(file.as_raw_fd(), LOCK_EX | LOCK_NB) };
        match Errno::result(locked) {
            Ok(_) => return Ok(announce(file, &path)),
            Err(Errno::EINTR) => {}
            Err(Errno::EWOULDBLOCK) => {
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
            Err(errno) => return Err(lock_error(errno.into())),
        }
    }
}

/// Writes who we are into the lock file we now hold.
fn announce(mut lock: File, path: &Path) -> UpdateLock {
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
    UpdateLock { lock }
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
        // Closing is what frees the lock; a process another test thread
        // forks in that instant holds a copy until it executes, so allow
        // for that moment.
        acquire(&state, Some(Duration::from_secs(10))).unwrap();
    }

    #[test]
    fn holder_reads_well() {
        let holder = Holder {
            pid: std::process::id(),
            uid: 0,
            user: Some("root".into()),
            since: 0,
        };
        assert_eq!(
            holder.to_string(),
            format!(
                "pid {}, user root (uid 0), since 1970-01-01 00:00:00 UTC",
                std::process::id()
            )
        );
        let gone = Holder {
            pid: u32::MAX,
            ..holder
        };
        assert!(
            gone.to_string().ends_with(
                "; pid 4294967295 has exited, but processes of its UPDATE method still hold the lock"
            ),
            "{gone}"
        );
    }
}
