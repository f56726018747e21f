//! Rates: errors per 1,000 of the traffic they belong to, so a busy load
//! balancer and a quiet one can be compared.

use crate::api::Series;
use crate::catalog::Metric;
use crate::queries::{Query, rate_id, series_index};

/// Errors per 1,000 of a denominator, bucket by bucket: `null` where the
/// denominator is missing or zero.
pub fn per_thousand(errors: &[Option<f64>], denominator: &[Option<f64>]) -> Vec<Option<f64>> {
    errors
        .iter()
        .zip(denominator)
        .map(|(errors, of)| match (errors, of) {
            (Some(errors), Some(of)) if *of > 0.0 => Some(errors / of * 1_000.0),
            _ => None,
        })
        .collect()
}

/// The rate series of the drawn error series (not of "others"): errors per
/// 1,000 of the denominator fetched for the same series, whose values
/// `denominator(i)` gives for error query `i`. Ids `r<i>` match `m<i>`.
pub fn rate_series(drawn: &[Series], errors: &[Query], denominator: impl Fn(usize) -> Vec<Option<f64>>) -> Vec<Series> {
    drawn
        .iter()
        .filter_map(|one| {
            let index = series_index(&one.id)?;
            let of = errors.get(index)?.metric.denominator()?;
            let what = if of == Metric::RequestCount { "requests" } else { "new connections" };
            Some(Series {
                id: rate_id(index),
                label: format!("{} per 1,000 {what}", one.label),
                values: per_thousand(&one.values, &denominator(index)),
                per_thousand: Some(of),
                ..one.clone()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_thousand_and_undefined_without_a_denominator() {
        let rates =
            per_thousand(&[Some(3.0), Some(1.0), Some(0.0), None], &[Some(1_500.0), Some(0.0), None, Some(9.0)]);
        assert_eq!(rates, vec![Some(2.0), None, None, None]);
    }
}
