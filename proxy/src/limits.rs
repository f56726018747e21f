//! Limits on what one request may cost: URL and header size, series and
//! points per view, and a per-client request rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tlswatch_shared::{ErrorCode, ViewError};

use crate::source::FetchRequest;

/// The configured limits (the defaults are in `config.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_url_bytes: usize,
    pub max_header_bytes: usize,
    pub max_series: usize,
    /// Series times buckets.
    pub max_points: usize,
}

impl Limits {
    /// Refuses a view that asks for more series or points than allowed.
    pub fn check(&self, request: &FetchRequest) -> Result<(), ViewError> {
        let series = request.series.len();
        if series > self.max_series {
            return Err(ViewError::new(
                ErrorCode::TooManySeries,
                "lb",
                format!("this view has {series} series; this tlswatch serves at most {} per view", self.max_series),
            ));
        }
        let buckets = usize::try_from((request.end - request.start) / i64::from(request.period)).unwrap_or(usize::MAX);
        let points = series.saturating_mul(buckets);
        if points > self.max_points {
            return Err(ViewError::new(
                ErrorCode::TooManyPoints,
                "period",
                format!(
                    "this view has {points} points ({series} series of {buckets} buckets); this tlswatch serves at \
                     most {} per view: use a longer period, a shorter range or fewer series",
                    self.max_points
                ),
            ));
        }
        Ok(())
    }
}

/// Requests per minute per client address.
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl RateLimit {
    /// `None` when `per_minute` is 0 (no limit).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(Self { limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)) })
    }

    /// `Err(wait)` when `client` must wait before its next request.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.limiter.check_key(&client).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlswatch_shared::{Dimensions, Metric, Statistic};

    fn request(series: usize, buckets: i64) -> FetchRequest {
        let dims = Dimensions::from_pairs([("LoadBalancer", "app/a/0123456789abcdef")]).unwrap();
        let query = crate::source::Query { metric: Metric::TargetTlsNegotiationErrorCount, dims };
        FetchRequest { stat: Statistic::Sum, period: 60, start: 0, end: buckets * 60, series: vec![query; series] }
    }

    #[test]
    fn refuses_views_over_the_limits() {
        let limits = Limits { max_series: 10, max_points: 1_000, ..crate::config::Config::default().limits };
        limits.check(&request(10, 100)).unwrap();
        assert_eq!(limits.check(&request(11, 1)).unwrap_err().code, ErrorCode::TooManySeries);
        assert_eq!(limits.check(&request(10, 101)).unwrap_err().code, ErrorCode::TooManyPoints);
    }

    #[test]
    fn the_rate_limit_refuses_a_burst_over_the_quota_per_client() {
        let limit = RateLimit::per_minute(3).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        for _ in 0..3 {
            limit.check(a).unwrap();
        }
        let wait = limit.check(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20), "{wait:?}");
        limit.check(b).unwrap();
        assert!(RateLimit::per_minute(0).is_none());
    }
}
