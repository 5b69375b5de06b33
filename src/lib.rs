//! waybill: containers that carry their own operating manual.
//!
//! The crate has two programs. `container` runs inside an image: it reads
//! the records every ancestor image stamped into it ([`record`], [`stack`])
//! and runs the image's lifecycle actions ([`container`]). `waybill` runs
//! on the host: it stamps records in CI and drives containers through the
//! Docker engine ([`host`], behind the default `host` feature). Both
//! write, read and lock their files through [`files`].
//!
//! The `container` side never depends on the `host` side: a build with
//! `--no-default-features` compiles no tokio, bollard, git2 or HTTP code.
//! Both programs share the small modules that print ([`output`]), make
//! untrusted text safe to show ([`safe_text`]), read Prometheus text
//! ([`prometheus`]), check Nagios performance data ([`nagios`]) and
//! model and render the examine report ([`report`]).

pub mod container;
pub mod exit;
pub mod files;
pub mod nagios;
pub mod output;
pub mod prometheus;
pub mod record;
pub mod report;
pub mod safe_text;
pub mod stack;

#[cfg(feature = "host")]
pub mod host;
