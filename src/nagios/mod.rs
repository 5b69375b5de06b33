//! The Nagios plugin output format, as far as `container --monitor`
//! checks it: the performance data after `|` ([`perfdata`]). Lean: std
//! only, as it is built into the small `container` binary. It does not
//! judge the status text or the exit code (the exit code is mapped in
//! `container::action_run`).

pub mod perfdata;
