//! `container record FILE`: file one image's record at the next position.
//!
//! Runs at image build time, usually as an exec-form `RUN`, so it needs no
//! shell. The record is validated first and refused with the reason if it
//! is bad; nothing is written in that case. The file is stored byte for
//! byte as given, so fields this version does not know survive untouched.
//!
//! The position is one more than the highest already in the directory:
//! the base's records were filed when the base was built, so a derived
//! image always lands after them, whatever the build times say.

use super::{warn, ContainerError, Context};
use crate::exit;
use crate::record::{read_file, ReadError};
use crate::stack::{position_of, record_file_name};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub fn run(ctx: &Context, file: &Path) -> Result<u8, ContainerError> {
    let mut bytes = Vec::new();
    let record = read_file(file, &mut bytes).map_err(|e| match e {
        ReadError::Io(source) => ContainerError::ReadRecordFile {
            path: file.to_path_buf(),
            source,
        },
        ReadError::Invalid(source) => ContainerError::InvalidRecord {
            path: file.to_path_buf(),
            source,
        },
    })?;
    if let Some(warning) = record.newer_schema_warning() {
        warn(format!("`{}`: {warning}", file.display()));
    }
    let dir = &ctx.meta_dir;
    let write_error = |source| ContainerError::WriteRecord {
        dir: dir.clone(),
        source,
    };
    fs::create_dir_all(dir).map_err(write_error)?;
    let path = file_at_next_position(dir, &record.project, &bytes).map_err(write_error)?;
    crate::output::stdout_line(format_args!(
        "filed record for `{}` as {}",
        crate::safe_text::Escaped(&record.project),
        crate::safe_text::Escaped(path.display())
    ))
    .map_err(ContainerError::Output)?;
    Ok(exit::OK)
}

/// Writes `bytes` as a new file after the highest position in `dir`.
/// `create_new` makes the claim on a position atomic; if another writer
/// got there first, the next position is tried.
fn file_at_next_position(dir: &Path, project: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let mut position = highest_position(dir)? + 1;
    loop {
        let path = dir.join(record_file_name(position, project));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut out) => {
                let written = out.write_all(bytes).and_then(|()| out.sync_all());
                if let Err(e) = written {
                    // Never leave half a record behind.
                    let _ = fs::remove_file(&path);
                    return Err(e);
                }
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => position += 1,
            Err(e) => return Err(e),
        }
    }
}

fn highest_position(dir: &Path) -> io::Result<u32> {
    let mut highest = 0;
    for entry in fs::read_dir(dir)? {
        if let Some(position) = position_of(&entry?.file_name().to_string_lossy()) {
            highest = highest.max(position);
        }
    }
    Ok(highest)
}
