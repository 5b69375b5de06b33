//! Why a report read back from `container --examine --json` was refused.

use super::REPORT_VERSION;

/// Each message says what was wrong with the report as a whole; the
/// caller names the container it came from.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "examine report is {size} bytes, over the limit of {} bytes",
        super::MAX_REPORT_BYTES
    )]
    TooLarge { size: usize },
    #[error("examine report is not valid JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("examine report must be a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("output has no `report_version`: not a waybill examine report")]
    NoVersion,
    #[error("examine report has `report_version` {found}, expected a whole number")]
    BadVersion { found: String },
    #[error(
        "examine report version {found} is older than version {REPORT_VERSION}, which this \
         program reads: the image's `container` tool is older; rebuild the image on a newer \
         waybill base"
    )]
    Older { found: u64 },
    #[error(
        "examine report version {found} is newer than version {REPORT_VERSION}, which this \
         program reads: upgrade waybill"
    )]
    Newer { found: u64 },
    #[error("examine report does not match version {REPORT_VERSION}: {0}")]
    Invalid(serde_json::Error),
}
