//! The documented limits of a record, in one place.
//!
//! [`Record::from_slice`](super::Record::from_slice) enforces every one of
//! them, and it is the only gate: `container record`, the metadata
//! directory, `waybill stamp --record` and `waybill stamp` itself (which
//! runs the record it built through the same gate before writing it) all
//! refuse exactly the same records with the same reasons. docs/metadata.md
//! lists them for users. This module only states the numbers; the checks
//! sit where each value is read.
//!
//! Besides the numbers below, two rules have no number:
//! - a method (path or argv element) must not contain a NUL byte, which
//!   no program can be executed with;
//! - no JSON object in a record may hold the same key twice, at any depth.

/// The largest record file waybill reads.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;

/// How deeply JSON may nest inside a record, counting the record object
/// itself as level 1: `{"user_metadata": {"a": 1}}` is 2 levels deep.
///
/// serde_json refuses text nested deeper than 128 levels, and a record is
/// nested further by what carries it (the `io.waybill.stack` label is an
/// array of records, `--examine --json` puts records three levels down),
/// so the limit leaves room below that.
pub const MAX_DEPTH: usize = 64;

/// The longest `project`, in characters.
///
/// A record is filed as `NNNN-<project>.json`, every character of the
/// project becoming one byte of the name, and a file name has at most 255
/// bytes. With a position of up to 10 digits (`u32::MAX`), 255 - 10 - 6
/// (`-` and `.json`) leaves 239.
pub const MAX_PROJECT_CHARS: usize = 239;

/// The earliest time a `build_time` can hold: 0000-01-01 00:00:00 UTC.
/// Its layout, `YYYY-MM-DD HH:MM:SS`, has room for four digits of year.
pub const EARLIEST_BUILD_EPOCH: i64 = -62_167_219_200;

/// The latest time a `build_time` can hold: 9999-12-31 23:59:59 UTC.
pub const LATEST_BUILD_EPOCH: i64 = 253_402_300_799;

/// The longest `description`, in characters: a paragraph, as registries
/// show one.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;

/// The longest `licenses` SPDX expression, in characters.
pub const MAX_LICENSES_CHARS: usize = 1024;
