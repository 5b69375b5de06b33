//! Why a record file was refused.

/// A record that does not parse or does not validate. Every variant says
/// where in the file or which field, never just "invalid".
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record is {size} bytes, over the 1 MiB limit")]
    TooLarge { size: u64 },
    #[error("record is not UTF-8: invalid byte at line {line} column {column}")]
    NotUtf8 { line: usize, column: usize },
    #[error("record is not valid JSON: {source}")]
    Syntax {
        line: usize,
        column: usize,
        source: serde_json::Error,
    },
    #[error("record must be a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("record has no `{field}` field")]
    Missing { field: &'static str },
    #[error("field `{field}`: {reason}")]
    Invalid { field: String, reason: String },
}

impl RecordError {
    /// The line and column the problem was found at, when the parser knows.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            RecordError::NotUtf8 { line, column } | RecordError::Syntax { line, column, .. } => {
                Some((*line, *column))
            }
            _ => None,
        }
    }
}
