//! What the merge left out, and why.

use serde::Serialize;

/// One container's output, or one of its families, left out of the
/// merged exposition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeProblem {
    pub engine: String,
    pub container: String,
    #[serde(flatten)]
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The exposition does not parse: none of it is merged.
    #[error("METRICS output left out: line {line}: {reason}")]
    Unparsable { line: usize, reason: String },

    /// The output was larger than the caller keeps: none of it is merged.
    #[error("METRICS output left out: it is over {limit} bytes")]
    TooLarge { limit: usize },

    /// The family has another TYPE in a container merged before.
    #[error(
        "family `{family}` left out: it has TYPE {found} here, but {kept_by} gave it TYPE {kept}"
    )]
    TypeConflict {
        family: String,
        found: &'static str,
        kept: &'static str,
        kept_by: String,
    },

    /// One of the family's sample names already belongs to another
    /// family (`x_count` of histogram `x` against a family `x_count`).
    #[error(
        "family `{family}` left out: its sample name `{sample}` belongs to family `{owner}` (from {kept_by})"
    )]
    NameClash {
        family: String,
        sample: String,
        owner: String,
        kept_by: String,
    },
}

impl std::fmt::Display for MergeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}: {}", self.engine, self.container, self.kind)
    }
}
