//! What the chart marks on a series: **spikes** (buckets far above their
//! recent baseline) and the **onset** (where a quiet series started failing
//! and kept failing). Pure functions over a series' values.
//!
//! Spikes: a bucket is a spike when its value exceeds the median of the
//! [`SPIKE_WINDOW`] buckets before it by more than
//! `max(SPIKE_K × 1.4826 × MAD, SPIKE_FLOOR, SPIKE_RELATIVE_FLOOR × median)`
//! (MAD: the median absolute deviation of that window; 1.4826 scales it to a
//! standard deviation for normal noise). The floor matters for sparse counts,
//! whose median and MAD are usually 0: without it every single error would be
//! a spike. Consecutive spike buckets form one annotation; a run longer than
//! half the window is a change of level, not a spike, and is left to the onset.
//!
//! Onset: the split that best separates a quiet "before" from a failing
//! "after" (least squared error of a two-level fit, computed with prefix
//! sums), kept only when the "after" level is at least [`ONSET_MIN_LEVEL`],
//! at least [`ONSET_RATIO`] times the "before" level, has errors in at least
//! [`ONSET_MIN_SHARE`] of its buckets, and lasts [`ONSET_MIN_BUCKETS`]
//! buckets. A stray error hours earlier barely changes the fit, so it does
//! not move the onset.

use crate::api::{Annotation, AnnotationKind, Series};

/// Buckets of history a spike is judged against.
pub const SPIKE_WINDOW: usize = 24;
/// How many scaled MADs above the median a spike must be.
pub const SPIKE_K: f64 = 5.0;
/// A spike is at least this much above the median, whatever the MAD.
pub const SPIKE_FLOOR: f64 = 5.0;
/// ... and at least this share of the median above it.
pub const SPIKE_RELATIVE_FLOOR: f64 = 0.5;
/// The failing level must be at least this.
pub const ONSET_MIN_LEVEL: f64 = 2.0;
/// The failing level must be at least this many times the quiet level.
pub const ONSET_RATIO: f64 = 4.0;
/// Share of the failing buckets that must have errors.
pub const ONSET_MIN_SHARE: f64 = 0.6;
/// The failing stretch lasts at least this many buckets.
pub const ONSET_MIN_BUCKETS: usize = 3;

/// A run of spike buckets: `start..end` indexes and the highest value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeRun {
    pub start: usize,
    pub end: usize,
    pub peak: f64,
}

/// The spike runs of `values` (missing values count as no data and never
/// spike). Runs of half the window or longer are changes of level, not spikes.
pub fn spikes(values: &[Option<f64>]) -> Vec<SpikeRun> {
    let mut flagged = vec![None::<f64>; values.len()];
    let mut window: Vec<f64> = Vec::with_capacity(SPIKE_WINDOW);
    for (index, value) in values.iter().enumerate() {
        let Some(value) = *value else { continue };
        window.clear();
        window.extend(values[index.saturating_sub(SPIKE_WINDOW)..index].iter().flatten());
        if window.len() < SPIKE_WINDOW / 2 {
            continue;
        }
        let median = median(&mut window);
        for v in window.iter_mut() {
            *v = (*v - median).abs();
        }
        let mad = self::median(&mut window);
        let margin = (SPIKE_K * 1.4826 * mad).max(SPIKE_FLOOR).max(SPIKE_RELATIVE_FLOOR * median);
        if value > median + margin {
            flagged[index] = Some(value);
        }
    }
    let mut runs = Vec::new();
    let mut index = 0;
    while index < flagged.len() {
        if flagged[index].is_none() {
            index += 1;
            continue;
        }
        let start = index;
        let mut peak = f64::MIN;
        while let Some(Some(value)) = flagged.get(index) {
            peak = peak.max(*value);
            index += 1;
        }
        if index - start < SPIKE_WINDOW / 2 {
            runs.push(SpikeRun { start, end: index, peak });
        }
    }
    runs
}

/// The onset: the index where failing began, with the failing level.
pub fn onset(values: &[Option<f64>]) -> Option<(usize, f64)> {
    let xs: Vec<f64> = values.iter().map(|v| v.unwrap_or(0.0)).collect();
    let n = xs.len();
    if n < ONSET_MIN_BUCKETS + 1 {
        return None;
    }
    let mut sum = vec![0.0; n + 1];
    let mut squares = vec![0.0; n + 1];
    for (i, x) in xs.iter().enumerate() {
        sum[i + 1] = sum[i] + x;
        squares[i + 1] = squares[i] + x * x;
    }
    // Squared error of xs[a..b] around its mean.
    let sse = |a: usize, b: usize| {
        let len = (b - a) as f64;
        let s = sum[b] - sum[a];
        (squares[b] - squares[a]) - s * s / len
    };
    let (split, _) = (1..=n - ONSET_MIN_BUCKETS)
        .map(|split| (split, sse(0, split) + sse(split, n)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let before = (sum[split] - sum[0]) / split as f64;
    let after = (sum[n] - sum[split]) / (n - split) as f64;
    let share = xs[split..].iter().filter(|x| **x > 0.0).count() as f64 / (n - split) as f64;
    let failing = after >= ONSET_MIN_LEVEL && after >= ONSET_RATIO * before && share >= ONSET_MIN_SHARE;
    failing.then_some((split, after))
}

/// The spikes and onsets of `series`, in series order, found in their first
/// `final_points` buckets only: later buckets are partial, and a bucket that
/// is still filling is neither a spike nor a fall. `onset_of` gives a
/// series' onset (found once per series by the caller).
pub fn annotate(
    series: &[Series],
    period: u32,
    final_points: usize,
    onset_of: impl Fn(&Series) -> Option<(usize, f64)>,
) -> Vec<Annotation> {
    let mut annotations = Vec::new();
    for one in series {
        let found = onset_of(one);
        if let Some((index, level)) = found {
            annotations.push(Annotation {
                kind: AnnotationKind::Onset,
                series: one.id.clone(),
                t: one.timestamps[index],
                t_end: None,
                value: level,
                text: format!("{}: errors started here (about {level:.0} per bucket since)", one.label),
                link: None,
            });
        }
        // The first buckets of a new failing level stand out from the quiet
        // history before them: that is the onset, not a spike.
        let is_onset = |run: &SpikeRun| found.is_some_and(|(index, _)| (run.start..=run.end).contains(&index));
        let final_values = &one.values[..final_points.min(one.values.len())];
        for run in spikes(final_values).into_iter().filter(|run| !is_onset(run)) {
            annotations.push(Annotation {
                kind: AnnotationKind::Spike,
                series: one.id.clone(),
                t: one.timestamps[run.start],
                t_end: Some(one.timestamps[run.end - 1] + i64::from(period)),
                value: run.peak,
                text: format!("{}: spike of {}", one.label, run.peak),
                link: None,
            });
        }
    }
    annotations
}

/// The median, selected in linear time (the order of `values` changes).
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    let (lower, upper_middle, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper_middle = *upper_middle;
    if n % 2 == 1 {
        upper_middle
    } else {
        // The other middle value is the largest of the lower half.
        let lower_middle = lower.iter().copied().max_by(f64::total_cmp).unwrap_or(upper_middle);
        (lower_middle + upper_middle) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_median_of_odd_even_and_empty_windows() {
        assert_eq!(median(&mut [3.0, 9.0, 1.0]), 3.0);
        assert_eq!(median(&mut [4.0, 1.0, 10.0, 2.0]), 3.0);
        assert_eq!(median(&mut [5.0, 5.0]), 5.0);
        assert_eq!(median(&mut []), 0.0);
    }

    fn series(values: &[f64]) -> Vec<Option<f64>> {
        values.iter().copied().map(Some).collect()
    }

    #[test]
    fn a_burst_in_a_sparse_series_is_one_spike() {
        let mut values = vec![0.0; 100];
        values[10] = 1.0;
        values[40] = 2.0;
        values[70] = 30.0;
        values[71] = 22.0;
        let runs = spikes(&series(&values));
        assert_eq!(runs, vec![SpikeRun { start: 70, end: 72, peak: 30.0 }]);
    }

    #[test]
    fn a_noisy_steady_series_has_no_spikes() {
        let values: Vec<f64> = (0..200).map(|i| 100.0 + ((i * 37) % 11) as f64).collect();
        assert!(spikes(&series(&values)).is_empty());
    }

    #[test]
    fn the_onset_is_where_failing_starts_not_the_first_stray_error() {
        let mut values = vec![0.0; 120];
        values[5] = 1.0;
        for (i, v) in values.iter_mut().enumerate().skip(80) {
            *v = 40.0 + (i % 7) as f64;
        }
        assert_eq!(onset(&series(&values)).map(|(i, _)| i), Some(80));
        // A sustained level is an onset, not a run of spikes.
        assert!(spikes(&series(&values)).is_empty());
    }

    #[test]
    fn quiet_flat_or_recovering_series_have_no_onset() {
        assert_eq!(onset(&series(&[0.0; 50])), None);
        assert_eq!(onset(&series(&[30.0; 50])), None);
        let mut recovering = vec![30.0; 50];
        recovering[25..].fill(0.0);
        assert_eq!(onset(&series(&recovering)), None);
        let mut one_stray = vec![0.0; 50];
        one_stray[49] = 9.0;
        assert_eq!(onset(&series(&one_stray)), None, "three buckets at least");
    }

    proptest! {
        #[test]
        fn an_injected_burst_is_found_where_it_is(
            len in 60usize..400,
            at in 30usize..60,
            height in 12.0f64..500.0,
            strays in prop::collection::vec(0usize..400, 0..4),
        ) {
            let mut values = vec![0.0; len];
            for stray in strays {
                if stray < len && stray != at { values[stray] = 1.0; }
            }
            values[at] = height;
            let runs = spikes(&series(&values));
            prop_assert_eq!(runs.len(), 1);
            prop_assert_eq!(runs[0].start, at);
            prop_assert_eq!(runs[0].end, at + 1);
        }

        #[test]
        fn low_noise_is_never_a_spike(values in prop::collection::vec(0.0f64..=3.0, 0..300)) {
            prop_assert!(spikes(&series(&values)).is_empty());
        }

        #[test]
        fn a_sustained_failure_is_found_where_it_began(
            quiet in 20usize..200,
            failing in 5usize..200,
            level in 5.0f64..200.0,
            stray in 0usize..20,
        ) {
            let mut values = vec![0.0; quiet];
            values[stray.min(quiet - 1)] = 1.0;
            values.extend((0..failing).map(|i| level + (i % 3) as f64));
            prop_assert_eq!(onset(&series(&values)).map(|(i, _)| i), Some(quiet));
        }
    }
}
