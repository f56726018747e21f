//! A view's changes on its chart: each change becomes a mark of kind
//! `change` on the view's first series, and the summary names the change
//! nearest before the onset. The page applies this when `/api/v1/changes`
//! answers, so the chart never waits for CloudTrail.

use crate::api::{Annotation, AnnotationKind, SeriesResponse};
use crate::changes::{Change, after_change, nearest_before};

/// `response` with the marks of `changes` (failed calls included, said to
/// have failed) and, when one precedes the onset by less than an hour, the
/// summary's sentence about it.
pub fn with_changes(mut response: SeriesResponse, changes: &[Change]) -> SeriesResponse {
    let Some(first) = response.series.first().map(|s| s.id.clone()) else { return response };
    for change in changes.iter().filter(|c| (response.start..response.end).contains(&c.t)) {
        response.annotations.push(Annotation {
            kind: AnnotationKind::Change,
            series: first.clone(),
            t: change.t,
            t_end: None,
            value: 0.0,
            text: change.description(),
            link: Some(change.console_url.clone()).filter(|url| !url.is_empty()),
        });
    }
    response.summary.onset_change =
        response.summary.onset.and_then(|onset| Some(after_change(nearest_before(changes, onset)?, onset)));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Series, Summary};
    use crate::catalog::Metric;
    use crate::stat::Statistic;

    fn change(t: i64, failed: Option<&str>) -> Change {
        Change {
            t,
            event: "ModifyListener".to_string(),
            event_id: format!("e-{t}"),
            load_balancer: "app/a/1".to_string(),
            changed: "listener 443".to_string(),
            settings: vec!["SslPolicy -> ELBSecurityPolicy-TLS13-1-2-2021-06".to_string()],
            by: "alice".to_string(),
            failed: failed.map(str::to_string),
            console_url: String::new(),
        }
    }

    fn response(onset: Option<i64>) -> SeriesResponse {
        let series = Series {
            id: "s0".to_string(),
            label: "a".to_string(),
            metric: Metric::TargetTlsNegotiationErrorCount,
            stat: Statistic::Sum,
            dimensions: Default::default(),
            timestamps: vec![0, 300],
            values: vec![Some(0.0), Some(1.0)],
            per_thousand: None,
        };
        let summary = Summary {
            total: 1.0,
            buckets: 2,
            buckets_with_errors: 1,
            worst: None,
            last_error: Some(300),
            onset,
            onset_change: None,
        };
        SeriesResponse {
            view: String::new(),
            start: 0,
            end: 600,
            period: 300,
            partial_from: None,
            series: vec![series],
            summary,
            annotations: Vec::new(),
            ranking: Vec::new(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn changes_in_range_are_marked_and_the_one_before_the_onset_is_named() {
        let marked = with_changes(
            response(Some(300)),
            &[change(120, None), change(200, Some("AccessDenied")), change(900, None)],
        );
        let marks: Vec<(i64, &str)> = marked.annotations.iter().map(|a| (a.t, a.text.as_str())).collect();
        assert_eq!(marks.len(), 2, "the change after the range is not marked: {marks:?}");
        assert!(marks[1].1.contains("failed (AccessDenied)"), "{marks:?}");
        assert!(marked.annotations.iter().all(|a| a.kind == AnnotationKind::Change));
        assert_eq!(
            marked.summary.onset_change.as_deref(),
            Some(
                "3 minutes after ModifyListener by alice set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 on listener 443"
            )
        );
        assert_eq!(with_changes(response(None), &[change(120, None)]).summary.onset_change, None);
    }
}
