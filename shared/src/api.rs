//! The JSON bodies of the API, one type per route. Both ends (de)serialise
//! these, so a field cannot be renamed on one side only. Types only: the
//! rules that fill them live in their own modules ([`crate::answer`] builds
//! a [`SeriesResponse`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalog::{Choice, Metric, MetricInfo, RetentionRule};
use crate::changes::Change;
use crate::dims::Dimensions;
use crate::error::{ErrorCode, ViewError};
use crate::probe::TargetGroupProbe;
use crate::review::{Finding, LoadBalancerReview};
use crate::stat::Statistic;

/// `GET /api/v1/series`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesResponse {
    /// The canonical query string of the view that was answered.
    pub view: String,
    /// Start of the first bucket, epoch seconds.
    pub start: i64,
    /// End of the last bucket (exclusive), epoch seconds.
    pub end: i64,
    /// Bucket length in seconds.
    pub period: u32,
    /// The start of the first bucket that is not final yet (CloudWatch may
    /// still add to it and to every later one: see [`crate::plan::final_boundary`]);
    /// absent when every bucket is final. Those buckets are drawn as partial
    /// and left out of spike and onset detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_from: Option<i64>,
    pub series: Vec<Series>,
    /// Figures over the whole range, for the summary beside the chart.
    pub summary: Summary,
    /// Spikes and onsets found in the series (see [`crate::annotate`]).
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// With a breakdown (`by`): every series of the breakdown, most errors
    /// first, including those summed into "others".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranking: Vec<Ranked>,
    pub warnings: Vec<String>,
}

/// One line of the chart: a metric and statistic for one dimension combination.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub id: String,
    pub label: String,
    pub metric: Metric,
    pub stat: Statistic,
    pub dimensions: BTreeMap<String, String>,
    /// The start of every bucket: `start, start + period, … < end`.
    pub timestamps: Vec<i64>,
    /// One value per timestamp; `null` where there is no datapoint and the
    /// fill is `none`.
    pub values: Vec<Option<f64>>,
    /// For a rate series: the metric it is per 1,000 of (`RequestCount` or
    /// `NewConnectionCount`); its values are errors per 1,000 of those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_thousand: Option<Metric>,
}

/// One line of a breakdown's ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub id: String,
    pub label: String,
    pub dimensions: BTreeMap<String, String>,
    /// The sum of its values over the range.
    pub total: f64,
    /// Its highest bucket.
    pub worst: Option<Worst>,
    /// Whether it is drawn on its own (else it is part of "others").
    pub drawn: bool,
}

/// `GET /api/v1/review`: the configuration of a view's load balancers
/// beside their errors, with findings (see [`crate::review`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewResponse {
    /// The canonical query string of the view that was reviewed.
    pub view: String,
    #[serde(default)]
    pub account: String,
    pub region: String,
    pub load_balancers: Vec<LoadBalancerReview>,
    /// The recent changes of each load balancer (CloudTrail's last 90 days,
    /// the newest [`crate::changes::RECENT_PER_LOAD_BALANCER`] of each),
    /// newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    pub warnings: Vec<String>,
}

/// `GET /api/v1/changes`: the calls that changed the TLS path of a view's
/// load balancers over its range, from CloudTrail (see [`crate::changes`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangesResponse {
    /// The canonical query string of the view.
    pub view: String,
    pub account: String,
    pub region: String,
    /// The range read, epoch seconds (end exclusive).
    pub start: i64,
    pub end: i64,
    /// Newest first; failed calls included, marked `failed`.
    pub changes: Vec<Change>,
    /// When CloudTrail held more events than tlswatch reads for one view:
    /// the time before which changes are not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_from: Option<i64>,
    pub warnings: Vec<String>,
}

/// `GET /api/v1/probe`: the load balancer's handshake with every registered
/// target of the view's HTTPS target groups, as tlswatch made it (see
/// [`crate::probe`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResponse {
    /// The canonical query string of the view that was probed.
    pub view: String,
    pub account: String,
    pub region: String,
    /// With `policy=`: the listener policy probed as if every HTTPS
    /// listener used it (a what-if: nothing was changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what_if: Option<String>,
    /// When the handshakes were made, epoch seconds (answers are cached five minutes).
    pub probed_at: i64,
    pub load_balancers: Vec<LoadBalancerProbe>,
    pub warnings: Vec<String>,
}

/// A load balancer's probed target groups, with the findings they bring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancerProbe {
    pub value: String,
    pub name: String,
    pub target_groups: Vec<TargetGroupProbe>,
    /// The review's findings with the probe's evidence (`tls-errors` cites
    /// the outcomes) and the probe's own; a what-if's own only. Most severe first.
    pub findings: Vec<Finding>,
}

/// Every error the API answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The query parameter at fault, if one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
}

impl From<&ViewError> for ErrorBody {
    fn from(err: &ViewError) -> Self {
        Self { error: ErrorDetail { code: err.code, message: err.message.clone(), param: Some(err.param.clone()) } }
    }
}

/// Summary figures of a view's series over its whole range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The sum of every value of every series: the number of errors when the
    /// statistic is Sum.
    pub total: f64,
    /// Buckets in the range.
    pub buckets: usize,
    /// Buckets in which at least one series is above zero.
    pub buckets_with_errors: usize,
    /// The highest value of any series, the first one if several tie.
    pub worst: Option<Worst>,
    /// Start of the last bucket in which any series is above zero.
    pub last_error: Option<i64>,
    /// The earliest onset of any series: when errors started, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<i64>,
    /// How the onset follows the change to the TLS path just before it
    /// (`3 minutes after ModifyListener by alice set ...`); the page fills
    /// it from `/api/v1/changes` (see [`crate::change_marks`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset_change: Option<String>,
}

/// Where the highest value is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    /// Start of the bucket, epoch seconds.
    pub t: i64,
    pub value: f64,
    /// The label of the series it belongs to.
    pub series: String,
}

/// What an annotation marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationKind {
    Onset,
    Spike,
    Alarm,
    /// A change to the TLS path (from `/api/v1/changes`, marked by the page).
    Change,
}

/// A mark on the chart, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub kind: AnnotationKind,
    /// The id of the series it belongs to.
    pub series: String,
    /// Start, epoch seconds.
    pub t: i64,
    /// End (exclusive), epoch seconds, for marks that span buckets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t_end: Option<i64>,
    pub value: f64,
    pub text: String,
    /// Where the mark's evidence can be read (a change's CloudTrail event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// `GET /api/v1/dimensions`: what reported the metric, from CloudWatch's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionsResponse {
    pub metric: Metric,
    pub region: String,
    pub load_balancers: Vec<NamedValue>,
    /// One entry per target group and load balancer it serves.
    pub target_groups: Vec<TargetGroupEntry>,
    pub availability_zones: Vec<String>,
}

/// A dimension value with its readable name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NamedValue {
    pub value: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TargetGroupEntry {
    pub value: String,
    pub name: String,
    pub load_balancer: String,
}

impl DimensionsResponse {
    /// Summarises listed dimension combinations, sorted and without repeats.
    pub fn from_listed(metric: Metric, region: String, listed: &[Dimensions]) -> Self {
        let mut load_balancers = BTreeSet::new();
        let mut target_groups = BTreeSet::new();
        let mut zones = BTreeSet::new();
        for dims in listed {
            let lb = &dims.load_balancer;
            load_balancers.insert(NamedValue { value: lb.to_string(), name: lb.name().to_string() });
            if let Some(tg) = &dims.target_group {
                target_groups.insert(TargetGroupEntry {
                    value: tg.to_string(),
                    name: tg.name().to_string(),
                    load_balancer: lb.to_string(),
                });
            }
            if let Some(az) = &dims.availability_zone {
                zones.insert(az.to_string());
            }
        }
        Self {
            metric,
            region,
            load_balancers: load_balancers.into_iter().collect(),
            target_groups: target_groups.into_iter().collect(),
            availability_zones: zones.into_iter().collect(),
        }
    }
}

/// `GET /api/v1/catalog`: everything the frontend builds its menus from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogResponse {
    /// `cloudwatch`, or `demo` when the proxy serves synthetic data.
    pub source: String,
    pub regions: Vec<String>,
    pub default_region: String,
    pub metrics: Vec<MetricInfo>,
    pub statistics: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub time_presets: Vec<Choice>,
    /// `by`, `top`, `tz` and `refresh` menus.
    #[serde(default)]
    pub breakdowns: Vec<Choice>,
    #[serde(default)]
    pub tops: Vec<Choice>,
    #[serde(default)]
    pub time_zones: Vec<Choice>,
    #[serde(default)]
    pub refresh: Vec<Choice>,
    pub retention: Vec<RetentionRule>,
    pub limits: Limits,
    /// The accounts the caller may read, the default one first.
    #[serde(default)]
    pub accounts: Vec<AccountInfo>,
    /// The account of views that name none.
    #[serde(default)]
    pub default_account: String,
}

/// An account the caller may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub name: String,
    /// The 12-digit AWS account ID, once known (`null` until the proxy's
    /// own identity has been looked up).
    pub account_id: Option<String>,
    /// The regions it is read in; the first is its default.
    pub regions: Vec<String>,
}

/// The limits a view must keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_load_balancers: usize,
    pub max_target_groups: usize,
    pub max_availability_zones: usize,
    /// CloudWatch's limit, or the server's `--max-series` where lower.
    pub max_series: usize,
    pub max_points_per_series: i64,
    /// The server's `--max-points`: series times buckets in one view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_points: Option<usize>,
    pub max_range_seconds: i64,
    pub max_future_seconds: i64,
    pub max_value_chars: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_have_the_documented_shape() {
        let err = crate::View::from_query("period=61").unwrap_err();
        let json = serde_json::to_value(ErrorBody::from(&err)).unwrap();
        assert_eq!(json["error"]["code"], "invalid_parameter");
        assert_eq!(json["error"]["param"], "period");
        assert!(json["error"]["message"].as_str().unwrap().contains("multiple of 60"));
    }

    #[test]
    fn listed_dimensions_are_summarised_without_repeats() {
        let lb = ("LoadBalancer", "app/edge-alb/50dc6c495c0c9188");
        let tg = ("TargetGroup", "targetgroup/api/73e2d6bc24d8a067");
        let listed: Vec<Dimensions> = [vec![lb], vec![lb, tg], vec![lb, tg, ("AvailabilityZone", "us-east-1a")]]
            .into_iter()
            .map(|pairs| Dimensions::from_pairs(pairs).unwrap())
            .collect();
        let summary =
            DimensionsResponse::from_listed(Metric::TargetTlsNegotiationErrorCount, "us-east-1".into(), &listed);
        assert_eq!(summary.load_balancers.len(), 1);
        assert_eq!(summary.load_balancers[0].name, "edge-alb");
        assert_eq!(summary.target_groups.len(), 1);
        assert_eq!(summary.availability_zones, vec!["us-east-1a"]);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["metric"], "TargetTLSNegotiationErrorCount");
    }
}
