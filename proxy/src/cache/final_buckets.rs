//! Final buckets kept per series set, so a refresh of a relative view
//! (`now-24h` every minute) asks the source only for the buckets after
//! them. Pure functions: the store in `mod.rs` keeps what they return.
//!
//! A bucket is final by the rule the whole product uses
//! ([`tlswatch_shared::plan::final_boundary`]): CloudWatch no longer adds
//! datapoints to it.

use tlswatch_shared::plan::final_boundary;

use crate::source::FetchRequest;

/// The final buckets of a series set, `[start, end)`, with the datapoints
/// of each series (in request order) in that range.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalBuckets {
    pub start: i64,
    pub end: i64,
    pub datapoints: Vec<Vec<(i64, f64)>>,
}

impl FinalBuckets {
    /// Whether these final buckets are of use to `request`: it starts
    /// inside them, so only what comes after them is left to fetch.
    pub fn covers_start_of(&self, request: &FetchRequest) -> bool {
        self.start <= request.start && request.start < self.end
    }

    /// Where the source must be asked from for `request`, knowing these.
    pub fn fetch_from(&self, request: &FetchRequest) -> i64 {
        self.end.min(request.end)
    }
}

/// The answer to `request`: the known final datapoints before `fetch_from`,
/// then the `fetched` ones (from `fetch_from` on), series by series.
pub fn merge(
    known: &FinalBuckets,
    request: &FetchRequest,
    fetch_from: i64,
    fetched: Vec<Vec<(i64, f64)>>,
) -> Vec<Vec<(i64, f64)>> {
    fetched
        .into_iter()
        .zip(&known.datapoints)
        .map(|(newer, older)| {
            let kept = older.iter().copied().filter(|&(t, _)| request.start <= t && t < fetch_from);
            kept.chain(newer).collect()
        })
        .collect()
}

/// The final buckets after answering `request` with `datapoints` at `now`:
/// `known` grown by the buckets that are final now, or `None` when nothing
/// new became final (so there is nothing to store).
pub fn extend(
    known: Option<&FinalBuckets>,
    request: &FetchRequest,
    datapoints: &[Vec<(i64, f64)>],
    now: i64,
) -> Option<FinalBuckets> {
    let end = final_boundary(now, request.period).min(request.end);
    let from = known.map_or(request.start, |known| known.end);
    if end <= from {
        return None;
    }
    let start = known.map_or(request.start, |known| known.start);
    let datapoints = datapoints
        .iter()
        .enumerate()
        .map(|(index, points)| {
            let older = known.map(|known| known.datapoints[index].as_slice()).unwrap_or_default();
            let newer = points.iter().filter(|&&(t, _)| from <= t && t < end);
            older.iter().chain(newer).copied().collect()
        })
        .collect();
    Some(FinalBuckets { start, end, datapoints })
}

#[cfg(test)]
mod tests {
    use tlswatch_shared::plan::FINAL_AFTER_SECONDS;
    use tlswatch_shared::{Dimensions, Metric, Query, Statistic};

    use super::*;

    const PERIOD: u32 = 60;

    fn request(start: i64, end: i64) -> FetchRequest {
        let dims = Dimensions::from_pairs([("LoadBalancer", "app/edge-alb/50dc6c495c0c9188")]).unwrap();
        let series = vec![Query { metric: Metric::TargetTlsNegotiationErrorCount, dims }];
        FetchRequest { stat: Statistic::Sum, period: PERIOD, start, end, series }
    }

    /// One datapoint per minute in `[start, end)`, valued by its minute.
    fn minutes(start: i64, end: i64) -> Vec<Vec<(i64, f64)>> {
        vec![(start..end).step_by(60).map(|t| (t, (t / 60) as f64)).collect()]
    }

    #[test]
    fn only_buckets_final_at_the_time_are_kept() {
        let now = 100 * 60 + 30;
        let kept = extend(None, &request(0, 101 * 60), &minutes(0, 101 * 60), now).unwrap();
        let boundary = final_boundary(now, PERIOD);
        assert_eq!(boundary, now - 30 - FINAL_AFTER_SECONDS);
        assert_eq!((kept.start, kept.end), (0, boundary));
        assert_eq!(kept.datapoints[0].last().unwrap().0, boundary - 60);
    }

    #[test]
    fn nothing_new_to_keep_is_none() {
        let now = 100 * 60;
        let kept = extend(None, &request(0, now), &minutes(0, now), now).unwrap();
        assert_eq!(extend(Some(&kept), &request(0, now), &minutes(0, now), now), None, "same moment");
        let recent = request(now - 300, now);
        assert_eq!(extend(None, &recent, &minutes(now - 300, now), now), None, "all partial");
    }

    #[test]
    fn a_refresh_fetches_after_the_known_buckets_and_merges_to_the_full_answer() {
        let first_now = 200 * 60;
        let window = |now: i64| request(now - 120 * 60, now);
        let kept = extend(None, &window(first_now), &minutes(0, first_now), first_now).unwrap();

        // Five minutes later the window has moved; it starts inside the known buckets.
        let later = first_now + 300;
        let refresh = window(later);
        assert!(kept.covers_start_of(&refresh));
        let from = kept.fetch_from(&refresh);
        assert_eq!(from, kept.end);
        let merged = merge(&kept, &refresh, from, minutes(from, later));
        assert_eq!(merged, minutes(refresh.start, later), "the same as fetching everything");

        let grown = extend(Some(&kept), &refresh, &merged, later).unwrap();
        assert_eq!((grown.start, grown.end), (kept.start, final_boundary(later, PERIOD)));
        assert_eq!(grown.datapoints, minutes(kept.start, grown.end));
    }

    #[test]
    fn a_request_starting_outside_the_known_buckets_cannot_use_them() {
        let now = 200 * 60;
        let kept = extend(None, &request(60 * 60, now), &minutes(60 * 60, now), now).unwrap();
        assert!(!kept.covers_start_of(&request(0, now)), "starts before them");
        assert!(!kept.covers_start_of(&request(kept.end, now)), "starts after them");
    }
}
