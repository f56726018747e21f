//! The figures beside the chart: how many errors, the worst bucket, how many
//! buckets had errors and when the last one happened.

use crate::api::{Series, Summary, Worst};

/// Summarises series that share one grid (as every series of a response
/// does). The onset is left to the caller, who finds it once per series
/// (see [`crate::answer`]).
pub fn summarize(series: &[Series]) -> Summary {
    let buckets = series.first().map_or(0, |s| s.timestamps.len());
    let mut total = 0.0;
    let mut with_errors = vec![false; buckets];
    for one in series {
        for (index, value) in one.values.iter().enumerate() {
            let Some(value) = *value else { continue };
            total += value;
            if value > 0.0 && index < buckets {
                with_errors[index] = true;
            }
        }
    }
    let timestamps = series.first().map(|s| s.timestamps.as_slice()).unwrap_or_default();
    let last_error = with_errors.iter().rposition(|&errors| errors).map(|index| timestamps[index]);
    Summary {
        total,
        buckets,
        buckets_with_errors: with_errors.iter().filter(|&&e| e).count(),
        worst: worst(series),
        last_error,
        onset: None,
        onset_change: None,
    }
}

/// The highest value above zero of any series, the earliest if several tie.
pub fn worst(series: &[Series]) -> Option<Worst> {
    let mut worst: Option<Worst> = None;
    for one in series {
        for (&t, value) in one.timestamps.iter().zip(&one.values) {
            let Some(value) = *value else { continue };
            if value > 0.0 && worst.as_ref().is_none_or(|w| value > w.value || (value == w.value && t < w.t)) {
                worst = Some(Worst { t, value, series: one.label.clone() });
            }
        }
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn series(label: &str, values: &[Option<f64>]) -> Series {
        testing::series(label, "Sum", values)
    }

    #[test]
    fn sums_finds_the_worst_and_the_last_error() {
        let summary = summarize(&[
            series("a", &[Some(0.0), Some(3.0), Some(0.0), Some(1.0)]),
            series("b", &[Some(5.0), None, Some(0.0), Some(0.0)]),
        ]);
        assert_eq!(summary.total, 9.0);
        assert_eq!(summary.buckets, 4);
        assert_eq!(summary.buckets_with_errors, 3);
        assert_eq!(summary.worst, Some(Worst { t: 1_000, value: 5.0, series: "b".into() }));
        assert_eq!(summary.last_error, Some(1_180));
    }

    #[test]
    fn a_quiet_range_has_no_worst_and_no_last_error() {
        let summary = summarize(&[series("a", &[Some(0.0), None])]);
        assert_eq!((summary.total, summary.buckets_with_errors), (0.0, 0));
        assert_eq!((summary.worst, summary.last_error), (None, None));
        assert_eq!(summarize(&[]).buckets, 0);
    }

    #[test]
    fn ties_keep_the_earliest_bucket() {
        let summary = summarize(&[series("a", &[Some(2.0), Some(2.0)]), series("b", &[Some(2.0), Some(1.0)])]);
        assert_eq!(summary.worst.unwrap().t, 1_000);
    }
}
