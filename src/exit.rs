//! Exit codes, decided in one place.
//!
//! Codes follow sysexits.h where one fits. An action's own exit code is
//! passed through unchanged, so these are only what waybill itself
//! reports. docs/exit-codes.md is the table users read; keep them equal.

/// Success.
pub const OK: u8 = 0;
/// `waybill update|validate|monitor|metrics`: at least one container's
/// step failed, timed out, found no tool, hit an engine error, or was not
/// reached. (`container` passes its method's own codes through instead.)
pub const FAILED: u8 = 1;
/// The command line was wrong (sysexits EX_USAGE).
pub const USAGE: u8 = 64;
/// A record is malformed: bad JSON, wrong types, not UTF-8, too large
/// (EX_DATAERR). Reports still show every good record.
pub const DATAERR: u8 = 65;
/// The metadata directory, or a named input file, is missing, empty or
/// unreadable (EX_NOINPUT). For `waybill ls`: nothing matched the
/// names and filters given.
pub const NOINPUT: u8 = 66;
/// The image declares no method for the requested action (EX_UNAVAILABLE).
/// For `waybill`: the Docker engine cannot be reached, or has no such image.
pub const UNAVAILABLE: u8 = 69;
/// An internal error: a bug (EX_SOFTWARE).
pub const SOFTWARE: u8 = 70;
/// The operating system refused: fork, signals, process groups (EX_OSERR).
pub const OSERR: u8 = 71;
/// A record or state file could not be written (EX_CANTCREAT).
pub const CANTCREAT: u8 = 73;
/// Reading or writing failed part-way (EX_IOERR).
pub const IOERR: u8 = 74;
/// Another UPDATE holds the update lock; try again later. Or the latest
/// UPDATE already brought the pushed revision (EX_TEMPFAIL).
pub const TEMPFAIL: u8 = 75;
/// The METRICS method printed something that is not Prometheus text
/// exposition (EX_PROTOCOL).
pub const PROTOCOL: u8 = 76;
/// The declared method cannot be executed: not found, or not executable
/// (EX_CONFIG). Distinct from 126/127, which `docker exec` uses when the
/// image has no `container` binary at all.
pub const CONFIG: u8 = 78;
/// The action ran past its timeout and its process group was killed.
/// The same code coreutils `timeout` uses.
pub const TIMEOUT: u8 = 124;
/// `waybill update|validate|monitor|metrics` stopped by SIGINT (Ctrl-C):
/// nothing new was started, and the summary was still printed. 128 + 2,
/// as a shell reports a command that SIGINT ended.
pub const INTERRUPTED: u8 = 130;
/// A child killed by signal N is reported as `SIGNALED_BASE + N`, as
/// shells do: 143 for SIGTERM.
pub const SIGNALED_BASE: u8 = 128;

/// Prints a command-line error, or the help or version text that clap
/// reports the same way, and returns the exit code for it: [`USAGE`] for
/// an error, [`OK`] for `--help` and `--version`, and [`IOERR`] when the
/// help cannot be written (the [`crate::output`] policy).
pub fn clap_error(program: &str, err: &clap::Error) -> u8 {
    let text = err.render().to_string();
    if err.use_stderr() {
        crate::output::stderr(&text);
        return USAGE;
    }
    match crate::output::stdout(text.as_bytes()) {
        Ok(()) => OK,
        Err(e) => {
            crate::output::stderr_line(format_args!(
                "{program}: error: failed to write to standard output: {e}"
            ));
            IOERR
        }
    }
}

/// The MONITOR action's codes: Nagios plugin conventions.
pub mod nagios {
    pub const OK: u8 = 0;
    pub const WARNING: u8 = 1;
    pub const CRITICAL: u8 = 2;
    pub const UNKNOWN: u8 = 3;
}
