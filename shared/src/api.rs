//! The JSON bodies of the API, one type per route. Both ends (de)serialise
//! these, so a field cannot be renamed on one side only.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::annotate::Annotation;
use crate::catalog::{self, Choice, Metric, MetricInfo, RetentionRule};
use crate::dims::Dimensions;
use crate::error::{ErrorCode, ViewError};
use crate::summary::{Summary, Worst};

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
    pub stat: String,
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

/// Errors per 1,000 of a denominator, bucket by bucket: `null` where the
/// denominator is missing or zero.
pub fn per_thousand(errors: &[Option<f64>], denominator: &[Option<f64>]) -> Vec<Option<f64>> {
    errors
        .iter()
        .zip(denominator)
        .map(|(errors, of)| match (errors, of) {
            (Some(errors), Some(of)) if *of > 0.0 => Some(errors / of * 1_000.0),
            _ => None,
        })
        .collect()
}

/// The id of the series that sums a breakdown's smaller series.
pub const OTHERS_ID: &str = "others";

/// Keeps the `top` series with the largest totals (ties: by label) and merges
/// the rest, bucket by bucket, into one "others" series: summed for counts
/// (Sum, SampleCount), the highest value for other statistics. Returns the
/// series to draw and the ranking of all of them.
pub fn keep_top(mut series: Vec<Series>, top: usize) -> (Vec<Series>, Vec<Ranked>) {
    let total = |s: &Series| s.values.iter().flatten().sum::<f64>();
    series.sort_by(|a, b| total(b).total_cmp(&total(a)).then_with(|| a.label.cmp(&b.label)));
    let ranking = series
        .iter()
        .enumerate()
        .map(|(rank, s)| Ranked {
            id: s.id.clone(),
            label: s.label.clone(),
            dimensions: s.dimensions.clone(),
            total: total(s),
            worst: crate::summary::worst(std::slice::from_ref(s)),
            drawn: rank < top,
        })
        .collect();
    if series.len() <= top {
        return (series, ranking);
    }
    let rest = series.split_off(top);
    let additive = matches!(rest[0].stat.as_str(), "Sum" | "SampleCount");
    let mut values: Vec<Option<f64>> = vec![None; rest[0].values.len()];
    for one in &rest {
        for (merged, value) in values.iter_mut().zip(&one.values) {
            if let Some(value) = value {
                *merged = Some(match merged {
                    Some(so_far) if additive => *so_far + value,
                    Some(so_far) => so_far.max(*value),
                    None => *value,
                });
            }
        }
    }
    let how = if additive { "sum" } else { "highest" };
    series.push(Series {
        id: OTHERS_ID.to_string(),
        label: format!("others ({how} of {})", rest.len()),
        metric: rest[0].metric,
        stat: rest[0].stat.clone(),
        dimensions: BTreeMap::new(),
        timestamps: rest[0].timestamps.clone(),
        values,
        per_thousand: None,
    });
    (series, ranking)
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
    pub retention: Vec<RetentionRule>,
    pub limits: Limits,
}

/// The limits a view must keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_load_balancers: usize,
    pub max_target_groups: usize,
    pub max_availability_zones: usize,
    pub max_series: usize,
    pub max_points_per_series: i64,
    pub max_range_seconds: i64,
    pub max_future_seconds: i64,
    pub max_value_chars: usize,
}

impl CatalogResponse {
    pub fn new(source: &str, regions: Vec<String>, default_region: String) -> Self {
        Self {
            source: source.to_string(),
            regions,
            default_region,
            metrics: Metric::ALL.iter().map(|metric| metric.info()).collect(),
            statistics: catalog::statistic_choices(),
            periods: catalog::period_choices(),
            time_presets: catalog::time_presets(),
            retention: catalog::RETENTION.to_vec(),
            limits: Limits {
                max_load_balancers: catalog::MAX_LOAD_BALANCERS,
                max_target_groups: catalog::MAX_TARGET_GROUPS,
                max_availability_zones: catalog::MAX_ZONES,
                max_series: catalog::MAX_SERIES,
                max_points_per_series: catalog::MAX_POINTS_PER_SERIES,
                max_range_seconds: catalog::MAX_RANGE,
                max_future_seconds: catalog::MAX_FUTURE,
                max_value_chars: catalog::MAX_VALUE_CHARS,
            },
        }
    }
}

/// The spikes and onsets of every series, in series order.
pub fn annotate(series: &[Series], period: u32) -> Vec<Annotation> {
    use crate::annotate::{AnnotationKind, onset, spikes};
    let mut annotations = Vec::new();
    for one in series {
        let found = onset(&one.values);
        if let Some((index, level)) = found {
            annotations.push(Annotation {
                kind: AnnotationKind::Onset,
                series: one.id.clone(),
                t: one.timestamps[index],
                t_end: None,
                value: level,
                text: format!("{}: errors started here (about {level:.0} per bucket since)", one.label),
            });
        }
        // The first buckets of a new failing level stand out from the quiet
        // history before them: that is the onset, not a spike.
        let is_onset =
            |run: &crate::annotate::SpikeRun| found.is_some_and(|(index, _)| (run.start..=run.end).contains(&index));
        for run in spikes(&one.values).into_iter().filter(|run| !is_onset(run)) {
            let t = one.timestamps[run.start];
            annotations.push(Annotation {
                kind: AnnotationKind::Spike,
                series: one.id.clone(),
                t,
                t_end: Some(one.timestamps[run.end - 1] + i64::from(period)),
                value: run.peak,
                text: format!("{}: spike of {}", one.label, run.peak),
            });
        }
    }
    annotations
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

    fn series(label: &str, stat: &str, values: &[Option<f64>]) -> Series {
        Series {
            id: label.to_string(),
            label: label.to_string(),
            metric: Metric::TargetTlsNegotiationErrorCount,
            stat: stat.to_string(),
            dimensions: BTreeMap::new(),
            timestamps: (0..values.len() as i64).map(|i| i * 60).collect(),
            values: values.to_vec(),
            per_thousand: None,
        }
    }

    #[test]
    fn the_top_series_are_kept_and_the_rest_summed_as_others() {
        let all = vec![
            series("a", "Sum", &[Some(1.0), Some(0.0)]),
            series("b", "Sum", &[Some(5.0), Some(5.0)]),
            series("c", "Sum", &[Some(2.0), None]),
            series("d", "Sum", &[Some(0.0), Some(3.0)]),
        ];
        let (drawn, ranking) = keep_top(all, 2);
        let labels: Vec<&str> = drawn.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, vec!["b", "d", "others (sum of 2)"]);
        assert_eq!(drawn[2].values, vec![Some(3.0), Some(0.0)]);
        assert_eq!(drawn[2].id, OTHERS_ID);
        let ranked: Vec<(&str, f64, bool)> = ranking.iter().map(|r| (r.label.as_str(), r.total, r.drawn)).collect();
        assert_eq!(ranked, vec![("b", 10.0, true), ("d", 3.0, true), ("c", 2.0, false), ("a", 1.0, false)]);
    }

    #[test]
    fn rates_are_per_thousand_and_undefined_without_a_denominator() {
        let rates =
            per_thousand(&[Some(3.0), Some(1.0), Some(0.0), None], &[Some(1_500.0), Some(0.0), None, Some(9.0)]);
        assert_eq!(rates, vec![Some(2.0), None, None, None]);
    }

    #[test]
    fn others_of_a_maximum_is_the_highest_value_not_a_sum() {
        let all = vec![
            series("a", "Maximum", &[Some(9.0)]),
            series("b", "Maximum", &[Some(2.0)]),
            series("c", "Maximum", &[Some(3.0)]),
        ];
        let (drawn, _) = keep_top(all, 1);
        assert_eq!(drawn[1].values, vec![Some(3.0)]);
        assert!(drawn[1].label.starts_with("others (highest"));
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
