//! Writing a whole file: the one way both programs write their files.
//!
//! [`write()`] follows one rule, the way a shell redirection treats a path,
//! except that a regular file is never left half written:
//!
//! - a regular file, or no file yet, is replaced atomically: the bytes go
//!   to a temporary file in the same directory, which is fsynced and
//!   renamed over the target, and then the directory is fsynced, so a
//!   reader sees the old contents or the new, and a crash loses neither.
//!   The replacement keeps the old file's permission bits (and, where
//!   allowed, its owner);
//! - a symlink is followed, as `>` follows it: its target is written (or
//!   created) and the link itself is kept;
//! - a FIFO or a device (`/dev/stdout` on a pipe or a terminal,
//!   `/dev/full`) is opened and written in place, never replaced. Opening
//!   a FIFO waits for a reader, as `>` does;
//! - a socket or a directory is refused.
//!
//! [`create_new`] is for a file that must not exist yet (filing a record
//! claims its position by name): the same durability steps, no rename.
//!
//! Nothing here locks: callers that read, change and write back hold their
//! own lock ([`super::lock`]).

use super::{kind_of, FileError};
use std::fs::{self, File, FileType, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How many symlinks are followed before giving up, as the kernel does.
const MAX_LINKS: usize = 40;

/// Writes `bytes` as the whole content of `path`, by the rule above.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    // `metadata` follows symlinks the way `open` would, including the
    // kernel's /proc/self/fd links behind /dev/stdout.
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => replace(&link_target(path)?, bytes),
        Ok(meta) if in_place(meta.file_type()) => write_in_place(path, bytes),
        Ok(meta) => Err(FileError::Unwritable {
            kind: kind_of(meta.file_type()),
        }),
        // No file yet, or a symlink to none: create what `>` would.
        Err(e) if e.kind() == io::ErrorKind::NotFound => replace(&link_target(path)?, bytes),
        Err(e) => Err(e.into()),
    }
}

/// Creates `path`, which must not exist yet, holding `bytes`, and makes it
/// durable (file and directory fsynced). On any failure nothing is left
/// behind. An existing file is `AlreadyExists`, for the caller to choose
/// another name.
pub fn create_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let written = write_durably(&mut file, bytes).and_then(|()| sync_dir(path));
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

fn in_place(file_type: FileType) -> bool {
    file_type.is_fifo() || file_type.is_char_device() || file_type.is_block_device()
}

/// The path a chain of symlinks ends at, whether or not a file is there
/// yet. A path that is not a symlink is its own target.
fn link_target(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // A relative target is relative to the link's directory;
                // an absolute one replaces the path.
                let target = fs::read_link(&path)?;
                path = parent_dir(&path).join(target);
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::from_raw_os_error(nix::libc::ELOOP))
}

/// Replaces the regular file at `path` (or creates it) atomically.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let old = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Some(meta),
        // Something else appeared since the caller looked: never rename
        // over it.
        Ok(meta) => {
            return Err(FileError::Unwritable {
                kind: kind_of(meta.file_type()),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let (temp, mut file) = create_temp_beside(path)?;
    let result = keep_owner_and_mode(&file, old.as_ref())
        .and_then(|()| write_durably(&mut file, bytes))
        .and_then(|()| fs::rename(&temp, path))
        .and_then(|()| sync_dir(path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    Ok(result?)
}

/// Writes to a FIFO or device as `>` would: opened without creating or
/// truncating, not fsynced (most devices cannot be).
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let mut file = OpenOptions::new()
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(path)?;
    if file.metadata()?.is_file() {
        // Swapped for a regular file since it was looked at: replace that
        // instead of leaving the old tail behind it.
        drop(file);
        return replace(&link_target(path)?, bytes);
    }
    file.write_all(bytes)?;
    Ok(())
}

fn write_durably(file: &mut File, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the rename (or creation) of `path` durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(parent_dir(path))?.sync_all()
}

/// The directory `path` is in; `.` for a bare file name.
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A new, uniquely named hidden file next to `path`:
/// `.NAME.waybill-PID-N.tmp`.
fn create_temp_beside(path: &Path) -> io::Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    // Short enough that the temporary name stays within NAME_MAX.
    let name: String = name.to_string_lossy().chars().take(64).collect();
    let pid = std::process::id();
    let mut attempt = 0;
    loop {
        let temp = parent_dir(path).join(format!(".{name}.waybill-{pid}-{attempt}.tmp"));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            // Left behind by an earlier process with the same pid.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Gives the replacement the replaced file's owner (when the process may)
/// and permission bits, as writing into it would have kept them.
fn keep_owner_and_mode(file: &File, old: Option<&Metadata>) -> io::Result<()> {
    let Some(old) = old else { return Ok(()) };
    // Only root may give a file away; anyone else keeps their own.
    let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    file.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_a_regular_file_keeping_its_mode_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "old contents").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
        assert_eq!(names(dir.path()), ["f"]);
    }

    #[test]
    fn creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn follows_a_chain_of_relative_symlinks_and_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/target"), "old").unwrap();
        std::os::unix::fs::symlink("target", dir.path().join("sub/inner")).unwrap();
        std::os::unix::fs::symlink("sub/inner", dir.path().join("outer")).unwrap();
        write(&dir.path().join("outer"), b"new").unwrap();
        assert_eq!(fs::read(dir.path().join("sub/target")).unwrap(), b"new");
        assert!(fs::symlink_metadata(dir.path().join("outer"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(names(&dir.path().join("sub")), ["inner", "target"]);
    }

    #[test]
    fn a_symlink_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        assert!(write(&dir.path().join("a"), b"x").is_err());
        assert_eq!(names(dir.path()), ["a", "b"]);
    }

    #[test]
    fn writes_a_character_device_in_place() {
        write(Path::new("/dev/null"), b"gone").unwrap();
        let err = write(Path::new("/dev/full"), b"x").unwrap_err();
        assert_eq!(
            err.to_string(),
            io::Error::from_raw_os_error(nix::libc::ENOSPC).to_string()
        );
    }

    #[test]
    fn a_socket_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let err = write(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("a socket"), "{err}");
        assert!(fs::symlink_metadata(&path).unwrap().file_type().is_socket());
        assert_eq!(names(dir.path()), ["sock"]);
    }

    #[test]
    fn create_new_refuses_an_existing_file_and_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        create_new(&path, b"first").unwrap();
        let err = create_new(&path, b"second").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
    }
}
