//! The built-in demo: deterministic synthetic data for newcomers and for the
//! UI, so tlswatch can be tried without an AWS account.
//!
//! Two accounts, `default` (the own identity) and `retail` (a role that is
//! never assumed), each in `us-east-1` and `eu-west-1` ([`DEMO_REGIONS`]),
//! so the overview shows a fleet. `default`'s `us-east-1` holds three load
//! balancers, each with target groups in three availability zones:
//! - `edge-alb` is quiet but for a rare stray error;
//! - `payments-alb`'s `checkout-tls` target group starts failing handshakes
//!   six hours (rounded to the hour) before the proxy started, and keeps
//!   failing: a sustained onset, like a deploy that broke a TLS setting;
//!   its `ledger-api` speaks plain HTTP to its targets, so it never fails a
//!   handshake (`demo_config.rs` has the configuration that goes with it,
//!   and the targets, which answer on loopback for the probe);
//! - `internal-api`'s `grpc-backend` has isolated bursts.
//!
//! The other scopes have one load balancer each, of other findings:
//! `eu-web-alb` (`default`, `eu-west-1`) is a clean TLS 1.3 path;
//! `shop-alb` (`retail`, `us-east-1`) offers TLS 1.0 to clients and reaches
//! `shop-cache` over plain HTTP; `shop-eu-alb` (`retail`, `eu-west-1`)
//! checks its targets' health without TLS.
//!
//! Every load-balancer minute is a function of its dimensions and the minute
//! alone, so the same view gives the same numbers for the life of the process.

use async_trait::async_trait;
use tlswatch_shared::{AvailabilityZone, Dimensions, LoadBalancer, Metric, Statistic, TargetGroup};

use super::{Alarm, AlarmState, FetchRequest, Fetched, MetricSource, Scope, SourceError, Transition};

/// How a target group's errors behave over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Profile {
    /// A stray error now and then.
    Sparse,
    /// Sparse until the onset, then errors every minute.
    Onset,
    /// Sparse with rare bursts.
    Spiky,
    /// Almost never an error.
    Quiet,
    /// Never a handshake error: the group speaks plain HTTP to its targets.
    Plaintext,
}

/// The account flag of the demo's second account: its role is never assumed.
pub const DEMO_ACCOUNT: &str = "retail=arn:aws:iam::210987654321:role/tlswatch-demo-reader";
/// The regions of both demo accounts when `--region` names none; the first
/// holds the home scopes.
pub const DEMO_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Load balancers, each with its target groups and how they behave.
pub(super) type Topology = &'static [(&'static str, &'static [(&'static str, Profile)])];

/// The demo's four scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Home,
    HomeAbroad,
    Retail,
    RetailAbroad,
}

impl Place {
    pub(super) const ALL: [Self; 4] = [Self::Home, Self::HomeAbroad, Self::Retail, Self::RetailAbroad];

    /// Which of the demo's scopes `scope` is: by account, and whether its
    /// region is the first of [`DEMO_REGIONS`].
    pub(super) fn of(scope: &Scope) -> Self {
        let home = scope.region.as_str() == DEMO_REGIONS[0];
        match (scope.account.as_str() == "retail", home) {
            (false, true) => Self::Home,
            (false, false) => Self::HomeAbroad,
            (true, true) => Self::Retail,
            (true, false) => Self::RetailAbroad,
        }
    }

    pub(super) fn topology(self) -> Topology {
        match self {
            Self::Home => HOME,
            Self::HomeAbroad => HOME_ABROAD,
            Self::Retail => RETAIL,
            Self::RetailAbroad => RETAIL_ABROAD,
        }
    }
}

const HOME_ABROAD: Topology =
    &[("app/eu-web-alb/7c1d9e3a5b2f4806", &[("targetgroup/eu-web/5a3c7e1f9b2d0846", Profile::Quiet)])];

const RETAIL: Topology = &[(
    "app/shop-alb/2d6f0b8e4a1c7359",
    &[
        ("targetgroup/shop-web/8e2a4c6f0b1d3957", Profile::Spiky),
        ("targetgroup/shop-cache/1f3b5d7a9c0e2468", Profile::Plaintext),
    ],
)];

const RETAIL_ABROAD: Topology =
    &[("app/shop-eu-alb/9e4b2c7a1f5d3068", &[("targetgroup/shop-eu-web/6b8d0f2a4c6e1357", Profile::Sparse)])];

/// `default`'s load balancers in its first region.
pub(super) const HOME: Topology = &[
    (
        "app/edge-alb/50dc6c495c0c9188",
        &[
            ("targetgroup/web-blue/6d0ecf831eec9f09", Profile::Sparse),
            ("targetgroup/web-green/8a2f5d41b7c3e920", Profile::Quiet),
        ],
    ),
    (
        "app/payments-alb/3e9c1f0a7b2d4c68",
        &[
            ("targetgroup/checkout-tls/4b1e8d2c9f0a7365", Profile::Onset),
            ("targetgroup/ledger-api/9c7a2e5f1d3b8046", Profile::Plaintext),
        ],
    ),
    (
        "app/internal-api/a41f0c2e9d7b3586",
        &[
            ("targetgroup/grpc-backend/2f8b6e1a4c9d0735", Profile::Spiky),
            ("targetgroup/admin-tls/e07d3b9a5c1f2864", Profile::Sparse),
        ],
    ),
];

const ZONE_SUFFIXES: [char; 3] = ['a', 'b', 'c'];

/// The demo source.
pub struct DemoSource {
    /// When `checkout-tls` starts failing, epoch seconds.
    onset: i64,
    /// Data exists only before this moment (the clock of the request).
    clock: fn() -> i64,
    /// The targets of its HTTPS groups, listening on loopback once the
    /// configuration is first read (`demo_config.rs`).
    pub(super) targets: tokio::sync::OnceCell<super::demo_config::DemoTargets>,
}

/// One target group in one zone: the unit the demo generates data for.
struct FinestSeries {
    dims: Dimensions,
    profile: Profile,
    /// A number unique to the series that seeds its random stream.
    seed: u64,
}

impl DemoSource {
    /// A demo whose onset lies six hours (rounded down to the hour) before `started`.
    pub fn new(started: i64, clock: fn() -> i64) -> Self {
        let onset = (started - 6 * 3_600).div_euclid(3_600) * 3_600;
        Self { onset, clock, targets: tokio::sync::OnceCell::new() }
    }

    /// When `checkout-tls` starts failing, epoch seconds.
    pub(super) fn onset(&self) -> i64 {
        self.onset
    }

    /// The clock of the request.
    pub(super) fn now(&self) -> i64 {
        (self.clock)()
    }

    fn finest_series(scope: &Scope) -> Vec<FinestSeries> {
        let region = &scope.region;
        let place = Place::of(scope);
        // Each scope its own random streams; the home scope's as they always were.
        let stream = Place::ALL.iter().position(|every| *every == place).unwrap_or(0) as u64;
        let mut finest_series = Vec::new();
        for (lb_index, (lb, target_groups)) in place.topology().iter().enumerate() {
            for (tg_index, (tg, profile)) in target_groups.iter().enumerate() {
                for (az_index, suffix) in ZONE_SUFFIXES.iter().enumerate() {
                    let zone = AvailabilityZone::parse(&format!("{region}{suffix}")).expect("demo zones are valid");
                    finest_series.push(FinestSeries {
                        dims: Dimensions {
                            load_balancer: LoadBalancer::parse(lb).expect("demo names are valid"),
                            target_group: Some(TargetGroup::parse(tg).expect("demo names are valid")),
                            availability_zone: Some(zone),
                        },
                        profile: *profile,
                        seed: stream << 24 | (lb_index as u64) << 16 | (tg_index as u64) << 8 | az_index as u64,
                    });
                }
            }
        }
        finest_series
    }

    /// Target-side errors of one finest series in the minute starting at `minute` (epoch seconds).
    fn target_errors(&self, finest: &FinestSeries, minute: i64) -> u32 {
        let roll = unit_random(finest.seed, minute);
        let stray = u32::from(roll < 0.004);
        match finest.profile {
            Profile::Quiet => u32::from(roll < 0.000_5),
            Profile::Plaintext => 0,
            Profile::Sparse => stray,
            Profile::Onset if minute >= self.onset => {
                // The broken deploy reached two of the three zones.
                let zone_weight = [6.0, 4.0, 0.0][(finest.seed & 0xff) as usize];
                (2.0 + roll * zone_weight).floor() as u32 * u32::from(zone_weight > 0.0) + stray
            }
            Profile::Onset => stray,
            Profile::Spiky => {
                // Bursts hit every zone of the target group in the same minute.
                let burst = unit_random(finest.seed >> 8 << 8, minute / 60 * 60 + 7) < 0.015
                    && unit_random(finest.seed >> 8 << 8, minute) < 0.25;
                if burst { 12 + (roll * 30.0) as u32 } else { stray }
            }
        }
    }

    /// Client-side errors of one load balancer and zone: a steady trickle of
    /// clients offering protocols the listener refuses.
    fn client_errors(&self, finest: &FinestSeries, minute: i64) -> u32 {
        let roll = unit_random(finest.seed ^ 0xc11e_7700, minute);
        if roll < 0.05 { 1 + (roll * 40.0) as u32 } else { 0 }
    }

    /// The per-minute error counts of a series: the finest_series it covers, summed.
    fn minute_value(&self, metric: Metric, finest_series: &[&FinestSeries], minute: i64) -> u32 {
        match metric {
            Metric::TargetTlsNegotiationErrorCount => {
                finest_series.iter().map(|finest| self.target_errors(finest, minute)).sum()
            }
            // Client-side errors belong to the load balancer and zone: count
            // them on the first target group of each zone only.
            Metric::ClientTlsNegotiationErrorCount => finest_series
                .iter()
                .filter(|finest| (finest.seed >> 8) & 0xff == 0)
                .map(|finest| self.client_errors(finest, minute))
                .sum(),
            // Traffic: a few hundred requests a minute per target group and
            // zone; new connections counted on the load balancer and zone.
            Metric::RequestCount => finest_series
                .iter()
                .map(|finest| 200 + (unit_random(finest.seed ^ 0x7e9e_5700, minute) * 300.0) as u32)
                .sum(),
            Metric::NewConnectionCount => finest_series
                .iter()
                .filter(|finest| (finest.seed >> 8) & 0xff == 0)
                .map(|finest| 80 + (unit_random(finest.seed ^ 0xc0ee_c700, minute) * 60.0) as u32)
                .sum(),
        }
    }

    fn series_datapoints(
        &self,
        request: &FetchRequest,
        metric: Metric,
        finest_series: &[&FinestSeries],
        now: i64,
    ) -> Vec<(i64, f64)> {
        let period = i64::from(request.period);
        let mut datapoints = Vec::new();
        let mut samples = Vec::new();
        for bucket in (request.start..request.end).step_by(period as usize) {
            samples.clear();
            let last_minute = (bucket + period).min(now);
            // ALBs publish a datapoint only for minutes with errors.
            samples.extend(
                (bucket..last_minute)
                    .step_by(60)
                    .map(|minute| self.minute_value(metric, finest_series, minute))
                    .filter(|&count| count > 0)
                    .map(f64::from),
            );
            if let Some(value) = aggregate(request.stat, &mut samples) {
                datapoints.push((bucket, value));
            }
        }
        datapoints
    }
}

/// A statistic over one bucket's samples; `None` when there are none.
fn aggregate(stat: Statistic, samples: &mut [f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let sum: f64 = samples.iter().sum();
    let count = samples.len() as f64;
    samples.sort_by(f64::total_cmp);
    Some(match stat {
        Statistic::Sum => sum,
        Statistic::SampleCount => count,
        Statistic::Average => sum / count,
        Statistic::Minimum => samples[0],
        Statistic::Maximum => samples[samples.len() - 1],
        Statistic::Percentile(hundredths) => {
            // Nearest rank.
            let rank = (f64::from(hundredths) / 10_000.0 * count).ceil().max(1.0) as usize;
            samples[rank.min(samples.len()) - 1]
        }
    })
}

/// A deterministic number in [0, 1) for a seed and a minute (SplitMix64).
fn unit_random(seed: u64, minute: i64) -> f64 {
    let mut z = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (minute as u64).wrapping_add(0x6a09_e667_f3bc_c909);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn covers(series: &Dimensions, finest: &Dimensions) -> bool {
    series.load_balancer == finest.load_balancer
        && series.target_group.as_ref().is_none_or(|tg| finest.target_group.as_ref() == Some(tg))
        && series.availability_zone.as_ref().is_none_or(|az| finest.availability_zone.as_ref() == Some(az))
}

#[async_trait]
impl MetricSource for DemoSource {
    fn kind(&self) -> &'static str {
        "demo"
    }

    async fn list(&self, scope: &Scope, metric: Metric) -> Result<Vec<Dimensions>, SourceError> {
        let mut listed: Vec<Dimensions> = Self::finest_series(scope)
            .into_iter()
            .flat_map(|finest| {
                let Dimensions { load_balancer, target_group, availability_zone } = finest.dims;
                [
                    Dimensions { load_balancer: load_balancer.clone(), target_group: None, availability_zone: None },
                    Dimensions {
                        load_balancer: load_balancer.clone(),
                        target_group: None,
                        availability_zone: availability_zone.clone(),
                    },
                    Dimensions {
                        load_balancer: load_balancer.clone(),
                        target_group: target_group.clone(),
                        availability_zone: None,
                    },
                    Dimensions { load_balancer, target_group, availability_zone },
                ]
            })
            .filter(|dims| metric.has_dimension_set(&dims.names()))
            .collect();
        listed.sort();
        listed.dedup();
        Ok(listed)
    }

    async fn fetch(&self, scope: &Scope, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let finest_series = Self::finest_series(scope);
        let now = (self.clock)();
        let datapoints = request
            .series
            .iter()
            .map(|query| {
                let covered: Vec<&FinestSeries> =
                    finest_series.iter().filter(|finest| covers(&query.dims, &finest.dims)).collect();
                self.series_datapoints(request, query.metric, &covered, now)
            })
            .collect();
        Ok(Fetched { datapoints, ..Fetched::default() })
    }

    /// The demo alarm went into ALARM at the onset.
    async fn alarm_history(&self, _: &Scope, _: &str, start: i64, end: i64) -> Result<Vec<Transition>, SourceError> {
        let onset = Transition { t: self.onset, from_alarm: false, into_alarm: true };
        Ok([onset].into_iter().filter(|t| t.t >= start && t.t < end).collect())
    }

    /// One alarm, on `checkout-tls` of `payments-alb`: in ALARM since the onset.
    async fn alarms(
        &self,
        scope: &Scope,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Vec<Vec<Alarm>>, SourceError> {
        let (lb, target_groups) = HOME[1];
        let home = Place::of(scope) == Place::Home;
        let watched = |dims: &Dimensions| {
            home && metric == Metric::TargetTlsNegotiationErrorCount
                && dims.load_balancer.as_str() == lb
                && dims.target_group.as_ref().is_some_and(|tg| tg.as_str() == target_groups[0].0)
                && dims.availability_zone.is_none()
        };
        let state = if (self.clock)() >= self.onset { AlarmState::Alarm } else { AlarmState::Ok };
        Ok(series
            .iter()
            .map(|dims| {
                if watched(dims) {
                    vec![Alarm {
                        name: "checkout-tls TLS handshakes failing".to_string(),
                        threshold: 50.0,
                        comparison: "GreaterThanThreshold".to_string(),
                        state,
                    }]
                } else {
                    Vec::new()
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Query;

    const NOW: i64 = 1_795_867_200;

    fn demo() -> DemoSource {
        DemoSource::new(NOW, || NOW)
    }

    fn request(lb: &str, tg: Option<&str>, stat: Statistic, start: i64, end: i64, period: u32) -> FetchRequest {
        FetchRequest {
            stat,
            period,
            start,
            end,
            series: vec![Query {
                metric: Metric::TargetTlsNegotiationErrorCount,
                dims: Dimensions {
                    load_balancer: LoadBalancer::parse(lb).unwrap(),
                    target_group: tg.map(|tg| TargetGroup::parse(tg).unwrap()),
                    availability_zone: None,
                },
            }],
        }
    }

    fn region() -> Scope {
        Scope {
            account: tlswatch_shared::AccountName::default_account(),
            region: tlswatch_shared::Region::parse("us-east-1").unwrap(),
        }
    }

    #[tokio::test]
    async fn the_same_view_gives_the_same_numbers() {
        let req = request(HOME[0].0, None, Statistic::Sum, NOW - 86_400, NOW, 300);
        let first = demo().fetch(&region(), &req).await.unwrap();
        let second = demo().fetch(&region(), &req).await.unwrap();
        assert_eq!(first, second);
        assert!(!first.datapoints[0].is_empty(), "a day of the sparse balancer has some errors");
    }

    #[tokio::test]
    async fn the_onset_target_group_fails_every_minute_after_the_onset_only() {
        let demo = demo();
        let onset = demo.onset;
        let checkout = Some("targetgroup/checkout-tls/4b1e8d2c9f0a7365");
        let after = demo
            .fetch(&region(), &request(HOME[1].0, checkout, Statistic::SampleCount, onset, onset + 3_600, 60))
            .await
            .unwrap();
        assert_eq!(after.datapoints[0].len(), 60, "every minute after the onset has errors");
        let before = demo
            .fetch(&region(), &request(HOME[1].0, checkout, Statistic::SampleCount, onset - 3_600, onset, 60))
            .await
            .unwrap();
        assert!(before.datapoints[0].len() < 10, "before the onset errors are rare");
    }

    #[tokio::test]
    async fn no_data_after_now() {
        let req = request(HOME[1].0, None, Statistic::Sum, NOW, NOW + 600, 60);
        assert!(demo().fetch(&region(), &req).await.unwrap().datapoints[0].is_empty());
    }

    #[tokio::test]
    async fn sums_of_parts_equal_the_whole() {
        let demo = demo();
        let (start, end) = (NOW - 7_200, NOW);
        let whole = demo.fetch(&region(), &request(HOME[2].0, None, Statistic::Sum, start, end, 3_600)).await.unwrap();
        let mut parts = 0.0;
        for (tg, _) in HOME[2].1 {
            let part =
                demo.fetch(&region(), &request(HOME[2].0, Some(tg), Statistic::Sum, start, end, 3_600)).await.unwrap();
            parts += part.datapoints[0].iter().map(|(_, v)| v).sum::<f64>();
        }
        let total: f64 = whole.datapoints[0].iter().map(|(_, v)| v).sum();
        assert_eq!(total, parts);
    }

    #[test]
    fn aggregates_follow_cloudwatch_statistics() {
        let samples = [4.0, 1.0, 3.0, 2.0];
        let of = |stat| aggregate(stat, &mut samples.clone()).unwrap();
        assert_eq!(of(Statistic::Sum), 10.0);
        assert_eq!(of(Statistic::SampleCount), 4.0);
        assert_eq!(of(Statistic::Average), 2.5);
        assert_eq!(of(Statistic::Minimum), 1.0);
        assert_eq!(of(Statistic::Maximum), 4.0);
        assert_eq!(of(Statistic::Percentile(5_000)), 2.0);
        assert_eq!(of(Statistic::Percentile(10_000)), 4.0);
        assert_eq!(aggregate(Statistic::Sum, &mut []), None);
    }

    #[tokio::test]
    async fn lists_every_published_dimension_set() {
        let listed = demo().list(&region(), Metric::TargetTlsNegotiationErrorCount).await.unwrap();
        // 3 balancers, +3 zones each, +2 groups each, +6 group-zone pairs each.
        assert_eq!(listed.len(), 3 * (1 + 3 + 2 + 6));
        let client = demo().list(&region(), Metric::ClientTlsNegotiationErrorCount).await.unwrap();
        assert_eq!(client.len(), 3 * (1 + 3));
        for listed in [listed, client] {
            assert!(listed.windows(2).all(|pair| pair[0] < pair[1]), "sorted, each once: {listed:?}");
        }
    }
}
