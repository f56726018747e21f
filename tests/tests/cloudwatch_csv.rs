//! `format=csv` against a real CloudWatch-compatible server: a download of
//! the same values as the JSON answer, empty cells for gaps, and rate columns.

use serde_json::{Value, json};
use tlswatch_tests::{Moto, Tlswatch, datum, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const PERIOD: i64 = 300;

/// Errors in buckets 0 and 2 of four, requests in every bucket but the last.
async fn put_errors_and_requests(moto: &Moto, start: i64) {
    let at =
        |metric: &str, minute: i64, value: f64| datum(metric, &[("LoadBalancer", LB)], start + minute * 60 + 5, value);
    moto.put(vec![
        at("TargetTLSNegotiationErrorCount", 1, 6.0),
        at("TargetTLSNegotiationErrorCount", 11, 3.0),
        at("RequestCount", 2, 1_500.0),
        at("RequestCount", 7, 3_000.0),
        at("RequestCount", 12, 2_000.0),
    ])
    .await;
}

/// One CSV record: fields split at commas outside quotes, quotes removed.
fn record(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The download of `query`: its rows, after checking it is a CSV attachment.
async fn download(tlswatch: &Tlswatch, query: &str) -> Vec<Vec<String>> {
    let response = tlswatch.response(&format!("/api/v1/series?{query}&format=csv")).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename="), "{disposition}");
    assert!(disposition.trim_end_matches('"').ends_with(".csv"), "{disposition}");
    let text = response.text().await.unwrap();
    text.lines().map(record).collect()
}

/// A cell as the JSON value it stands for: empty is null.
fn cell_value(cell: &str) -> Value {
    if cell.is_empty() { Value::Null } else { cell.parse::<f64>().expect("a number").into() }
}

fn rfc3339(seconds: i64) -> String {
    tlswatch_shared::TimeSpec::At(seconds).to_string()
}

fn times(start: i64) -> Vec<String> {
    (0..4).map(|bucket| rfc3339(start + bucket * PERIOD)).collect()
}

#[tokio::test]
async fn csv_has_the_json_values_with_empty_cells_for_gaps() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 3) * 3_600;
    put_errors_and_requests(&moto, start).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let query = format!("lb={LB}&stat=Maximum&period={PERIOD}&from={start}&to={}", start + 4 * PERIOD);

    let rows = download(&tlswatch, &query).await;
    assert_eq!(rows[0], vec!["time", "edge-alb"]);
    let body = &rows[1..];
    assert_eq!(body.iter().map(|row| row[0].clone()).collect::<Vec<_>>(), times(start));
    let cells: Vec<&str> = body.iter().map(|row| row[1].as_str()).collect();
    let values = Value::Array(cells.iter().map(|cell| cell_value(cell)).collect());
    assert_eq!(values, json!([6.0, null, 3.0, null]));
    assert!(cells[1].is_empty() && cells[3].is_empty(), "no datapoint: an empty cell, {cells:?}");

    let (status, json) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    assert_eq!(status, 200);
    assert_eq!(values, json["series"][0]["values"], "the same values as JSON");
}

#[tokio::test]
async fn csv_with_rates_has_a_column_per_thousand_requests() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 3) * 3_600;
    put_errors_and_requests(&moto, start).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let query = format!("lb={LB}&rate=on&period={PERIOD}&from={start}&to={}", start + 4 * PERIOD);

    let rows = download(&tlswatch, &query).await;
    assert_eq!(rows[0], vec!["time", "edge-alb", "edge-alb per 1,000 requests"]);
    let body = &rows[1..];
    assert_eq!(body.iter().map(|row| row[0].clone()).collect::<Vec<_>>(), times(start));
    let column = |index: usize| Value::Array(body.iter().map(|row| cell_value(&row[index])).collect());
    assert_eq!(column(1), json!([6.0, 0.0, 3.0, 0.0]), "errors");
    // 6 of 1,500; 0 of 3,000; 3 of 2,000; no requests: undefined.
    assert_eq!(column(2), json!([4.0, 0.0, 1.5, null]), "rates");
}

/// The download's columns after `time`, each as `(header, values)`.
fn columns(rows: &[Vec<String>]) -> Vec<(String, Value)> {
    (1..rows[0].len())
        .map(|index| {
            (rows[0][index].clone(), Value::Array(rows[1..].iter().map(|row| cell_value(&row[index])).collect()))
        })
        .collect()
}

/// The JSON answer's series, each as `(label, values)`.
fn series_of(json: &Value) -> Vec<(String, Value)> {
    let series = json["series"].as_array().expect("series");
    series.iter().map(|s| (s["label"].as_str().unwrap().to_string(), s["values"].clone())).collect()
}

#[tokio::test]
async fn csv_of_a_breakdown_and_of_both_metrics_has_a_column_per_series_of_the_json() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 3) * 3_600;
    let at = |metric: &str, group: Option<&str>, minute: i64, value: f64| {
        let mut dims = vec![("LoadBalancer", LB)];
        dims.extend(group.map(|g| ("TargetGroup", g)));
        datum(metric, &dims, start + minute * 60 + 5, value)
    };
    let (blue, green) = ("targetgroup/web-blue/6d0ecf831eec9f09", "targetgroup/web-green/73e2d6bc24d8a067");
    moto.put(vec![
        at("TargetTLSNegotiationErrorCount", Some(blue), 1, 4.0),
        at("TargetTLSNegotiationErrorCount", Some(green), 6, 9.0),
        at("TargetTLSNegotiationErrorCount", None, 1, 4.0),
        at("TargetTLSNegotiationErrorCount", None, 6, 9.0),
        at("ClientTLSNegotiationErrorCount", None, 11, 2.0),
    ])
    .await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let range = format!("period={PERIOD}&from={start}&to={}", start + 4 * PERIOD);
    let breakdown = format!("lb={LB}&by=tg&{range}");
    let both = format!("lb={LB}&metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount&{range}");
    for (query, expected) in [
        // The breakdown's series come most errors first.
        (&breakdown, json!([[0.0, 9.0, 0.0, 0.0], [4.0, 0.0, 0.0, 0.0]])),
        (&both, json!([[4.0, 9.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0]])),
    ] {
        let rows = download(&tlswatch, query).await;
        assert_eq!(rows[1..].iter().map(|row| row[0].clone()).collect::<Vec<_>>(), times(start), "{query}");
        let (status, json) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
        assert_eq!(status, 200, "{json}");
        let csv = columns(&rows);
        assert_eq!(csv, series_of(&json), "{query}: one column per series, headed by its label, with its values");
        assert_eq!(Value::Array(csv.iter().map(|(_, values)| values.clone()).collect()), expected, "{query}");
        assert_ne!(csv[0].0, csv[1].0, "{query}: each column says which series it is");
    }
}
