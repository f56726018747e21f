//! From a view to the exact question asked of CloudWatch: the range, aligned
//! to the period, and the period itself, checked against CloudWatch's
//! retention and limits.

use crate::catalog::{
    AUTO_MAX_POINTS, AUTO_PERIODS, MAX_FUTURE, MAX_POINTS_PER_SERIES, MAX_RANGE, period_multiple_for_age,
};
use crate::error::{ErrorCode, ViewError};
use crate::time::DAY;
use crate::view::{Period, View};

/// The resolved range and period of a view at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Start of the first bucket: `from` rounded down to a multiple of the period.
    pub start: i64,
    /// End of the last bucket (exclusive): `to` rounded up to a multiple of the period.
    pub end: i64,
    /// Bucket length in seconds.
    pub period: u32,
    /// What the plan changed or the user should know, in words.
    pub warnings: Vec<String>,
}

impl Plan {
    /// Resolves `view` at `now` (epoch seconds).
    pub fn new(view: &View, now: i64) -> Result<Self, ViewError> {
        let from = view.from.resolve(now);
        let to = view.to.resolve(now);
        if to > now + MAX_FUTURE {
            return Err(ViewError::new(
                ErrorCode::InvalidRange,
                "to",
                format!(
                    "`to` is {} seconds in the future; it may be at most {MAX_FUTURE} seconds ahead of now",
                    to - now
                ),
            ));
        }
        if from >= to {
            return Err(ViewError::new(
                ErrorCode::InvalidRange,
                "from",
                format!("`from` ({}) must be before `to` ({})", view.from, view.to),
            ));
        }
        if to - from > MAX_RANGE {
            return Err(ViewError::new(
                ErrorCode::InvalidRange,
                "from",
                format!(
                    "the range is {} days long; it may be at most {} days (CloudWatch keeps data for 15 months)",
                    (to - from) / DAY,
                    MAX_RANGE / DAY
                ),
            ));
        }

        let mut warnings = Vec::new();
        let multiple = period_multiple_for_age(now - from);
        let period = match view.period {
            Period::Auto => auto_period(from, to, multiple),
            Period::Seconds(asked) => {
                let allowed = asked.div_ceil(multiple) * multiple;
                if allowed != asked {
                    warnings.push(format!(
                        "period raised from {asked} to {allowed} seconds: CloudWatch keeps data that starts {} days \
                         ago only at multiples of {multiple} seconds",
                        (now - from) / DAY
                    ));
                }
                allowed
            }
        };

        let (start, end) = align(from, to, period);
        let points = (end - start) / i64::from(period);
        if points > MAX_POINTS_PER_SERIES {
            let fitting = smallest_fitting_period(from, to, multiple);
            return Err(ViewError::new(
                ErrorCode::TooManyPoints,
                "period",
                format!(
                    "a period of {period} seconds gives {points} points per series; CloudWatch returns at most \
                     {MAX_POINTS_PER_SERIES}: use period={fitting} or longer, or a shorter range"
                ),
            ));
        }
        if now - from > MAX_RANGE {
            warnings.push("CloudWatch keeps data for 15 months: buckets older than that are empty".to_string());
        }
        Ok(Self { start, end, period, warnings })
    }

    /// The number of buckets.
    pub fn points(&self) -> usize {
        usize::try_from((self.end - self.start) / i64::from(self.period)).unwrap_or(0)
    }

    /// The start of the first bucket that is still partial at `now`, or
    /// `None` when every bucket of the plan is final.
    pub fn partial_from(&self, now: i64) -> Option<i64> {
        let boundary = final_boundary(now, self.period);
        (boundary < self.end).then(|| boundary.max(self.start))
    }

    /// How many buckets, from the first, are final at `now`.
    pub fn final_points(&self, now: i64) -> usize {
        match self.partial_from(now) {
            Some(from) => usize::try_from((from - self.start) / i64::from(self.period)).unwrap_or(0),
            None => self.points(),
        }
    }

    /// The start of every bucket, in order.
    pub fn timestamps(&self) -> impl Iterator<Item = i64> + '_ {
        (self.start..self.end).step_by(self.period as usize)
    }
}

/// How long after a bucket ends CloudWatch may still add datapoints to it.
/// ALB metrics arrive within a few minutes; ten leaves room for late ones.
/// Before that a bucket is *partial*: drawn as such, left out of detection,
/// and not kept as final by the proxy's cache.
pub const FINAL_AFTER_SECONDS: i64 = 600;

/// The end of the last bucket of `period` that is final at `now`: every
/// bucket ending at or before it is final, every later one partial.
pub fn final_boundary(now: i64, period: u32) -> i64 {
    let period = i64::from(period);
    (now - FINAL_AFTER_SECONDS).div_euclid(period) * period
}

/// `from` rounded down and `to` rounded up to multiples of `period` (epoch-based).
pub fn align(from: i64, to: i64, period: u32) -> (i64, i64) {
    let period = i64::from(period);
    let start = from.div_euclid(period) * period;
    let end = to.div_euclid(period) * period + if to.rem_euclid(period) == 0 { 0 } else { period };
    (start, end)
}

/// The smallest automatic period allowed by retention that keeps a series at
/// or under [`AUTO_MAX_POINTS`].
fn auto_period(from: i64, to: i64, multiple: u32) -> u32 {
    auto_period_within(from, to, multiple, AUTO_MAX_POINTS)
}

/// The smallest automatic period allowed by retention (periods of data
/// that starts `age` seconds ago must be multiples of `multiple`) that keeps
/// `from..to` at or under `max_points` buckets.
pub fn auto_period_within(from: i64, to: i64, multiple: u32, max_points: i64) -> u32 {
    AUTO_PERIODS
        .into_iter()
        .filter(|period| period % multiple == 0)
        .find(|&period| {
            let (start, end) = align(from, to, period);
            (end - start) / i64::from(period) <= max_points
        })
        .unwrap_or(AUTO_PERIODS[AUTO_PERIODS.len() - 1])
}

/// The smallest multiple of `multiple` that keeps a series at or under
/// CloudWatch's point limit.
fn smallest_fitting_period(from: i64, to: i64, multiple: u32) -> u32 {
    let range = (to - from).max(1);
    let mut period =
        u32::try_from(range / MAX_POINTS_PER_SERIES).unwrap_or(u32::MAX).max(1).div_ceil(multiple) * multiple;
    loop {
        let (start, end) = align(from, to, period);
        if (end - start) / i64::from(period) <= MAX_POINTS_PER_SERIES {
            return period;
        }
        period += multiple;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixed "now": 2026-11-28T12:07:30Z.
    const NOW: i64 = 1_795_867_650;

    fn plan(query: &str) -> Result<Plan, ViewError> {
        Plan::new(&View::from_query(query).unwrap(), NOW)
    }

    #[test]
    fn the_default_view_covers_the_last_day_in_five_minute_buckets() {
        let plan = plan("").unwrap();
        assert_eq!(plan.period, 300);
        assert_eq!(plan.start % 300, 0);
        assert_eq!(plan.end % 300, 0);
        assert!(plan.start <= NOW - DAY && plan.end >= NOW);
        assert_eq!(plan.points(), 289);
        assert!(plan.warnings.is_empty());
    }

    #[test]
    fn aligned_ranges_stay_as_they_are() {
        assert_eq!(align(3_600, 7_200, 300), (3_600, 7_200));
        assert_eq!(align(3_601, 7_199, 300), (3_600, 7_200));
    }

    #[test]
    fn retention_raises_fine_periods_with_a_warning() {
        let plan = plan("period=60&from=now-30d").unwrap();
        assert_eq!(plan.period, 300);
        assert!(plan.warnings[0].contains("raised from 60 to 300"), "{:?}", plan.warnings);
        let old = self::plan("period=900&from=now-90d").unwrap();
        assert_eq!(old.period, 3_600);
    }

    #[test]
    fn auto_period_keeps_series_short_and_respects_retention() {
        assert_eq!(plan("period=auto&from=now-1h").unwrap().period, 60);
        assert_eq!(plan("period=auto&from=now-24h").unwrap().period, 60);
        assert_eq!(plan("period=auto&from=now-7d").unwrap().period, 900);
        assert_eq!(plan("period=auto&from=now-30d").unwrap().period, 3_600);
        assert_eq!(plan("period=auto&from=now-90d").unwrap().period, 21_600);
    }

    #[test]
    fn refuses_unusable_ranges() {
        assert_eq!(plan("from=now&to=now-1h").unwrap_err().param, "from");
        assert_eq!(plan("from=now-1h&to=now-1h").unwrap_err().code, ErrorCode::InvalidRange);
        assert_eq!(plan("from=now-460d").unwrap_err().code, ErrorCode::InvalidRange);
        let future = format!("to={}", NOW + 600);
        assert_eq!(plan(&future).unwrap_err().param, "to");
        plan(&format!("to={}", NOW + 300)).unwrap();
    }

    #[test]
    fn retention_keeps_every_range_within_the_point_limit() {
        // The finest period retention allows for a start of any age keeps the
        // longest range under CloudWatch's limit; the explicit check guards
        // against a future change of these rules.
        for days in [1, 15, 16, 63, 64, 455] {
            let plan = plan(&format!("period=60&from=now-{days}d")).unwrap();
            assert!(plan.points() as i64 <= MAX_POINTS_PER_SERIES, "{days} days: {}", plan.points());
        }
    }

    #[test]
    fn the_fitting_period_is_the_smallest_multiple_under_the_limit() {
        assert_eq!(smallest_fitting_period(0, 100 * DAY, 60), 120);
        assert_eq!(smallest_fitting_period(0, 100 * DAY, 3_600), 3_600);
        assert_eq!(smallest_fitting_period(0, 70 * DAY, 60), 60);
        assert_eq!(smallest_fitting_period(30, 70 * DAY + 30, 60), 120);
    }
}
