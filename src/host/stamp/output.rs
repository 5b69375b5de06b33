//! Writing the stamp where it was asked for: standard output, or a file
//! replaced atomically.
//!
//! The file is written to a temporary sibling, flushed to disk and renamed
//! over the target, so a reader (a `docker build` running next) never sees
//! half a record. This module does not decide what to write.

use crate::host::error::HostError;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `text` to `path` atomically, or to standard output when `path`
/// is `None`.
pub fn write(path: Option<&Path>, text: &str) -> Result<(), HostError> {
    match path {
        Some(path) => write_file(path, text).map_err(|source| HostError::WriteOutput {
            path: path.to_path_buf(),
            source,
        }),
        None => crate::output::stdout(text.as_bytes()).map_err(HostError::Stdout),
    }
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let temp = temp_sibling(path);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// `.NAME.waybill-PID.tmp` next to `path`.
fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stamp".into());
    path.with_file_name(format!(".{name}.waybill-{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
