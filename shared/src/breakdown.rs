//! A breakdown (`by=tg|az`): the series with the most errors are drawn, the
//! rest merged into one "others" series, and every one ranked.

use std::collections::BTreeMap;

use crate::api::{Ranked, Series};

/// The id of the series that sums a breakdown's smaller series.
pub const OTHERS_ID: &str = "others";

/// Keeps the `top` series with the largest totals (ties: by label) and merges
/// the rest, bucket by bucket, into one "others" series: summed for counts
/// (Sum, SampleCount), the highest value for other statistics. Returns the
/// series to draw and the ranking of all of them.
pub fn keep_top(mut series: Vec<Series>, top: usize) -> (Vec<Series>, Vec<Ranked>) {
    let total = |s: &Series| s.values.iter().flatten().sum::<f64>();
    series.sort_by(|a, b| total(b).total_cmp(&total(a)).then_with(|| a.label.cmp(&b.label)));
    let ranking = series
        .iter()
        .enumerate()
        .map(|(rank, s)| Ranked {
            id: s.id.clone(),
            label: s.label.clone(),
            dimensions: s.dimensions.clone(),
            total: total(s),
            worst: crate::summary::worst(std::slice::from_ref(s)),
            drawn: rank < top,
        })
        .collect();
    if series.len() <= top {
        return (series, ranking);
    }
    let rest = series.split_off(top);
    let additive = rest[0].stat.missing_means_zero();
    let mut values: Vec<Option<f64>> = vec![None; rest[0].values.len()];
    for one in &rest {
        for (merged, value) in values.iter_mut().zip(&one.values) {
            if let Some(value) = value {
                *merged = Some(match merged {
                    Some(so_far) if additive => *so_far + value,
                    Some(so_far) => so_far.max(*value),
                    None => *value,
                });
            }
        }
    }
    let how = if additive { "sum" } else { "highest" };
    series.push(Series {
        id: OTHERS_ID.to_string(),
        label: format!("others ({how} of {})", rest.len()),
        metric: rest[0].metric,
        stat: rest[0].stat,
        dimensions: BTreeMap::new(),
        timestamps: rest[0].timestamps.clone(),
        values,
        per_thousand: None,
    });
    (series, ranking)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::series;

    #[test]
    fn the_top_series_are_kept_and_the_rest_summed_as_others() {
        let all = vec![
            series("a", "Sum", &[Some(1.0), Some(0.0)]),
            series("b", "Sum", &[Some(5.0), Some(5.0)]),
            series("c", "Sum", &[Some(2.0), None]),
            series("d", "Sum", &[Some(0.0), Some(3.0)]),
        ];
        let (drawn, ranking) = keep_top(all, 2);
        let labels: Vec<&str> = drawn.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, vec!["b", "d", "others (sum of 2)"]);
        assert_eq!(drawn[2].values, vec![Some(3.0), Some(0.0)]);
        assert_eq!(drawn[2].id, OTHERS_ID);
        let ranked: Vec<(&str, f64, bool)> = ranking.iter().map(|r| (r.label.as_str(), r.total, r.drawn)).collect();
        assert_eq!(ranked, vec![("b", 10.0, true), ("d", 3.0, true), ("c", 2.0, false), ("a", 1.0, false)]);
    }

    #[test]
    fn others_of_a_maximum_is_the_highest_value_not_a_sum() {
        let all = vec![
            series("a", "Maximum", &[Some(9.0)]),
            series("b", "Maximum", &[Some(2.0)]),
            series("c", "Maximum", &[Some(3.0)]),
        ];
        let (drawn, _) = keep_top(all, 1);
        assert_eq!(drawn[1].values, vec![Some(3.0)]);
        assert!(drawn[1].label.starts_with("others (highest"));
    }
}
