//! What a view asks of a source: one [`Query`] per series (a metric with one
//! dimension combination), the denominators rates need, and the ids that tie
//! each query to the series of the answer (`m<i>` for error series, `r<i>`
//! for their rates). One scheme, so the source, the answer and the rates
//! cannot number series differently.

use crate::catalog::Metric;
use crate::dims::Dimensions;

/// One series asked of a source: a metric with one dimension combination.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Query {
    pub metric: Metric,
    pub dims: Dimensions,
}

impl Query {
    /// Its label on the chart: the readable names of its dimension values,
    /// after the side (`target ·`, `client ·`) when a view shows both metrics.
    pub fn label(&self, with_side: bool) -> String {
        if with_side { format!("{} · {}", self.metric.side(), self.dims.label()) } else { self.dims.label() }
    }
}

/// The id of error series `index` in a response: `m0`, `m1`, … It is also
/// the id of query `index` in a GetMetricData call (ids there must start
/// with a lowercase letter), so an answered query finds its series.
pub fn series_id(index: usize) -> String {
    format!("m{index}")
}

/// The id of the rate series of error series `index`: `r0`, `r1`, …
pub fn rate_id(index: usize) -> String {
    format!("r{index}")
}

/// The index of an error series from its id, if it is one.
pub fn series_index(id: &str) -> Option<usize> {
    id.strip_prefix('m')?.parse().ok()
}

/// Every series a view asks of the source, in one request (so one
/// GetMetricData call): its error series, then, for rates, the denominator
/// of each error series that has one, in the same order.
pub fn with_denominators(rate: bool, errors: &[Query]) -> Vec<Query> {
    let mut queries = errors.to_vec();
    if rate {
        queries.extend(
            errors.iter().filter_map(|q| Some(Query { metric: q.metric.denominator()?, dims: q.dims.clone() })),
        );
    }
    queries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_indexes_are_one_mapping() {
        for index in [0, 7, 499, 500, 1_999] {
            assert_eq!(series_index(&series_id(index)), Some(index));
        }
        assert_eq!(series_index("others"), None);
        assert_eq!(series_index("r3"), None);
        assert_eq!(rate_id(3), "r3");
    }
}
