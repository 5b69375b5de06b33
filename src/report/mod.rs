//! The examine report: its model and its text rendering, shared by both
//! programs.
//!
//! `container --examine` gathers a [`Report`] inside the container
//! ([`crate::container::examine`]) and prints it as text ([`render`]) or
//! as JSON (the same data serialised). The host reads that JSON back with
//! [`Report::from_json`] and renders it with the same [`render`], so both
//! programs print the same report. Everything here is owned data with no
//! I/O: gathering, state files and the `container:` message prefix stay
//! on the container side.
//!
//! On the host, [`render_html`] shows the same report as HTML for the
//! fleet page of `waybill serve`.
//!
//! The JSON shape is documented in docs/metadata.md; change both together
//! and bump [`REPORT_VERSION`] when the change is incompatible.

mod build;
mod error;
/// The HTML form, for `waybill serve`'s container page (host only).
#[cfg(feature = "host")]
mod html;
mod render;
mod runtime;

pub use error::ReportError;
#[cfg(feature = "host")]
pub use html::{render_html, shown_lines, time_text};
pub use render::render;
pub use runtime::{
    ActionResult, Outcome, Runtime, DEPLOY_VARS, PUSH_REF_VAR, PUSH_REPOSITORY_VAR,
    PUSH_REVISION_VAR,
};

use crate::record::{Method, Record};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped when the JSON shape changes incompatibly.
pub const REPORT_VERSION: u32 = 1;

/// The largest report [`Report::from_json`] reads. A report carries every
/// record of an image (each at most [`crate::record::MAX_RECORD_BYTES`]);
/// real ones are a few kilobytes.
pub const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub meta_dir: String,
    pub runtime: Runtime,
    /// The effective method of every action, by action key; `null` when
    /// no image declares one.
    pub methods: BTreeMap<String, Option<EffectiveMethod>>,
    /// Every image whose record parsed, oldest first.
    pub images: Vec<ImageReport>,
    /// Records that could not be used.
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EffectiveMethod {
    pub method: Method,
    pub timeout_seconds: Option<u64>,
    /// The image that declared it.
    pub source: ImageRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRef {
    pub position: Option<u32>,
    pub file: String,
    pub project: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageReport {
    pub position: Option<u32>,
    pub file: String,
    /// Read back through [`Record::from_slice`], with all its checks.
    #[serde(deserialize_with = "record_through_the_gate")]
    pub record: Record,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub file: String,
    pub path: String,
    pub error: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Report {
    /// Reads the output of `container --examine --json`. The version is
    /// checked before the shape, so a `container` older or newer than
    /// this program gets a message saying so rather than a parse error
    /// about some field.
    pub fn from_json(bytes: &[u8]) -> Result<Report, ReportError> {
        if bytes.len() > MAX_REPORT_BYTES {
            return Err(ReportError::TooLarge { size: bytes.len() });
        }
        if !bytes.trim_ascii_start().starts_with(b"{") {
            // Derived readers also take an array for a struct: say what
            // it is instead.
            return Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(other) => ReportError::NotAnObject {
                    found: crate::record::json_kind(&other),
                },
                Err(e) => ReportError::NotJson(e),
            });
        }
        /// Only the version; every other member is skipped unread.
        #[derive(Deserialize)]
        struct Version {
            report_version: Option<serde_json::Value>,
        }
        let version: Version = serde_json::from_slice(bytes).map_err(ReportError::NotJson)?;
        match version.report_version {
            None | Some(serde_json::Value::Null) => return Err(ReportError::NoVersion),
            Some(found) => match found.as_u64() {
                Some(v) if v == u64::from(REPORT_VERSION) => {}
                Some(v) if v < u64::from(REPORT_VERSION) => {
                    return Err(ReportError::Older { found: v })
                }
                Some(v) => return Err(ReportError::Newer { found: v }),
                None => {
                    return Err(ReportError::BadVersion {
                        found: found.to_string(),
                    })
                }
            },
        }
        serde_json::from_slice(bytes).map_err(ReportError::Invalid)
    }
}

/// Reads a reported record through [`Record::from_slice`], the gate
/// every record file passes: its size limit too, which `Record`'s own
/// `Deserialize` cannot see (it is given values, not bytes). Positions
/// are left to the report's parser, which knows where in the report the
/// record sits.
fn record_through_the_gate<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Record, D::Error> {
    let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
    Record::from_slice(raw.get().as_bytes())
        .map_err(|e| serde::de::Error::custom(format_args!("record: {}", e.reason())))
}

#[cfg(test)]
mod tests;
