//! `container record FILE`: file one image's record at the next position.
//!
//! Runs at image build time, usually as an exec-form `RUN`, so it needs no
//! shell. The record is validated first and refused with the reason if it
//! is bad; nothing is written in that case. The file is stored byte for
//! byte as given, so fields this version does not know survive untouched.
//!
//! The position is one more than the highest already in the directory:
//! the base's records were filed when the base was built, so a derived
//! image always lands after them, whatever the build times say. Filers
//! take turns through an `flock` on the metadata directory itself (a lock
//! file there would be read as a record), waited for at most
//! [`lock::DEADLINE`]: so concurrent filers get distinct positions, in the
//! order they file. Past the largest position (`u32::MAX`) nothing is
//! filed: positions never wrap.

use super::{warn, ContainerError, Context};
use crate::exit;
use crate::files::{atomic, lock, FileError};
use crate::record::{read_file, ReadError};
use crate::stack::{prefix_of, record_file_name, Prefix};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// How many positions are tried when a filer that does not take the lock
/// (an older `container`) claims one at the same moment.
const ATTEMPTS: usize = 10;

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
    fs::create_dir_all(dir).map_err(cannot_write(dir))?;
    let path = file_at_next_position(dir, &record.project, &bytes)?;
    crate::output::stdout_line(format_args!(
        "filed record for `{}` as {}",
        crate::safe_text::Escaped(&record.project),
        crate::safe_text::Escaped(path.display())
    ))
    .map_err(ContainerError::Output)?;
    Ok(exit::OK)
}

/// Writes `bytes` as a new file after the highest position in `dir`,
/// holding the directory's lock. `create_new` still guards the claim, for
/// filers that do not lock.
fn file_at_next_position(
    dir: &Path,
    project: &str,
    bytes: &[u8],
) -> Result<PathBuf, ContainerError> {
    let _turn = File::open(dir)
        .map_err(FileError::Io)
        .and_then(|handle| lock::exclusive(handle, lock::DEADLINE))
        .map_err(|e| match e {
            FileError::LockTimeout { seconds } => ContainerError::FilingLocked {
                dir: dir.to_path_buf(),
                seconds,
            },
            FileError::Io(source) => cannot_write(dir)(source),
            other => cannot_write(dir)(io::Error::other(other)),
        })?;
    let mut attempt = 1;
    loop {
        let path = dir.join(record_file_name(next_position(dir)?, project));
        match atomic::create_new(&path, bytes) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < ATTEMPTS => {
                attempt += 1
            }
            Err(e) => return Err(cannot_write(dir)(e)),
        }
    }
}

/// One more than the highest position in `dir`, or an error naming the
/// file that leaves no position after it.
fn next_position(dir: &Path) -> Result<u32, ContainerError> {
    let no_position_after = |file: String| ContainerError::NoPositionLeft {
        dir: dir.to_path_buf(),
        file,
    };
    let mut highest: Option<(u32, String)> = None;
    for entry in fs::read_dir(dir).map_err(cannot_write(dir))? {
        let entry = entry.map_err(cannot_write(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        match prefix_of(&name) {
            Prefix::At(position) if highest.as_ref().map_or(true, |(h, _)| position > *h) => {
                highest = Some((position, name));
            }
            Prefix::OutOfRange => return Err(no_position_after(name)),
            Prefix::At(_) | Prefix::Unnumbered => {}
        }
    }
    match highest {
        None => Ok(1),
        Some((position, name)) => position
            .checked_add(1)
            .ok_or_else(|| no_position_after(name)),
    }
}

fn cannot_write(dir: &Path) -> impl Fn(io::Error) -> ContainerError + '_ {
    move |source| ContainerError::WriteRecord {
        dir: dir.to_path_buf(),
        source,
    }
}
