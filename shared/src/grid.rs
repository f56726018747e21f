//! Puts a source's sparse datapoints on the full bucket grid of a plan, so a
//! chart never joins across missing buckets by accident.

use crate::plan::Plan;
use crate::stat::Fill;

/// Values for every bucket of `plan`, in order: a datapoint's value where the
/// source returned one, and the `fill` elsewhere.
///
/// Datapoints are placed in the bucket their timestamp falls into; ones
/// outside the range and non-finite values are dropped; if two land in one
/// bucket, the first is kept.
pub fn fill_grid(plan: &Plan, datapoints: impl IntoIterator<Item = (i64, f64)>, fill: Fill) -> Vec<Option<f64>> {
    let mut values: Vec<Option<f64>> = vec![None; plan.points()];
    let period = i64::from(plan.period);
    for (timestamp, value) in datapoints {
        if !value.is_finite() || timestamp < plan.start || timestamp >= plan.end {
            continue;
        }
        let index = ((timestamp - plan.start) / period) as usize;
        values[index].get_or_insert(value);
    }
    if fill == Fill::Zero {
        values.iter_mut().for_each(|value| {
            value.get_or_insert(0.0);
        });
    }
    values
}

/// Empties the buckets of `values` (on `plan`'s grid) that lie outside
/// `[start, end)`: for an old answer shown in place of a failed one, where
/// nothing is known rather than zero.
pub fn blank_outside(plan: &Plan, values: &mut [Option<f64>], start: i64, end: i64) {
    for (t, value) in plan.timestamps().zip(values.iter_mut()) {
        if t < start || t >= end {
            *value = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan(start: i64, points: i64, period: u32) -> Plan {
        Plan { start, end: start + points * i64::from(period), period, warnings: vec![] }
    }

    #[test]
    fn places_datapoints_and_fills_the_gaps() {
        let plan = plan(600, 4, 300);
        let sparse = [(900, 2.0), (1_500, 5.0), (300, 9.0), (1_800, 9.0), (1_200, f64::NAN)];
        assert_eq!(fill_grid(&plan, sparse, Fill::Zero), vec![Some(0.0), Some(2.0), Some(0.0), Some(5.0)]);
        assert_eq!(fill_grid(&plan, sparse, Fill::None), vec![None, Some(2.0), None, Some(5.0)]);
    }

    #[test]
    fn blanks_what_an_old_answer_does_not_cover() {
        let plan = plan(0, 4, 60);
        let mut values = vec![Some(0.0); 4];
        blank_outside(&plan, &mut values, 0, 120);
        assert_eq!(values, vec![Some(0.0), Some(0.0), None, None]);
    }

    proptest! {
        #[test]
        fn the_grid_always_has_one_value_per_bucket(
            points in 1i64..500,
            period in prop::sample::select(vec![60u32, 300, 3_600]),
            datapoints in prop::collection::vec((0i64..200_000, -1e9f64..1e9), 0..200),
        ) {
            let plan = plan(60_000, points, period);
            let zero = fill_grid(&plan, datapoints.clone(), Fill::Zero);
            prop_assert_eq!(zero.len(), points as usize);
            prop_assert!(zero.iter().all(Option::is_some));
            let gaps = fill_grid(&plan, datapoints.clone(), Fill::None);
            let inside = datapoints.iter().filter(|(t, _)| *t >= plan.start && *t < plan.end).count();
            prop_assert!(gaps.iter().flatten().count() <= inside);
        }
    }
}
