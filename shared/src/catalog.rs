//! What tlswatch can show: metrics, statistics, periods, presets, retention
//! rules and limits. The frontend builds its menus from this (through
//! `/api/v1/catalog`), and the proxy only ever asks CloudWatch for what is here.

use serde::{Deserialize, Serialize};

use crate::error::ViewError;
use crate::time::DAY;

/// CloudWatch namespace of every metric in the catalog.
pub const NAMESPACE: &str = "AWS/ApplicationELB";

/// A metric tlswatch may ask CloudWatch for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Metric {
    #[serde(rename = "TargetTLSNegotiationErrorCount")]
    TargetTlsNegotiationErrorCount,
    #[serde(rename = "ClientTLSNegotiationErrorCount")]
    ClientTlsNegotiationErrorCount,
    /// Denominator of target-side rates; not chosen on its own.
    RequestCount,
    /// Denominator of client-side rates; not chosen on its own.
    NewConnectionCount,
}

/// The name of a CloudWatch dimension of the metrics in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DimensionName {
    LoadBalancer,
    TargetGroup,
    AvailabilityZone,
}

impl DimensionName {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LoadBalancer => "LoadBalancer",
            Self::TargetGroup => "TargetGroup",
            Self::AvailabilityZone => "AvailabilityZone",
        }
    }
}

/// The description of a metric, as the catalog route returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInfo {
    pub name: Metric,
    pub namespace: String,
    pub unit: String,
    pub description: String,
    /// The dimension combinations AWS publishes the metric with.
    pub dimension_sets: Vec<Vec<DimensionName>>,
}

impl Default for Metric {
    /// The metric tlswatch is about.
    fn default() -> Self {
        Self::TargetTlsNegotiationErrorCount
    }
}

impl Metric {
    pub const ALL: [Metric; 2] = [Self::TargetTlsNegotiationErrorCount, Self::ClientTlsNegotiationErrorCount];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TargetTlsNegotiationErrorCount => "TargetTLSNegotiationErrorCount",
            Self::ClientTlsNegotiationErrorCount => "ClientTLSNegotiationErrorCount",
            Self::RequestCount => "RequestCount",
            Self::NewConnectionCount => "NewConnectionCount",
        }
    }

    /// The side of the load balancer a metric watches, as series labels say
    /// it when a view shows both: `target` (load balancer to targets) or
    /// `client` (clients to the listener).
    pub const fn side(self) -> &'static str {
        match self {
            Self::ClientTlsNegotiationErrorCount | Self::NewConnectionCount => "client",
            Self::TargetTlsNegotiationErrorCount | Self::RequestCount => "target",
        }
    }

    /// What a rate of this metric is per 1,000 of: requests for target-side
    /// errors (an approximation: requests are not connections), new
    /// connections for client-side errors.
    pub const fn denominator(self) -> Option<Metric> {
        match self {
            Self::TargetTlsNegotiationErrorCount => Some(Self::RequestCount),
            Self::ClientTlsNegotiationErrorCount => Some(Self::NewConnectionCount),
            Self::RequestCount | Self::NewConnectionCount => None,
        }
    }

    pub fn parse(text: &str) -> Result<Self, ViewError> {
        Self::ALL.into_iter().find(|metric| metric.as_str() == text).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|metric| metric.as_str()).collect();
            ViewError::invalid("metric", text, &format!("one of {}", names.join(", ")))
        })
    }

    pub fn info(self) -> MetricInfo {
        use DimensionName::*;
        let (description, dimension_sets) = match self {
            Self::TargetTlsNegotiationErrorCount => (
                "TLS connections initiated by the load balancer that did not establish a session \
                 with the target: protocol or cipher mismatch, a target not speaking TLS on its \
                 port, or a handshake that timed out. Reported only when errors happen.",
                vec![
                    vec![LoadBalancer],
                    vec![LoadBalancer, AvailabilityZone],
                    vec![LoadBalancer, TargetGroup],
                    vec![LoadBalancer, TargetGroup, AvailabilityZone],
                ],
            ),
            Self::ClientTlsNegotiationErrorCount => (
                "TLS connections initiated by clients that did not establish a session with the \
                 load balancer's listener, for example because of a protocol or cipher the \
                 listener's security policy does not allow. Reported only when errors happen.",
                vec![vec![LoadBalancer], vec![LoadBalancer, AvailabilityZone]],
            ),
            Self::RequestCount => (
                "Requests processed by the load balancer (the denominator of target-side rates).",
                vec![
                    vec![LoadBalancer],
                    vec![LoadBalancer, AvailabilityZone],
                    vec![LoadBalancer, TargetGroup],
                    vec![LoadBalancer, TargetGroup, AvailabilityZone],
                ],
            ),
            Self::NewConnectionCount => (
                "New TCP connections from clients to the load balancer (the denominator of client-side rates).",
                vec![vec![LoadBalancer], vec![LoadBalancer, AvailabilityZone]],
            ),
        };
        MetricInfo {
            name: self,
            namespace: NAMESPACE.to_string(),
            unit: "Count".to_string(),
            description: description.to_string(),
            dimension_sets,
        }
    }

    /// Whether AWS publishes this metric with exactly these dimensions.
    pub fn has_dimension_set(self, names: &[DimensionName]) -> bool {
        self.info().dimension_sets.iter().any(|set| set.as_slice() == names)
    }
}

/// Most load balancers (`lb`) in one view.
pub const MAX_LOAD_BALANCERS: usize = 20;
/// Most target groups (`tg`) in one view.
pub const MAX_TARGET_GROUPS: usize = 20;
/// Most availability zones (`az`) in one view.
pub const MAX_ZONES: usize = 20;
/// Most series one view expands to.
pub const MAX_SERIES: usize = 2_000;
/// Most queries CloudWatch takes in one GetMetricData call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// Most points per series CloudWatch returns for one query.
pub const MAX_POINTS_PER_SERIES: i64 = 100_800;
/// `period=auto` keeps each series at or under this many points.
pub const AUTO_MAX_POINTS: i64 = 1_500;
/// Longest range of a view: CloudWatch keeps data for 15 months.
pub const MAX_RANGE: i64 = 455 * DAY;
/// How far into the future `to` may reach.
pub const MAX_FUTURE: i64 = 300;
/// Longest accepted parameter value, in characters.
pub const MAX_VALUE_CHARS: usize = 256;
/// The periods `period=auto` chooses from, smallest first.
pub const AUTO_PERIODS: [u32; 6] = [60, 300, 900, 3_600, 21_600, 86_400];

/// CloudWatch's retention: data older than `older_than` seconds is only
/// available at multiples of `period_multiple` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    pub older_than: i64,
    pub period_multiple: u32,
}

/// Retention rules, finest first.
pub const RETENTION: [RetentionRule; 3] = [
    RetentionRule { older_than: 0, period_multiple: 60 },
    RetentionRule { older_than: 15 * DAY, period_multiple: 300 },
    RetentionRule { older_than: 63 * DAY, period_multiple: 3_600 },
];

/// The period granularity CloudWatch allows for data that starts `age` seconds ago.
pub fn period_multiple_for_age(age: i64) -> u32 {
    RETENTION.iter().rev().find(|rule| age > rule.older_than).map_or(60, |rule| rule.period_multiple)
}

/// A labelled choice for a menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The value as written in a view's query string.
    pub value: String,
    pub label: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_round_trip() {
        for metric in Metric::ALL {
            assert_eq!(Metric::parse(metric.as_str()).unwrap(), metric);
        }
        assert!(Metric::parse("targettlsnegotiationerrorcount").is_err());
        assert!(Metric::parse("CPUUtilization").is_err());
    }

    #[test]
    fn retention_granularity_follows_the_age_of_the_start() {
        assert_eq!(period_multiple_for_age(0), 60);
        assert_eq!(period_multiple_for_age(15 * DAY), 60);
        assert_eq!(period_multiple_for_age(15 * DAY + 1), 300);
        assert_eq!(period_multiple_for_age(63 * DAY + 1), 3_600);
    }

    #[test]
    fn target_metric_has_the_four_published_dimension_sets() {
        use DimensionName::*;
        let metric = Metric::TargetTlsNegotiationErrorCount;
        assert!(metric.has_dimension_set(&[LoadBalancer, TargetGroup, AvailabilityZone]));
        assert!(!Metric::ClientTlsNegotiationErrorCount.has_dimension_set(&[LoadBalancer, TargetGroup]));
    }
}
