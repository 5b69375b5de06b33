//! Why a record file was refused.
//!
//! Messages name the field and, inside free-form values, the path of the
//! key at fault; they never just say "invalid".

use serde_json::error::Category;

/// A record that does not parse or does not validate. Every variant says
/// where in the file or which field, never just "invalid".
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record is {size} bytes, over the 1 MiB limit")]
    TooLarge { size: u64 },
    #[error("record is not UTF-8: invalid byte at line {line} column {column}")]
    NotUtf8 { line: usize, column: usize },
    #[error("record is not valid JSON: {0}")]
    Syntax(serde_json::Error),
    #[error("record must be a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    /// A field is missing, of the wrong type or out of range.
    #[error("{}{source}", field.map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Invalid {
        field: Option<&'static str>,
        source: serde_json::Error,
    },
}

impl RecordError {
    /// Sorts a parser error into broken JSON and a JSON record that is
    /// not a valid record.
    /// `field` names the field being read when the error happened.
    pub(super) fn from_json(error: serde_json::Error, field: Option<&'static str>) -> RecordError {
        match error.classify() {
            Category::Data => RecordError::Invalid {
                field,
                source: error,
            },
            Category::Syntax | Category::Eof | Category::Io => RecordError::Syntax(error),
        }
    }

    /// The message without the line and column, for a record that exists
    /// only in memory (a stamp being checked before it is written), where
    /// a position would point into text nobody has seen.
    pub fn reason(&self) -> String {
        let message = self.to_string();
        match self.position() {
            Some((line, column)) => message
                .strip_suffix(&format!(" at line {line} column {column}"))
                .map_or_else(|| message.clone(), str::to_owned),
            None => message,
        }
    }

    /// The line and column the problem was found at, when the parser knows.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            RecordError::NotUtf8 { line, column } => Some((*line, *column)),
            RecordError::Syntax(e) | RecordError::Invalid { source: e, .. } if e.line() > 0 => {
                Some((e.line(), e.column()))
            }
            _ => None,
        }
    }
}
