//! Writing a program's output, with one policy for every command of both
//! programs, and never a panic.
//!
//! `print!` and `println!` panic when a write fails: `container --examine
//! | head -1` aborted when `head` closed the pipe. Everything either
//! program prints goes through here instead:
//!
//! - **stdout, reader gone** (EPIPE): not an error. The reader has what it
//!   wanted; the rest of the output is dropped without a word and the
//!   command ends with the exit code it would have had otherwise (0 when
//!   all else went well, as ripgrep does; still 65 if records were bad).
//! - **stdout, any other failure** (a full disk, an I/O error): returned,
//!   and the caller's error maps it to exit 74 (EX_IOERR) with a message.
//! - **stderr**: best effort. Warnings and errors that cannot be written
//!   are dropped: there is nowhere left to report that.
//!
//! Rust ignores SIGPIPE, so a closed pipe shows up here as EPIPE rather
//! than killing the process. This module writes what it is given; text
//! from records is escaped by the renderers ([`crate::safe_text`]).

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout's reader has gone; later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to stdout and flushes. A closed pipe is success (see
/// the module docs); any other failure is returned.
pub fn stdout(bytes: &[u8]) -> io::Result<()> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// Writes one formatted line to stdout, as [`stdout`] does.
pub fn stdout_line(line: fmt::Arguments<'_>) -> io::Result<()> {
    stdout(format!("{line}\n").as_bytes())
}

/// Writes one formatted line to stderr in a single write, so lines from
/// processes sharing the terminal do not interleave mid-line. Failures
/// are ignored.
pub fn stderr_line(line: fmt::Arguments<'_>) {
    stderr(&format!("{line}\n"));
}

/// Writes `text` to stderr as it is; failures are ignored.
pub fn stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}
