//! Many containers' METRICS expositions merged into one, plus waybill's
//! own status gauges: what `waybill metrics` prints.
//!
//! [`Merger`] takes each container's output in a stable order (engine,
//! then container name), parses it with the one Prometheus text parser
//! ([`crate::prometheus`], the same one `container --metrics` checks
//! with) and keeps it only if all of it parses: an exposition is merged
//! whole or not at all. Every sample gets `engine`, `container`,
//! `project` and `image` labels; a label of the same name that the
//! container already set is kept as `exported_<name>`, as Prometheus
//! does when it scrapes with `honor_labels: false`. Each family's HELP
//! and TYPE are written once, with its samples from every container
//! grouped under them. A family that a later container gives another
//! TYPE, or whose sample names clash with another family's, is left out
//! for that container and reported: the first container in the order
//! keeps it. [`status`] adds `waybill_monitor_status` and
//! `waybill_validate_ok` from the runtime state `waybill ls --state`
//! reads.
//!
//! No I/O and no engine: [`fleet`] makes the METRICS plan for a
//! selection and merges the runner's report; the caller runs the plan and
//! prints the result. Docs: docs/fleet-metrics.md.

mod family;
pub mod fleet;
mod labels;
mod merge;
mod problem;
pub mod status;

pub use labels::escape_value;
pub use merge::{Merged, Merger, Origin};
pub use problem::{MergeProblem, ProblemKind};

#[cfg(test)]
mod tests;
