//! A view as CloudWatch alarms (`GET /api/v1/alarm`): one definition per
//! series (or one alarm on their sum), a threshold suggested from the
//! view's final buckets, and the definitions written as CloudFormation
//! YAML, Terraform HCL or `aws cloudwatch put-metric-alarm` command lines.
//!
//! The metric is a sparse Count, reported only when errors happen: a
//! missing datapoint is zero errors, so every alarm treats missing data as
//! not breaching, and fires on M of N periods above the threshold.

use serde::Serialize;

use crate::annotate::onset;
use crate::api::{Series, SeriesResponse};
use crate::breakdown::OTHERS_ID;
use crate::catalog::NAMESPACE;
use crate::display::AlarmFormat;
use crate::error::{ErrorCode, ViewError};

/// Periods an alarm looks at, and how many of them must breach.
pub const EVALUATION_PERIODS: u32 = 3;
pub const DATAPOINTS_TO_ALARM: u32 = 2;
/// The placeholder for the action (an SNS topic) the alarm notifies.
pub const TOPIC_PARAMETER: &str = "AlarmTopicArn";
const TERRAFORM_TOPIC_VARIABLE: &str = "alarm_topic_arn";
const CLI_TOPIC_VARIABLE: &str = "ALARM_TOPIC_ARN";

/// How an answer is written: JSON, or one of the text forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    #[default]
    Json,
    Text(AlarmFormat),
}

impl ExportFormat {
    pub fn parse(value: &str) -> Result<Self, ViewError> {
        match value {
            "json" => Ok(Self::Json),
            _ => AlarmFormat::parse("format", value, "json, cloudformation, terraform or cli").map(Self::Text),
        }
    }
}

/// One alarm per series, or one on the series' sum (metric math).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    Each,
    Sum,
}

impl Grouping {
    pub fn parse(value: &str) -> Result<Self, ViewError> {
        match value {
            "each" => Ok(Self::Each),
            "sum" => Ok(Self::Sum),
            _ => Err(ViewError::invalid("alarms", value, "each (one alarm per series) or sum (one alarm)")),
        }
    }
}

/// An alarm request's query: the view's own parameters, and the alarm's
/// `format` and `alarms` (each at most once).
pub fn split_query(query: &str) -> Result<(String, ExportFormat, Grouping), ViewError> {
    let (mut format, mut grouping) = (None, None);
    let mut view = Vec::new();
    for (key, value) in crate::query::parse_pairs(query)? {
        let repeated =
            || ViewError::new(ErrorCode::RepeatedParameter, key.clone(), format!("`{key}` was given more than once"));
        match key.as_str() {
            "format" if format.is_some() => return Err(repeated()),
            "format" => format = Some(ExportFormat::parse(&value)?),
            "alarms" if grouping.is_some() => return Err(repeated()),
            "alarms" => grouping = Some(Grouping::parse(&value)?),
            _ => view.push((key, value)),
        }
    }
    let view = crate::query::write_pairs(view.iter().map(|(key, value)| (key.as_str(), value.clone())));
    Ok((view, format.unwrap_or_default(), grouping.unwrap_or_default()))
}

/// A metric an alarm watches, as CloudWatch names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchedMetric {
    pub metric_name: String,
    /// `(name, value)`, in CloudWatch's order.
    pub dimensions: Vec<(String, String)>,
}

/// One alarm, field for field as PutMetricAlarm takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmDefinition {
    pub alarm_name: String,
    pub alarm_description: String,
    pub namespace: &'static str,
    /// One metric, or (with [`Grouping::Sum`]) those whose sum is watched.
    pub metrics: Vec<WatchedMetric>,
    /// `Sum`, `Average`, ... or a percentile (`p99`: an extended statistic).
    pub statistic: String,
    pub period: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison_operator: &'static str,
    pub treat_missing_data: &'static str,
}

impl AlarmDefinition {
    /// Whether the statistic is a percentile, which CloudWatch takes as an
    /// extended statistic.
    pub fn is_extended(&self) -> bool {
        self.statistic.starts_with('p')
    }

    /// The metric math of a summed alarm: `m0 + m1 + ...`.
    pub fn expression(&self) -> Option<String> {
        (self.metrics.len() > 1)
            .then(|| (0..self.metrics.len()).map(|i| format!("m{i}")).collect::<Vec<_>>().join(" + "))
    }
}

/// The alarms of a view, and why some of its series have none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmExport {
    pub view: String,
    pub alarms: Vec<AlarmDefinition>,
    /// How the thresholds were chosen.
    pub threshold_rule: &'static str,
    pub warnings: Vec<String>,
}

pub const THRESHOLD_RULE: &str = "the highest final bucket before the onset where failing began; without an onset, \
    0 when errors were in more than half of the final buckets (failing throughout) or none at all, else the highest \
    final bucket (the quiet level's noise)";

/// The threshold for a series' final buckets (see [`THRESHOLD_RULE`]).
pub fn suggest_threshold(final_values: &[Option<f64>]) -> f64 {
    let highest = |values: &[Option<f64>]| values.iter().flatten().copied().fold(0.0, f64::max);
    if let Some((start, _)) = onset(final_values) {
        return highest(&final_values[..start]);
    }
    let with_errors = final_values.iter().flatten().filter(|value| **value > 0.0).count();
    if with_errors * 2 > final_values.len() { 0.0 } else { highest(final_values) }
}

/// The alarms for `answer` (a series answer of the view), whose page is
/// `link`. Rate series and a breakdown's "others" are left out, each with
/// a warning: an alarm watches one metric of exact dimensions.
pub fn alarms_of(answer: &SeriesResponse, grouping: Grouping, link: &str) -> AlarmExport {
    let mut warnings = Vec::new();
    let watched: Vec<&Series> = answer
        .series
        .iter()
        .filter(|series| {
            if series.per_thousand.is_some() {
                warnings.push(format!(
                    "{}: a rate has no alarm of its own; the error count's alarm watches it",
                    series.label
                ));
                false
            } else if series.id == OTHERS_ID {
                warnings.push("\"others\" sums series the view does not name: it has no alarm".to_string());
                false
            } else {
                true
            }
        })
        .collect();
    let finals = |series: &Series| -> Vec<Option<f64>> {
        let count = series.timestamps.iter().take_while(|t| answer.partial_from.is_none_or(|from| **t < from)).count();
        series.values[..count].to_vec()
    };
    let alarm = |series: &[&Series], final_values: &[Option<f64>]| {
        let first = series[0];
        let names: Vec<String> = series.iter().map(|s| dimension_names(s)).collect();
        let subject = if series.len() == 1 { names[0].clone() } else { format!("sum of {}", names.join(", ")) };
        AlarmDefinition {
            alarm_name: truncated(&format!("{} {subject}", first.metric.as_str()), 255),
            alarm_description: truncated(
                &format!(
                    "TLS negotiation errors ({}) of {subject}, from tlswatch. View: {link}",
                    first.metric.as_str()
                ),
                1024,
            ),
            namespace: NAMESPACE,
            metrics: series
                .iter()
                .map(|s| WatchedMetric {
                    metric_name: s.metric.as_str().to_string(),
                    dimensions: s.dimensions.iter().map(|(name, value)| (name.clone(), value.clone())).collect(),
                })
                .collect(),
            statistic: first.stat.to_string(),
            period: answer.period,
            evaluation_periods: EVALUATION_PERIODS,
            datapoints_to_alarm: DATAPOINTS_TO_ALARM,
            threshold: suggest_threshold(final_values),
            comparison_operator: "GreaterThanThreshold",
            treat_missing_data: "notBreaching",
        }
    };
    let alarms = match grouping {
        _ if watched.is_empty() => Vec::new(),
        Grouping::Each => watched.iter().map(|series| alarm(&[series], &finals(series))).collect(),
        Grouping::Sum => {
            let columns: Vec<Vec<Option<f64>>> = watched.iter().map(|series| finals(series)).collect();
            let summed: Vec<Option<f64>> = (0..columns.iter().map(Vec::len).min().unwrap_or(0))
                .map(|i| {
                    let values: Vec<f64> = columns.iter().filter_map(|column| column[i]).collect();
                    (!values.is_empty()).then(|| values.iter().sum())
                })
                .collect();
            vec![alarm(&watched, &summed)]
        }
    };
    AlarmExport { view: answer.view.clone(), alarms, threshold_rule: THRESHOLD_RULE, warnings }
}

/// A series' dimensions by name, `payments-alb / checkout-tls`: the
/// middle part of a load balancer's or target group's value (CloudWatch
/// takes ASCII names; labels may carry other characters).
fn dimension_names(series: &Series) -> String {
    let names: Vec<&str> = series.dimensions.values().map(|value| value.split('/').nth(1).unwrap_or(value)).collect();
    names.join(" / ")
}

/// `text` cut to at most `max` characters (CloudWatch's limits on names
/// and descriptions).
fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A number as the three formats write it: integers without a fraction.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value}") }
}

/// A YAML double-quoted scalar: JSON's escapes are a subset of YAML's.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// CloudFormation YAML: a template with the topic as a parameter and one
/// `AWS::CloudWatch::Alarm` per alarm.
pub fn cloudformation(export: &AlarmExport) -> String {
    let mut out = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\n");
    out +=
        &format!("Description: {}\n", yaml_string(&format!("CloudWatch alarms of the tlswatch view {}", export.view)));
    out += &format!(
        "Parameters:\n  {TOPIC_PARAMETER}:\n    Type: String\n    Description: \"The SNS topic (or other alarm action) to notify\"\n"
    );
    out += "Resources:\n";
    for (index, alarm) in export.alarms.iter().enumerate() {
        out += &format!("  TlsErrorAlarm{index}:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n");
        let field = |name: &str, value: String| format!("      {name}: {value}\n");
        out += &field("AlarmName", yaml_string(&alarm.alarm_name));
        out += &field("AlarmDescription", yaml_string(&alarm.alarm_description));
        let dimensions = |metric: &WatchedMetric, indent: &str| {
            let mut text = format!("{indent}Dimensions:\n");
            for (name, value) in &metric.dimensions {
                text +=
                    &format!("{indent}  - Name: {}\n{indent}    Value: {}\n", yaml_string(name), yaml_string(value));
            }
            text
        };
        match alarm.expression() {
            None => {
                out += &field("Namespace", yaml_string(alarm.namespace));
                out += &field("MetricName", yaml_string(&alarm.metrics[0].metric_name));
                out += &dimensions(&alarm.metrics[0], "      ");
                let key = if alarm.is_extended() { "ExtendedStatistic" } else { "Statistic" };
                out += &field(key, yaml_string(&alarm.statistic));
                out += &field("Period", alarm.period.to_string());
            }
            Some(expression) => {
                out += "      Metrics:\n";
                for (i, metric) in alarm.metrics.iter().enumerate() {
                    out += &format!("        - Id: m{i}\n          ReturnData: false\n          MetricStat:\n");
                    out += &format!("            Metric:\n              Namespace: {}\n", yaml_string(alarm.namespace));
                    out += &format!("              MetricName: {}\n", yaml_string(&metric.metric_name));
                    out += &dimensions(metric, "              ");
                    out += &format!(
                        "            Period: {}\n            Stat: {}\n",
                        alarm.period,
                        yaml_string(&alarm.statistic)
                    );
                }
                out += &format!("        - Id: total\n          Expression: {}\n", yaml_string(&expression));
                out += &format!("          Label: {}\n          ReturnData: true\n", yaml_string(&alarm.alarm_name));
            }
        }
        out += &field("EvaluationPeriods", alarm.evaluation_periods.to_string());
        out += &field("DatapointsToAlarm", alarm.datapoints_to_alarm.to_string());
        out += &field("Threshold", number(alarm.threshold));
        out += &field("ComparisonOperator", alarm.comparison_operator.to_string());
        out += &field("TreatMissingData", alarm.treat_missing_data.to_string());
        out += &format!("      AlarmActions:\n        - !Ref {TOPIC_PARAMETER}\n");
    }
    out
}

/// An HCL quoted string: `\`, `"` and control characters escaped, and the
/// template sequences `${` and `%{` doubled so they stay literal.
fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out += "\\\\",
            '"' => out += "\\\"",
            '\n' => out += "\\n",
            '\r' => out += "\\r",
            '\t' => out += "\\t",
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out + "\""
}

/// Terraform HCL: a variable for the topic and one
/// `aws_cloudwatch_metric_alarm` per alarm.
pub fn terraform(export: &AlarmExport) -> String {
    let mut out = format!(
        "# CloudWatch alarms of the tlswatch view {}\n\nvariable \"{TERRAFORM_TOPIC_VARIABLE}\" {{\n  type        = string\n  \
         description = \"The SNS topic (or other alarm action) to notify\"\n}}\n",
        export.view.replace('\n', " ")
    );
    for (index, alarm) in export.alarms.iter().enumerate() {
        out += &format!("\nresource \"aws_cloudwatch_metric_alarm\" \"tls_errors_{index}\" {{\n");
        let field = |name: &str, value: String| format!("  {name:<19} = {value}\n");
        out += &field("alarm_name", hcl_string(&alarm.alarm_name));
        out += &field("alarm_description", hcl_string(&alarm.alarm_description));
        let dimensions = |metric: &WatchedMetric, indent: &str| {
            let mut text = format!("{indent}dimensions = {{\n");
            for (name, value) in &metric.dimensions {
                text += &format!("{indent}  {name} = {}\n", hcl_string(value));
            }
            text + &format!("{indent}}}\n")
        };
        match alarm.expression() {
            None => {
                out += &field("namespace", hcl_string(alarm.namespace));
                out += &field("metric_name", hcl_string(&alarm.metrics[0].metric_name));
                let key = if alarm.is_extended() { "extended_statistic" } else { "statistic" };
                out += &field(key, hcl_string(&alarm.statistic));
                out += &field("period", alarm.period.to_string());
                out += &dimensions(&alarm.metrics[0], "  ");
            }
            Some(expression) => {
                for (i, metric) in alarm.metrics.iter().enumerate() {
                    out += &format!(
                        "\n  metric_query {{\n    id          = \"m{i}\"\n    return_data = false\n    metric {{\n"
                    );
                    out += &format!("      namespace   = {}\n", hcl_string(alarm.namespace));
                    out += &format!("      metric_name = {}\n", hcl_string(&metric.metric_name));
                    out += &format!(
                        "      period      = {}\n      stat        = {}\n",
                        alarm.period,
                        hcl_string(&alarm.statistic)
                    );
                    out += &dimensions(metric, "      ");
                    out += "    }\n  }\n";
                }
                out += &format!(
                    "\n  metric_query {{\n    id          = \"total\"\n    expression  = {}\n    label       = {}\n    \
                     return_data = true\n  }}\n\n",
                    hcl_string(&expression),
                    hcl_string(&alarm.alarm_name)
                );
            }
        }
        out += &field("evaluation_periods", alarm.evaluation_periods.to_string());
        out += &field("datapoints_to_alarm", alarm.datapoints_to_alarm.to_string());
        out += &field("threshold", number(alarm.threshold));
        out += &field("comparison_operator", hcl_string(alarm.comparison_operator));
        out += &field("treat_missing_data", hcl_string(alarm.treat_missing_data));
        out += &field("alarm_actions", format!("[var.{TERRAFORM_TOPIC_VARIABLE}]"));
        out += "}\n";
    }
    out
}

/// A POSIX shell word: single-quoted, a `'` written as `'\''`.
fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// One `aws cloudwatch put-metric-alarm` command line per alarm, in
/// `region`; the topic comes from `$ALARM_TOPIC_ARN`.
pub fn cli(export: &AlarmExport, region: &str) -> String {
    let mut out = format!(
        "# CloudWatch alarms of the tlswatch view {}\n# Set {CLI_TOPIC_VARIABLE} to the SNS topic (or other alarm action) \
         to notify.\n",
        export.view.replace('\n', " ")
    );
    for alarm in &export.alarms {
        let json_dimensions = |metric: &WatchedMetric| {
            serde_json::Value::Array(
                metric
                    .dimensions
                    .iter()
                    .map(|(name, value)| serde_json::json!({"Name": name, "Value": value}))
                    .collect(),
            )
        };
        let mut words = vec![
            "aws cloudwatch put-metric-alarm".to_string(),
            format!("--region {}", shell_word(region)),
            format!("--alarm-name {}", shell_word(&alarm.alarm_name)),
            format!("--alarm-description {}", shell_word(&alarm.alarm_description)),
        ];
        match alarm.expression() {
            None => {
                words.push(format!("--namespace {}", shell_word(alarm.namespace)));
                words.push(format!("--metric-name {}", shell_word(&alarm.metrics[0].metric_name)));
                words.push(format!("--dimensions {}", shell_word(&json_dimensions(&alarm.metrics[0]).to_string())));
                let flag = if alarm.is_extended() { "--extended-statistic" } else { "--statistic" };
                words.push(format!("{flag} {}", shell_word(&alarm.statistic)));
                words.push(format!("--period {}", alarm.period));
            }
            Some(expression) => {
                let mut queries: Vec<serde_json::Value> = alarm
                    .metrics
                    .iter()
                    .enumerate()
                    .map(|(i, metric)| {
                        serde_json::json!({"Id": format!("m{i}"), "ReturnData": false, "MetricStat": {
                            "Metric": {"Namespace": alarm.namespace, "MetricName": metric.metric_name,
                                       "Dimensions": json_dimensions(metric)},
                            "Period": alarm.period, "Stat": alarm.statistic}})
                    })
                    .collect();
                queries.push(serde_json::json!({"Id": "total", "Expression": expression, "Label": alarm.alarm_name,
                                                 "ReturnData": true}));
                words.push(format!("--metrics {}", shell_word(&serde_json::Value::Array(queries).to_string())));
            }
        }
        words.push(format!("--evaluation-periods {}", alarm.evaluation_periods));
        words.push(format!("--datapoints-to-alarm {}", alarm.datapoints_to_alarm));
        words.push(format!("--threshold {}", number(alarm.threshold)));
        words.push(format!("--comparison-operator {}", alarm.comparison_operator));
        words.push(format!("--treat-missing-data {}", alarm.treat_missing_data));
        words.push(format!("--alarm-actions \"${CLI_TOPIC_VARIABLE}\""));
        out += &words.join(" \\\n  ");
        out += "\n";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[Option<f64>]) -> Vec<Option<f64>> {
        values.to_vec()
    }

    #[test]
    fn a_quiet_series_alarms_on_any_error() {
        assert_eq!(suggest_threshold(&series(&[None; 48])), 0.0);
        assert_eq!(suggest_threshold(&series(&[Some(0.0); 48])), 0.0);
        assert_eq!(suggest_threshold(&[]), 0.0);
    }

    #[test]
    fn a_noisy_series_alarms_above_its_noise() {
        let mut values = vec![None; 48];
        for (i, value) in [(3, 2.0), (17, 1.0), (30, 3.0), (41, 1.0)] {
            values[i] = Some(value);
        }
        assert_eq!(suggest_threshold(&values), 3.0);
    }

    #[test]
    fn a_failing_series_alarms_above_the_level_before_its_onset() {
        let mut values: Vec<Option<f64>> = (0..48).map(|i| if i % 9 == 0 { Some(1.0) } else { None }).collect();
        for value in values.iter_mut().skip(30) {
            *value = Some(250.0);
        }
        assert_eq!(suggest_threshold(&values), 1.0, "the quiet level before failing began");
        let throughout: Vec<Option<f64>> = (0..48).map(|i| Some(40.0 + f64::from(i % 3))).collect();
        assert_eq!(suggest_threshold(&throughout), 0.0, "failing from the start: it alarms now");
    }

    #[test]
    fn every_format_keeps_special_characters_literal() {
        assert_eq!(hcl_string("a ${b} %{c} \"d\" \\ e"), "\"a $${b} %%{c} \\\"d\\\" \\\\ e\"");
        assert_eq!(shell_word("it's $HOME"), "'it'\\''s $HOME'");
        assert_eq!(yaml_string("a: #b & 'c'"), "\"a: #b & 'c'\"");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(2.5), "2.5");
    }

    #[test]
    fn formats_and_groupings_are_parsed_or_refused_naming_what_is_accepted() {
        assert_eq!(ExportFormat::parse("terraform").unwrap(), ExportFormat::Text(AlarmFormat::Terraform));
        let refused = ExportFormat::parse("yaml").unwrap_err();
        assert_eq!(refused.param, "format");
        assert!(refused.message.contains("cloudformation"), "{}", refused.message);
        assert_eq!(Grouping::parse("sum").unwrap(), Grouping::Sum);
        assert_eq!(Grouping::parse("all").unwrap_err().param, "alarms");
        let (view, format, grouping) = split_query("lb=app/a/1&format=cli&alarms=sum&from=now-1h").unwrap();
        assert_eq!(
            (view.as_str(), format, grouping),
            ("lb=app/a/1&from=now-1h", ExportFormat::Text(AlarmFormat::Cli), Grouping::Sum)
        );
        assert_eq!(split_query("format=cli&format=json").unwrap_err().code, ErrorCode::RepeatedParameter);
    }
}
