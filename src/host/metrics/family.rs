//! Metric families: which family a sample line belongs to, and which
//! sample names a family owns.
//!
//! The rules are those of the Prometheus text parser that `promtool`
//! uses: a sample whose name is a family's own belongs to it; otherwise
//! `X_bucket` belongs to histogram `X`, and `X_sum` and `X_count` to
//! histogram or summary `X`; any other name starts an untyped family of
//! its own (a `gauge_histogram`'s `X_bucket`, `X_gcount` and `X_gsum`
//! too). A family declared without a TYPE line is untyped.

use crate::prometheus::MetricType;

/// The sample names family `name` of `kind` takes: its own, plus the
/// suffixed series of a histogram or summary. Two families of a merged
/// exposition must not share any, or a reader would file samples of one
/// under the other.
pub fn owned_names(name: &str, kind: MetricType) -> Vec<String> {
    let suffixes: &[&str] = match kind {
        MetricType::Histogram => &["_bucket", "_sum", "_count"],
        MetricType::Summary => &["_sum", "_count"],
        // A gauge histogram's `_bucket`, `_gcount` and `_gsum` are
        // families of their own to promtool's parser.
        MetricType::Counter
        | MetricType::Gauge
        | MetricType::Untyped
        | MetricType::GaugeHistogram => &[],
    };
    std::iter::once(name.to_owned())
        .chain(suffixes.iter().map(|s| format!("{name}{s}")))
        .collect()
}

/// The families a sample named `sample` may belong to by its suffix:
/// each base name with the kinds of family that take that suffix
/// (`x_count`: `x`, if a histogram or summary).
pub fn parent(sample: &str) -> impl Iterator<Item = (&str, &'static [MetricType])> {
    const HISTOGRAM: &[MetricType] = &[MetricType::Histogram];
    const BOTH: &[MetricType] = &[MetricType::Histogram, MetricType::Summary];
    [("_bucket", HISTOGRAM), ("_sum", BOTH), ("_count", BOTH)]
        .into_iter()
        .filter_map(move |(suffix, kinds)| sample.strip_suffix(suffix).map(|base| (base, kinds)))
}
