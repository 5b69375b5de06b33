//! Writing the stamp where it was asked for: standard output, or the
//! `--output` path.
//!
//! The path is written through [`crate::files::atomic::write`]: a regular
//! file is replaced atomically, so a reader (a `docker build` running next)
//! never sees half a record; a FIFO or a device is written in place; a
//! symlink's target is written and the link kept; a socket or directory is
//! refused. A path that names the file standard output already writes to
//! (`/dev/stdout` when stdout is redirected to a file) is written through
//! standard output, so `>>` keeps appending. This module does not decide
//! what to write.

use crate::files::atomic;
use crate::host::error::HostError;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Writes `text` to `path`, or to standard output when `path` is `None`.
pub fn write(path: Option<&Path>, text: &str) -> Result<(), HostError> {
    match path {
        Some(path) if is_standard_output(path) => write_stdout(text),
        Some(path) => {
            atomic::write(path, text.as_bytes()).map_err(|source| HostError::WriteOutput {
                path: path.to_path_buf(),
                source,
            })
        }
        None => write_stdout(text),
    }
}

fn write_stdout(text: &str) -> Result<(), HostError> {
    crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout)
}

/// Whether `path` is the regular file standard output is open on.
/// Replacing that file by rename would leave stdout writing to the old,
/// unlinked one, and would drop what an appending caller wrote before.
fn is_standard_output(path: &Path) -> bool {
    let (Ok(target), Ok(stdout)) = (
        std::fs::metadata(path),
        nix::sys::stat::fstat(std::io::stdout()),
    ) else {
        return false;
    };
    target.is_file() && target.dev() == stdout.st_dev && target.ino() == stdout.st_ino
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("waybill.json");
        fs::write(&path, "old").unwrap();
        write(Some(&path), "new\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_a_write_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/waybill.json");
        let err = write(Some(&path), "x").unwrap_err();
        assert!(matches!(err, HostError::WriteOutput { .. }), "{err}");
        assert_eq!(err.exit_code(), crate::exit::CANTCREAT);
    }
}
