//! `/api/v1/series` against a real CloudWatch-compatible server: the values
//! tlswatch returns must be the ones the test put, bucket by bucket.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use serde_json::Value;
use tlswatch_tests::{Moto, Tlswatch, now};

const LB_A: &str = "app/edge-alb/50dc6c495c0c9188";
const LB_B: &str = "app/payments-alb/3e9c1f0a7b2d4c68";
const METRIC: &str = "TargetTLSNegotiationErrorCount";
const STATISTICS: [&str; 5] = ["Sum", "Average", "Minimum", "Maximum", "SampleCount"];
const PERIODS: [i64; 3] = [60, 300, 3_600];
/// The test range: four whole hours.
const HOURS: i64 = 4;

/// One value put for one load balancer at one second.
#[derive(Debug, Clone, Copy)]
struct Datum {
    lb: &'static str,
    at: i64,
    value: f64,
}

/// Sparse errors over `HOURS` hours from `base`: most minutes have none, some
/// have one value, some have two values in the same minute.
fn sparse_errors(base: i64) -> Vec<Datum> {
    let mut data = Vec::new();
    for minute in 0..HOURS * 60 {
        let at = base + minute * 60;
        if minute % 17 == 3 {
            data.push(Datum { lb: LB_A, at: at + 5, value: (minute % 5 + 1) as f64 });
        }
        if minute % 29 == 0 {
            data.push(Datum { lb: LB_A, at: at + 10, value: 2.0 });
            data.push(Datum { lb: LB_A, at: at + 40, value: 7.0 });
        }
        if minute % 23 == 11 {
            data.push(Datum { lb: LB_B, at, value: 4.0 });
        }
        if minute % 41 == 7 {
            data.push(Datum { lb: LB_B, at: at + 15, value: 1.0 });
            data.push(Datum { lb: LB_B, at: at + 45, value: 9.0 });
        }
    }
    data
}

async fn put(moto: &Moto, data: &[Datum]) {
    let client = moto.client().await;
    for chunk in data.chunks(100) {
        let datums = chunk
            .iter()
            .map(|datum| {
                MetricDatum::builder()
                    .metric_name(METRIC)
                    .dimensions(Dimension::builder().name("LoadBalancer").value(datum.lb).build())
                    .timestamp(DateTime::from_secs(datum.at))
                    .value(datum.value)
                    .unit(StandardUnit::Count)
                    .build()
            })
            .collect();
        client
            .put_metric_data()
            .namespace("AWS/ApplicationELB")
            .set_metric_data(Some(datums))
            .send()
            .await
            .expect("moto takes the test data");
    }
}

/// What CloudWatch's statistic over one bucket's values is.
fn statistic(stat: &str, values: &[f64]) -> f64 {
    let sum: f64 = values.iter().sum();
    match stat {
        "Sum" => sum,
        "Average" => sum / values.len() as f64,
        "Minimum" => values.iter().copied().fold(f64::INFINITY, f64::min),
        "Maximum" => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "SampleCount" => values.len() as f64,
        _ => unreachable!("{stat}"),
    }
}

/// The expected values of `lb`'s series: the statistic of each bucket that
/// has data, and the fill (0 for counts, null otherwise) elsewhere.
fn expected(data: &[Datum], lb: &str, stat: &str, start: i64, end: i64, period: i64) -> Vec<Value> {
    let mut buckets: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
    for datum in data.iter().filter(|d| d.lb == lb && d.at >= start && d.at < end) {
        buckets.entry((datum.at - start) / period).or_default().push(datum.value);
    }
    let fill = if matches!(stat, "Sum" | "SampleCount") { Value::from(0.0) } else { Value::Null };
    (0..(end - start) / period)
        .map(|index| buckets.get(&index).map_or(fill.clone(), |values| Value::from(statistic(stat, values))))
        .collect()
}

fn as_numbers(values: &Value) -> Vec<Value> {
    values
        .as_array()
        .expect("values is an array")
        .iter()
        .map(|v| if v.is_null() { Value::Null } else { Value::from(v.as_f64().expect("a number")) })
        .collect()
}

#[tokio::test]
async fn series_match_the_data_put_for_every_statistic_and_period() {
    let moto = Moto::start();
    // Whole hours, so the range is aligned to every period tested, and well in the past.
    let start = (now() / 3_600 - HOURS - 2) * 3_600;
    let end = start + HOURS * 3_600;
    let data = sparse_errors(start);
    put(&moto, &data).await;
    let tlswatch = Tlswatch::on_moto(&moto);

    for period in PERIODS {
        for stat in STATISTICS {
            let query = format!("lb={LB_A}&lb={LB_B}&stat={stat}&period={period}&from={start}&to={end}");
            let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
            assert_eq!(status, 200, "{query}: {body}");
            assert_eq!(body["start"], start);
            assert_eq!(body["end"], end);
            assert_eq!(body["period"], period);
            let series = body["series"].as_array().unwrap();
            assert_eq!(series.len(), 2, "{query}");
            for (index, lb) in [LB_A, LB_B].into_iter().enumerate() {
                let one = &series[index];
                assert_eq!(one["dimensions"]["LoadBalancer"], lb);
                assert_eq!(one["stat"], stat);
                assert_eq!(one["metric"], METRIC);
                let timestamps: Vec<i64> =
                    one["timestamps"].as_array().unwrap().iter().map(|t| t.as_i64().unwrap()).collect();
                let grid: Vec<i64> = (start..end).step_by(period as usize).collect();
                assert_eq!(timestamps, grid, "{query}: the full grid");
                assert_eq!(as_numbers(&one["values"]), expected(&data, lb, stat, start, end, period), "{query}: {lb}");
            }
        }
    }
}

#[tokio::test]
async fn unaligned_ranges_are_widened_to_whole_buckets_and_fill_none_leaves_gaps() {
    let moto = Moto::start();
    let start = (now() / 3_600 - HOURS - 2) * 3_600;
    let data = sparse_errors(start);
    put(&moto, &data).await;
    let tlswatch = Tlswatch::on_moto(&moto);

    let query = format!("lb={LB_A}&period=300&fill=none&from={}&to={}", start + 10, start + 3_590);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["start"].as_i64(), body["end"].as_i64()), (Some(start), Some(start + 3_600)));
    let values = as_numbers(&body["series"][0]["values"]);
    let mut want = expected(&data, LB_A, "Sum", start, start + 3_600, 300);
    for value in &mut want {
        if value.as_f64() == Some(0.0) {
            *value = Value::Null;
        }
    }
    assert_eq!(values, want);
    assert!(values.contains(&Value::Null), "the test data leaves some buckets empty");
}

#[tokio::test]
async fn a_view_without_load_balancers_shows_every_one_that_reported() {
    let moto = Moto::start();
    let start = (now() / 3_600 - HOURS - 2) * 3_600;
    let end = start + HOURS * 3_600;
    let data = sparse_errors(start);
    put(&moto, &data).await;
    let tlswatch = Tlswatch::on_moto(&moto);

    let (status, body) = tlswatch.get(&format!("/api/v1/series?period=3600&from={start}&to={end}")).await;
    assert_eq!(status, 200, "{body}");
    let series = body["series"].as_array().unwrap();
    let lbs: Vec<&str> = series.iter().map(|s| s["dimensions"]["LoadBalancer"].as_str().unwrap()).collect();
    assert_eq!(lbs, vec![LB_A, LB_B]);
    assert_eq!(series[1]["label"], "payments-alb");
    assert_eq!(as_numbers(&series[1]["values"]), expected(&data, LB_B, "Sum", start, end, 3_600));
    assert_eq!(body["view"], format!("period=3600&from={}&to={}", rfc3339(start), rfc3339(end)));
}

#[tokio::test]
async fn an_unreachable_cloudwatch_is_a_502_that_says_so() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let tlswatch = Tlswatch::on_endpoint(&endpoint, &[]);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB_A}")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "upstream_unreachable");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("unreachable"), "{message}");
    assert!(!message.contains("testing"), "no credential in messages: {message}");
}

fn rfc3339(seconds: i64) -> String {
    tlswatch_shared::TimeSpec::At(seconds).to_string()
}

#[tokio::test]
async fn a_view_without_load_balancers_on_a_silent_account_says_nothing_reported() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get("/api/v1/series?from=now-3h").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"], serde_json::json!([]));
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("nothing reported TargetTLSNegotiationErrorCount"), "{warnings}");
    assert!(warnings.contains("lb="), "says how to look further back: {warnings}");

    // Once something reports, the warning goes (a new proxy: the list is cached).
    put(&moto, &[Datum { lb: LB_A, at: now() - 600, value: 1.0 }]).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get("/api/v1/series?from=now-3h").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"].as_array().unwrap().len(), 1);
    assert!(!body["warnings"].to_string().contains("nothing reported"), "{body}");
}
