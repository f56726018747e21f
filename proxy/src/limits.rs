//! Limits on what one request may cost: URL and header size, series and
//! points per view, the size of an answer, and a request rate per client.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tlswatch_shared::plan::{align, auto_period_within};
use tlswatch_shared::{ErrorCode, ViewError};

use crate::identity::Caller;
use crate::source::FetchRequest;

/// The configured limits (the defaults are in `config.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_url_bytes: usize,
    pub max_header_bytes: usize,
    pub max_series: usize,
    /// Series times buckets.
    pub max_points: usize,
    /// The largest answer body sent (`--max-answer-mib`).
    pub max_answer_bytes: usize,
}

impl Limits {
    /// Refuses a view that asks for more series or points than allowed,
    /// naming a smaller view that fits.
    pub fn check(&self, request: &FetchRequest) -> Result<(), ViewError> {
        let series = request.series.len();
        if series > self.max_series {
            return Err(ViewError::new(
                ErrorCode::TooManySeries,
                "lb",
                format!(
                    "this view has {series} series; this tlswatch serves at most {} per view (--max-series): \
                     choose fewer load balancers, target groups or zones, or a breakdown with top=",
                    self.max_series
                ),
            ));
        }
        let points = series.saturating_mul(buckets(request));
        if points > self.max_points {
            return Err(ViewError::new(
                ErrorCode::TooManyPoints,
                "period",
                format!(
                    "this view has {points} points ({series} series of {} buckets); this tlswatch serves at most {} \
                     per view (--max-points): {}",
                    buckets(request),
                    self.max_points,
                    smaller_view(request, self.max_points),
                ),
            ));
        }
        Ok(())
    }

    /// Refuses an answer of `bytes` over `--max-answer-mib`, naming a
    /// smaller view that fits.
    pub fn check_answer(&self, request: &FetchRequest, bytes: usize) -> Result<(), ViewError> {
        if bytes <= self.max_answer_bytes {
            return Ok(());
        }
        let points = request.series.len().saturating_mul(buckets(request));
        // Points that would fit, at this answer's bytes per point.
        let fitting = points.saturating_mul(self.max_answer_bytes) / bytes.max(1);
        Err(ViewError::new(
            ErrorCode::AnswerTooLarge,
            "period",
            format!(
                "this view's answer is {bytes} bytes; this tlswatch sends at most {} (--max-answer-mib): {}",
                self.max_answer_bytes,
                smaller_view(request, fitting),
            ),
        ))
    }
}

fn buckets(request: &FetchRequest) -> usize {
    usize::try_from((request.end - request.start) / i64::from(request.period)).unwrap_or(usize::MAX)
}

/// The advice for a view of `request` to fit in `points`: the shortest
/// period that does, or fewer series where none does.
fn smaller_view(request: &FetchRequest, points: usize) -> String {
    let series = request.series.len().max(1);
    let per_series = i64::try_from(points / series).unwrap_or(i64::MAX);
    let period = auto_period_within(request.start, request.end, request.period, per_series.max(1));
    let (start, end) = align(request.start, request.end, period);
    if per_series > 0 && (end - start) / i64::from(period) <= per_series {
        format!("use period={period} or longer, a shorter range or fewer series")
    } else {
        let fitting = points / buckets(request).max(1);
        format!("use at most {fitting} series at this period and range, a longer period or a shorter range")
    }
}

/// Who a request's rate is counted against: its user, so that users behind
/// one authenticating proxy do not share a budget; the client's address
/// where nobody logs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Client {
    User(String),
    Address(IpAddr),
}

impl Client {
    /// The client of a request by `caller` from `peer`; `None` when neither
    /// is known (an in-process request without a user).
    pub fn of(caller: &Caller, peer: Option<IpAddr>) -> Option<Self> {
        caller.user.clone().map(Self::User).or(peer.map(Self::Address))
    }
}

/// Requests per minute per key (a [`Client`], or an address).
pub struct RateLimit<K: Hash + Eq + Clone = Client> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> RateLimit<K> {
    /// `None` when `per_minute` is 0 (no limit).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(Self { limiter: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)) })
    }

    /// `Err(wait)` when `key` must wait before its next request.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
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
        let over = limits.check(&request(10, 101)).unwrap_err();
        assert_eq!(over.code, ErrorCode::TooManyPoints);
        // 101 one-minute buckets from 0 fit in 100 at five minutes.
        assert!(over.message.contains("use period=300 or longer"), "{}", over.message);
        let wide = Limits { max_series: 2_000, ..limits };
        let over = wide.check(&request(1_001, 1)).unwrap_err();
        assert!(over.message.contains("at most 1000 series"), "no period fits: {}", over.message);
    }

    #[test]
    fn refuses_answers_over_the_byte_limit_with_a_period_that_fits() {
        let limits = Limits { max_answer_bytes: 1_000, ..crate::config::Config::default().limits };
        let view = request(2, 600);
        limits.check_answer(&view, 1_000).unwrap();
        let over = limits.check_answer(&view, 4_000).unwrap_err();
        assert_eq!((over.code, over.param.as_str()), (ErrorCode::AnswerTooLarge, "period"));
        // A quarter of 600 buckets is 150: five-minute buckets give 120.
        assert!(over.message.contains("4000 bytes") && over.message.contains("at most 1000"), "{}", over.message);
        assert!(over.message.contains("use period=300 or longer"), "{}", over.message);
    }

    #[test]
    fn the_rate_limit_refuses_a_burst_over_the_quota_per_client() {
        let limit = RateLimit::per_minute(3).unwrap();
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let user = |name: &str| Caller { user: Some(name.to_string()), groups: Vec::new() };
        let (ana, ben) =
            (Client::of(&user("ana"), Some(proxy)).unwrap(), Client::of(&user("ben"), Some(proxy)).unwrap());
        for _ in 0..3 {
            limit.check(&ana).unwrap();
        }
        let wait = limit.check(&ana).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(20), "{wait:?}");
        limit.check(&ben).unwrap();
        let anonymous = Client::of(&Caller::default(), Some(proxy)).unwrap();
        assert_eq!(anonymous, Client::Address(proxy), "without a user, the address counts");
        limit.check(&anonymous).unwrap();
        assert_eq!(Client::of(&Caller::default(), None), None);
        assert!(RateLimit::<Client>::per_minute(0).is_none());
    }
}
