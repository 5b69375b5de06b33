//! Files both programs write, read and lock, each the one careful way.
//!
//! - [`atomic`]: writing a whole file. A regular file is replaced
//!   atomically (temporary file beside it, fsync, rename, fsync of the
//!   directory); anything else is written in place, as a shell redirection
//!   would, or refused. A device, FIFO, socket or symlink is never
//!   replaced. Every writer in `container` and `waybill` comes through
//!   here.
//! - [`read`]: reading a small file that must be a regular file, within a
//!   size cap, without ever waiting on a FIFO or a device.
//! - [`lock`]: an exclusive `flock` taken within a deadline.
//!
//! Nothing here knows what the files hold or where they live: callers
//! choose the paths, caps and deadlines and name the file in their own
//! errors. Record files have their own reader, [`crate::record::read_file`].

pub mod atomic;
mod error;
pub mod lock;
pub mod read;

pub use error::{kind_of, FileError};
