//! What moto cannot compute or does not answer, answered by the test
//! upstream with documents shaped as CloudWatch's: percentiles from
//! GetMetricData, and an alarm's history (DescribeAlarmHistory) shaded as
//! the periods the alarm spent in ALARM.

use serde_json::{Value, json};
use tlswatch_shared::TimeSpec;
use tlswatch_tests::upstream::{GET_METRIC_DATA, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const ALARM: &str = "edge-tls-errors";
const XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// ISO 8601 in UTC, as CloudWatch writes times.
fn iso(t: i64) -> String {
    TimeSpec::At(t).to_string()
}

/// The value of `key` in a call's form.
fn field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
}

/// A GetMetricData answer giving every query of the call `points`, newest
/// first as CloudWatch orders them by default.
fn metric_data(form: &[(String, String)], points: &[(i64, f64)]) -> String {
    let ids = form.iter().filter(|(key, _)| key.starts_with("MetricDataQueries.member.") && key.ends_with(".Id"));
    let mut newest_first = points.to_vec();
    newest_first.sort_by_key(|(t, _)| -t);
    let results: String = ids
        .map(|(_, id)| {
            let timestamps: String =
                newest_first.iter().map(|(t, _)| format!("<member>{}</member>", iso(*t))).collect();
            let values: String = newest_first.iter().map(|(_, v)| format!("<member>{v}</member>")).collect();
            format!(
                "<member><Id>{id}</Id><Label>{id}</Label><StatusCode>Complete</StatusCode>\
                 <Timestamps>{timestamps}</Timestamps><Values>{values}</Values></member>"
            )
        })
        .collect();
    format!(
        "<GetMetricDataResponse xmlns=\"{XMLNS}\"><GetMetricDataResult><MetricDataResults>{results}\
         </MetricDataResults><Messages/></GetMetricDataResult><ResponseMetadata><RequestId>canned</RequestId>\
         </ResponseMetadata></GetMetricDataResponse>"
    )
}

/// A DescribeAlarmHistory answer of state updates `(t, from, to)`.
fn alarm_history(changes: &[(i64, &str, &str)]) -> String {
    let items: String = changes
        .iter()
        .map(|(t, from, to)| {
            format!(
                "<member><AlarmName>{ALARM}</AlarmName><AlarmType>MetricAlarm</AlarmType><Timestamp>{}</Timestamp>\
                 <HistoryItemType>StateUpdate</HistoryItemType>\
                 <HistorySummary>Alarm updated from {from} to {to}</HistorySummary></member>",
                iso(*t)
            )
        })
        .collect();
    format!(
        "<DescribeAlarmHistoryResponse xmlns=\"{XMLNS}\"><DescribeAlarmHistoryResult><AlarmHistoryItems>{items}\
         </AlarmHistoryItems></DescribeAlarmHistoryResult><ResponseMetadata><RequestId>canned</RequestId>\
         </ResponseMetadata></DescribeAlarmHistoryResponse>"
    )
}

#[tokio::test]
async fn percentiles_and_alarm_history_are_read_as_cloudwatch_gives_them() {
    let moto = Moto::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    // Two settled hours of five-minute buckets.
    let end = now().div_euclid(3_600) * 3_600 - 3_600;
    let start = end - 2 * 3_600;
    let points = [(start + 600, 4.5), (start + 1_800, 12.25), (end - 300, 0.5)];
    upstream.answer_on(GET_METRIC_DATA, move |form| metric_data(form, &points));

    // An alarm on the series (in moto), in ALARM from 20 to 50 minutes into
    // the range and again from 100 minutes to its end.
    moto.put_alarm(ALARM, LB, 10.0).await;
    let changes = [
        (start + 1_200, "OK", "ALARM"),
        (start + 3_000, "ALARM", "OK"),
        (start + 6_000, "OK", "ALARM"),
        // Before the range: not part of it.
        (start - 3_600, "INSUFFICIENT_DATA", "OK"),
    ];
    upstream.answer_on("DescribeAlarmHistory", move |_| alarm_history(&changes));
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &[]);

    // p99 and p99.9 are asked for by name, and where CloudWatch has no
    // datapoint a percentile is a gap, not a zero.
    for stat in ["p99", "p99.9"] {
        let (status, body) =
            tlswatch.get(&format!("/api/v1/series?lb={LB}&stat={stat}&period=300&from={start}&to={end}")).await;
        assert_eq!(status, 200, "{body}");
        let asked = upstream.forms(GET_METRIC_DATA);
        let asked = asked.last().expect("a GetMetricData call");
        assert_eq!(field(asked, "MetricDataQueries.member.1.MetricStat.Stat"), Some(stat), "{asked:?}");
        let series = &body["series"][0];
        assert_eq!(series["stat"], stat);
        let expected: Vec<Value> = (start..end)
            .step_by(300)
            .map(|t| points.iter().find(|(at, _)| *at == t).map_or(Value::Null, |(_, value)| json!(value)))
            .collect();
        assert_eq!(series["values"], Value::from(expected), "{stat}: CloudWatch's values on the buckets");
    }

    // The view of the sums is shaded where the history says.
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB}&period=300&from={start}&to={end}")).await;
    assert_eq!(status, 200, "{body}");
    let asked = upstream.forms("DescribeAlarmHistory");
    let asked = asked.last().expect("the alarm's history was asked for");
    assert_eq!(field(asked, "AlarmName"), Some(ALARM));
    assert_eq!(field(asked, "HistoryItemType"), Some("StateUpdate"));
    let shaded: Vec<(i64, i64)> = body["annotations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|mark| mark["kind"] == "alarm" && !mark["t_end"].is_null())
        .map(|mark| (mark["t"].as_i64().unwrap(), mark["t_end"].as_i64().unwrap()))
        .collect();
    assert_eq!(shaded, [(start + 1_200, start + 3_000), (start + 6_000, end)], "{body}");
    let threshold = body["annotations"].as_array().unwrap().iter().find(|mark| mark["t_end"].is_null());
    assert_eq!(threshold.map(|mark| &mark["value"]), Some(&json!(10.0)), "the threshold is marked too: {body}");
}
