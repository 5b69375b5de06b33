//! An exclusive `flock`, taken within a deadline.
//!
//! A blocking `flock` waits for as long as the holder lives, and a stuck
//! holder would stall every later caller with it. Here the lock is tried
//! without blocking and tried again, at growing intervals, until it is
//! taken or the deadline has passed. The lock belongs to the open file
//! description: the kernel drops it when the returned guard is dropped or
//! the process dies, so there are no stale locks to clean up.
//!
//! This module does not decide what is locked or for how long callers
//! wait; it only opens lock files safely and takes the lock.

use super::{kind_of, FileError};
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the tools wait for a lock that only ever guards a short
/// read-modify-write: the state file, filing a record. Documented in
/// docs/actions.md and docs/metadata.md.
pub const DEADLINE: Duration = Duration::from_secs(5);

/// The longest pause between two tries.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Opens (creating it if needed) the lock file at `path`. It must be a
/// regular file: a symlink is not followed (a followed link would create
/// and lock whatever it names), and opening a FIFO does not wait.
pub fn open(path: &Path) -> Result<File, FileError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(FileError::from_nofollow_open)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(FileError::NotRegular {
            kind: kind_of(file_type),
        });
    }
    Ok(file)
}

/// Takes an exclusive lock on `file` (a lock file, or a directory opened
/// read-only), waiting at most `deadline`.
pub fn exclusive(file: File, deadline: Duration) -> Result<Flock<File>, FileError> {
    let give_up = Instant::now().checked_add(deadline);
    let mut pause = Duration::from_millis(1);
    let mut file = file;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(lock),
            Err((returned, Errno::EINTR)) => file = returned,
            Err((returned, Errno::EWOULDBLOCK)) => {
                let now = Instant::now();
                if give_up.is_some_and(|t| now >= t) {
                    return Err(FileError::LockTimeout {
                        seconds: deadline.as_secs(),
                    });
                }
                let left = give_up.map_or(pause, |t| t - now);
                std::thread::sleep(pause.min(left));
                pause = (pause * 2).min(MAX_PAUSE);
                file = returned;
            }
            Err((_, errno)) => return Err(FileError::Io(errno.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_times_out_and_is_taken_once_free() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        // Two opens are two open file descriptions: their flocks conflict
        // even within one process.
        let first = exclusive(open(&path).unwrap(), DEADLINE).unwrap();
        let err = exclusive(open(&path).unwrap(), Duration::from_millis(30)).unwrap_err();
        assert!(matches!(err, FileError::LockTimeout { .. }), "{err}");
        drop(first);
        exclusive(open(&path).unwrap(), Duration::ZERO).unwrap();
    }

    #[test]
    fn a_directory_can_be_locked() {
        let dir = tempfile::tempdir().unwrap();
        let first = exclusive(File::open(dir.path()).unwrap(), DEADLINE).unwrap();
        let second = exclusive(File::open(dir.path()).unwrap(), Duration::ZERO);
        assert!(second.is_err());
        drop(first);
    }

    #[test]
    fn a_symlinked_lock_file_is_refused_and_its_target_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let link = dir.path().join("lock");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = open(&link).unwrap_err();
        assert_eq!(err.to_string(), "it is a symbolic link, not a regular file");
        assert!(!target.exists());
    }

    #[test]
    fn a_fifo_lock_file_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let err = open(&path).unwrap_err();
        assert_eq!(err.to_string(), "it is a FIFO, not a regular file");
    }
}
