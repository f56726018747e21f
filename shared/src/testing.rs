//! Helpers for the crate's unit tests.

use crate::api::Series;
use crate::catalog::Metric;

/// A series of `values` one minute apart from 1,000 s, labelled and
/// identified by `label`.
pub fn series(label: &str, stat: &str, values: &[Option<f64>]) -> Series {
    Series {
        id: label.to_string(),
        label: label.to_string(),
        metric: Metric::TargetTlsNegotiationErrorCount,
        stat: crate::Statistic::parse(stat).expect("a statistic"),
        dimensions: Default::default(),
        timestamps: (0..values.len() as i64).map(|i| 1_000 + i * 60).collect(),
        values: values.to_vec(),
        per_thousand: None,
    }
}
