//! Limits on what one request may cost: URL and header size, series and
//! points per view, and a request rate per client.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
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
        assert_eq!(limits.check(&request(10, 101)).unwrap_err().code, ErrorCode::TooManyPoints);
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
