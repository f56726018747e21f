//! CloudWatch alarms on a view's series, as the chart marks them: the
//! threshold of each, and the stretches it spent in ALARM.

use serde::{Deserialize, Serialize};

use crate::api::{Annotation, AnnotationKind};
use crate::view::View;

/// Views with more error series than this do not show alarms: the proxy
/// asks for them with one DescribeAlarmsForMetric call per series.
pub const MAX_ALARM_SERIES: usize = 20;

/// Whether a view with `series` error series shows alarms: one metric, no
/// breakdown (alarms watch exact dimensions, not "others"), few series.
pub fn shows_alarms(view: &View, series: usize) -> bool {
    (1..=MAX_ALARM_SERIES).contains(&series) && view.by.is_none() && view.metrics.len() == 1
}

/// The state of a CloudWatch alarm, as CloudWatch writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmState {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "ALARM")]
    Alarm,
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl AlarmState {
    /// CloudWatch's name of a state; `None` for one it has not documented.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OK" => Some(Self::Ok),
            "ALARM" => Some(Self::Alarm),
            "INSUFFICIENT_DATA" => Some(Self::InsufficientData),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Alarm => "ALARM",
            Self::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// A CloudWatch alarm on a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub threshold: f64,
    /// As CloudWatch writes it, e.g. `GreaterThanThreshold`.
    pub comparison: String,
    pub state: AlarmState,
}

/// A change of an alarm's state, from its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// Epoch seconds.
    pub t: i64,
    pub from_alarm: bool,
    pub into_alarm: bool,
}

/// The stretches of `[start, end)` an alarm spent in ALARM, from its
/// transitions in that range and whether it is in ALARM now (which decides
/// when the range holds no transition).
pub fn alarm_periods(transitions: &[Transition], in_alarm_now: bool, start: i64, end: i64) -> Vec<(i64, i64)> {
    let mut inside: Vec<Transition> = transitions.iter().copied().filter(|t| t.t >= start && t.t < end).collect();
    inside.sort_by_key(|t| t.t);
    let mut in_alarm = inside.first().map_or(in_alarm_now, |first| first.from_alarm);
    let mut since = start;
    let mut periods = Vec::new();
    for transition in inside {
        if in_alarm && !transition.into_alarm {
            periods.push((since, transition.t));
        }
        if !in_alarm && transition.into_alarm {
            since = transition.t;
        }
        in_alarm = transition.into_alarm;
    }
    if in_alarm {
        periods.push((since, end));
    }
    periods.retain(|(a, b)| b > a);
    periods
}

/// An alarm's threshold on the series `series_id`: a mark without `t_end`,
/// spanning the chart, named with the alarm's state.
pub fn threshold_mark(series_id: &str, alarm: &Alarm) -> Annotation {
    Annotation {
        kind: AnnotationKind::Alarm,
        series: series_id.to_string(),
        t: 0,
        t_end: None,
        value: alarm.threshold,
        text: format!("alarm {} ({}): {} {}", alarm.name, alarm.state.as_str(), alarm.comparison, alarm.threshold),
        link: None,
    }
}

/// The stretches of `[start, end)` that `alarm` spent in ALARM, from its
/// `history`, as shaded marks on the series `series_id`.
pub fn alarm_shading(series_id: &str, alarm: &Alarm, history: &[Transition], start: i64, end: i64) -> Vec<Annotation> {
    alarm_periods(history, alarm.state == AlarmState::Alarm, start, end)
        .into_iter()
        .map(|(t, t_end)| Annotation {
            kind: AnnotationKind::Alarm,
            series: series_id.to_string(),
            t,
            t_end: Some(t_end),
            value: alarm.threshold,
            text: format!("alarm {} in ALARM", alarm.name),
            link: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_periods_follow_the_transitions() {
        let t = |t, from_alarm, into_alarm| Transition { t, from_alarm, into_alarm };
        assert_eq!(alarm_periods(&[t(30, false, true), t(50, true, false)], false, 0, 100), vec![(30, 50)]);
        assert_eq!(alarm_periods(&[t(20, true, false), t(60, false, true)], true, 0, 100), vec![(0, 20), (60, 100)]);
        assert_eq!(alarm_periods(&[], true, 0, 100), vec![(0, 100)]);
        assert_eq!(alarm_periods(&[], false, 0, 100), vec![]);
        assert_eq!(alarm_periods(&[t(150, false, true)], false, 0, 100), vec![], "outside the range");
    }

    #[test]
    fn states_read_as_cloudwatch_writes_them() {
        for state in [AlarmState::Ok, AlarmState::Alarm, AlarmState::InsufficientData] {
            assert_eq!(AlarmState::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        assert_eq!(AlarmState::parse("alarm"), None);
    }

    #[test]
    fn alarms_are_shown_for_one_metric_without_breakdown_and_few_series() {
        let view = |query: &str| View::from_query(query).unwrap();
        assert!(shows_alarms(&view(""), 1));
        assert!(shows_alarms(&view(""), MAX_ALARM_SERIES));
        assert!(!shows_alarms(&view(""), MAX_ALARM_SERIES + 1));
        assert!(!shows_alarms(&view(""), 0));
        assert!(!shows_alarms(&view("by=tg"), 3));
        assert!(!shows_alarms(&view("metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount"), 3));
    }
}
