//! The answer to a view: from the datapoints a source returned to the
//! [`SeriesResponse`] the chart draws (grid, labels, breakdown, rates,
//! annotations, summary). Pure, so the proxy's handler only gathers the
//! inputs (the view, its plan, the datapoints, the alarms) and sends the
//! result, and every rule here is tested without a server.

use std::collections::HashMap;

use crate::annotate::{annotate, onset};
use crate::api::{Annotation, Series, SeriesResponse};
use crate::breakdown::keep_top;
use crate::catalog::Metric;
use crate::grid::{blank_outside, fill_grid};
use crate::plan::Plan;
use crate::queries::{Query, series_id};
use crate::rates::rate_series;
use crate::stat::Fill;
use crate::summary::summarize;
use crate::view::View;

/// What the source answered, and what the proxy learnt around it.
#[derive(Debug, Clone, Default)]
pub struct Answered<'a> {
    /// The datapoints of every series of [`crate::queries::with_denominators`], in its order.
    pub datapoints: &'a [Vec<(i64, f64)>],
    /// For an older answer served in place of a failed one: the range it
    /// covers (buckets outside it are unknown, so `null`).
    pub covered: Option<(i64, i64)>,
    /// The alarm marks of the error series (see [`crate::alarm`]).
    pub alarms: Vec<Annotation>,
    /// What the user should know so far (the plan's, the source's, ...).
    pub warnings: Vec<String>,
}

/// The response to `view`, resolved as `plan` at `now`, whose error series
/// are `errors`.
pub fn assemble(view: &View, plan: &Plan, now: i64, errors: &[Query], answered: Answered) -> SeriesResponse {
    let values_of = |index: usize, fill: Fill| {
        let datapoints = answered.datapoints.get(index).cloned().unwrap_or_default();
        let mut values = fill_grid(plan, datapoints, fill);
        if let Some((start, end)) = answered.covered {
            blank_outside(plan, &mut values, start, end);
        }
        values
    };
    let timestamps: Vec<i64> = plan.timestamps().collect();
    let with_side = view.metrics.len() > 1;
    let series: Vec<Series> = errors
        .iter()
        .enumerate()
        .map(|(index, query)| Series {
            id: series_id(index),
            label: query.label(with_side),
            metric: query.metric,
            stat: view.stat,
            dimensions: query.dims.to_map(),
            timestamps: timestamps.clone(),
            values: values_of(index, view.fill),
            per_thousand: None,
        })
        .collect();

    // Partial buckets may still grow: a fall there is not a recovery, so
    // the onset is looked for in final buckets only, once per series.
    let final_points = plan.final_points(now);
    let onset_in_final = |one: &Series| onset(&one.values[..final_points.min(one.values.len())]);
    let onsets: HashMap<String, Option<(usize, f64)>> =
        series.iter().map(|one| (one.id.clone(), onset_in_final(one))).collect();
    // The summary covers every error series; a breakdown draws its top ones.
    let mut summary = summarize(&series);
    summary.onset = series.iter().filter_map(|one| onsets[&one.id].map(|(index, _)| one.timestamps[index])).min();
    let (mut drawn, ranking) = match view.by {
        Some(_) => keep_top(series, view.top as usize),
        None => (series, Vec::new()),
    };
    let mut annotations = annotate(&drawn, plan.period, final_points, |one| {
        onsets.get(&one.id).copied().unwrap_or_else(|| onset_in_final(one))
    });
    annotations.extend(answered.alarms);

    let mut warnings = answered.warnings;
    if view.rate {
        let rates = rate_series(&drawn, errors, |index| values_of(errors.len() + index, Fill::None));
        if rates.iter().any(|rate| rate.metric == Metric::TargetTlsNegotiationErrorCount) {
            warnings.push(
                "target-side rates are an approximation: errors per 1,000 requests, and a connection can carry \
                 many requests"
                    .to_string(),
            );
        }
        drawn.extend(rates);
    }
    if view.needs_discovery() && errors.is_empty() {
        let names: Vec<&str> = view.metrics.iter().map(|m| m.as_str()).collect();
        warnings.push(format!(
            "nothing reported {} in the last two weeks; name a load balancer with lb= to look further back",
            names.join(" or ")
        ));
    }
    SeriesResponse {
        view: view.to_query(),
        start: plan.start,
        end: plan.end,
        period: plan.period,
        partial_from: plan.partial_from(now),
        summary,
        annotations,
        ranking,
        series: drawn,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AnnotationKind;
    use crate::dims::Dimensions;
    use crate::plan::FINAL_AFTER_SECONDS;
    use crate::queries::with_denominators;

    /// 2026-11-28T12:00:00Z.
    const NOW: i64 = 1_795_867_200;
    const LB: &str = "app/edge-alb/50dc6c495c0c9188";

    fn errors(view: &View) -> Vec<Query> {
        let dims = Dimensions::from_pairs([("LoadBalancer", LB)]).unwrap();
        view.metrics.iter().map(|&metric| Query { metric, dims: dims.clone() }).collect()
    }

    fn answer(query: &str, now: i64, values: impl Fn(usize) -> f64) -> SeriesResponse {
        let view = View::from_query(query).unwrap();
        let plan = Plan::new(&view, now).unwrap();
        let errors = errors(&view);
        let points: Vec<(i64, f64)> = plan.timestamps().enumerate().map(|(i, t)| (t, values(i))).collect();
        let datapoints = vec![points; with_denominators(view.rate, &errors).len()];
        assemble(&view, &plan, now, &errors, Answered { datapoints: &datapoints, ..Answered::default() })
    }

    #[test]
    fn the_buckets_that_may_still_change_are_marked_partial() {
        let relative = answer("from=now-2h&period=300", NOW, |_| 1.0);
        // Ten minutes before 12:00 is 11:50: the buckets 11:50 and 11:55 may still change.
        assert_eq!(relative.partial_from, Some(NOW - FINAL_AFTER_SECONDS));
        assert_eq!(relative.end - relative.partial_from.unwrap(), 600);
        let past = answer("from=now-2h&to=now-1h&period=300", NOW, |_| 1.0);
        assert_eq!(past.partial_from, None, "every bucket ended over ten minutes ago");
    }

    #[test]
    fn a_fall_in_the_partial_buckets_is_not_read_as_data() {
        // Quiet, then failing for good; the last, still-filling buckets are low.
        let response = answer("from=now-6h&period=300", NOW, |i| match i {
            0..48 => 0.0,
            48..70 => 100.0,
            _ => 3.0,
        });
        let partial = response.partial_from.unwrap();
        let onsets: Vec<&Annotation> =
            response.annotations.iter().filter(|a| a.kind == AnnotationKind::Onset).collect();
        assert_eq!(onsets.len(), 1, "{:?}", response.annotations);
        assert_eq!(onsets[0].t, response.start + 48 * 300);
        assert_eq!(onsets[0].value, 100.0, "the level is read from final buckets only");
        assert_eq!(response.summary.onset, Some(onsets[0].t));
        assert!(response.annotations.iter().all(|a| a.t < partial), "nothing is marked in partial buckets");
    }

    #[test]
    fn a_spike_in_a_partial_bucket_waits_until_the_bucket_is_final() {
        let spike_at_end = |i: usize| if i == 23 { 90.0 } else { (i % 2) as f64 };
        let now = answer("from=now-2h&period=300", NOW, spike_at_end);
        assert!(now.annotations.iter().all(|a| a.kind != AnnotationKind::Spike), "{:?}", now.annotations);
        // The same data an hour later, when that bucket is final: a spike.
        let view = View::from_query("from=now-2h&period=300").unwrap();
        let plan = Plan::new(&view, NOW).unwrap();
        let later = NOW + 3_600;
        let errors = errors(&view);
        let points: Vec<(i64, f64)> = plan.timestamps().enumerate().map(|(i, t)| (t, spike_at_end(i))).collect();
        let datapoints = vec![points];
        let settled =
            assemble(&view, &plan, later, &errors, Answered { datapoints: &datapoints, ..Answered::default() });
        assert_eq!(settled.partial_from, None);
        assert!(settled.annotations.iter().any(|a| a.kind == AnnotationKind::Spike && a.value == 90.0));
    }

    #[test]
    fn both_sides_are_labelled_and_rates_follow_their_series() {
        let response = answer(
            "metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount&rate=on&from=now-1h",
            NOW,
            |_| 2.0,
        );
        let labels: Vec<&str> = response.series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            vec![
                "target · edge-alb",
                "client · edge-alb",
                "target · edge-alb per 1,000 requests",
                "client · edge-alb per 1,000 new connections"
            ]
        );
        assert_eq!(response.series[2].id, "r0");
        assert!(response.series[2].values.iter().all(|v| *v == Some(1_000.0)));
        assert!(response.warnings.iter().any(|w| w.contains("approximation")));
    }
}
