//! Reading a small file that must be a regular file, with every wait and
//! every byte bounded.
//!
//! A FIFO would make a plain read wait for a writer for ever, a device
//! can be endless (`/dev/zero`), and a symlink can point anywhere. So the
//! path is looked at without following it, opened with `O_NOFOLLOW` and
//! `O_NONBLOCK` (opening a FIFO then returns at once), looked at again
//! through the open descriptor (it may have been swapped in between), and
//! read up to one byte past the cap. This module does not parse what it
//! reads.

use super::{kind_of, FileError};
use std::fs::{self, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The bytes of the regular file at `path`, if it holds at most `cap`
/// bytes. A missing file is [`FileError::Io`] with `NotFound`
/// ([`FileError::is_not_found`]); a symlink, FIFO, device, socket or
/// directory is [`FileError::NotRegular`]; a larger file is
/// [`FileError::TooLarge`].
pub fn regular(path: &Path, cap: u64) -> Result<Vec<u8>, FileError> {
    // Looked at before opening, so a device is never even opened (opening
    // some devices has effects of its own).
    check(&fs::symlink_metadata(path)?, cap)?;
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(FileError::from_nofollow_open)?;
    let meta = file.metadata()?;
    check(&meta, cap)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // One byte past the cap tells a file that grew since it was looked at.
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge { cap });
    }
    Ok(bytes)
}

fn check(meta: &Metadata, cap: u64) -> Result<(), FileError> {
    if !meta.file_type().is_file() {
        return Err(FileError::NotRegular {
            kind: kind_of(meta.file_type()),
        });
    }
    if meta.len() > cap {
        return Err(FileError::TooLarge { cap });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "12345").unwrap();
        assert_eq!(regular(&path, 5).unwrap(), b"12345");
        assert!(matches!(
            regular(&path, 4),
            Err(FileError::TooLarge { cap: 4 })
        ));
    }

    #[test]
    fn a_missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(regular(&dir.path().join("none"), 5)
            .unwrap_err()
            .is_not_found());
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let err = regular(&path, 5).unwrap_err();
        assert_eq!(err.to_string(), "it is a FIFO, not a regular file");
    }

    #[test]
    fn a_symlink_is_refused_even_to_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = regular(&link, 5).unwrap_err();
        assert_eq!(err.to_string(), "it is a symbolic link, not a regular file");
    }

    #[test]
    fn a_device_is_refused() {
        let err = regular(Path::new("/dev/zero"), 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is a character device, not a regular file"
        );
    }
}
