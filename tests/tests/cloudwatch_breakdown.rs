//! A breakdown (`by=tg`) against a real CloudWatch-compatible server: the
//! groups come from ListMetrics, their data from one GetMetricData call, and
//! the ranking totals are the data put.

use tlswatch_tests::upstream::TestUpstream;
use tlswatch_tests::{Moto, Tlswatch, datum, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";

fn group(index: usize) -> String {
    format!("targetgroup/tg-{index}/{:016x}", 0x73e2_d6bc_24d8_a000_u64 + index as u64)
}

#[tokio::test]
async fn a_breakdown_by_target_group_ranks_the_groups_from_one_call() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 3) * 3_600;
    // Group i has i errors in each of i minutes: totals 1, 4, 9, 16.
    let mut data = Vec::new();
    for index in 1..=4usize {
        let group = group(index);
        for minute in 0..index {
            let dimensions = [("LoadBalancer", LB), ("TargetGroup", group.as_str())];
            let t = start + 60 * minute as i64 + 5;
            data.push(datum("TargetTLSNegotiationErrorCount", &dimensions, t, index as f64));
        }
    }
    moto.put(data).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &[]);

    let query = format!("lb={LB}&by=tg&top=2&period=3600&from={start}&to={}", start + 3_600);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    assert_eq!(status, 200, "{body}");
    let ranking: Vec<(String, f64)> = body["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap().to_string(), r["total"].as_f64().unwrap()))
        .collect();
    let expected: Vec<(String, f64)> = (1..=4).rev().map(|i| (format!("edge-alb · tg-{i}"), (i * i) as f64)).collect();
    assert_eq!(ranking, expected);
    let drawn: Vec<&str> = body["series"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(drawn, vec!["edge-alb · tg-4", "edge-alb · tg-3", "others (sum of 2)"]);
    assert_eq!(body["series"][2]["values"][0], 5.0, "others: 4 + 1");
    assert_eq!(body["summary"]["total"], 30.0);
    assert_eq!(upstream.get_metric_data_calls(), 1, "every group in one GetMetricData call");
}

#[tokio::test]
async fn alarms_on_a_series_are_returned_as_threshold_annotations() {
    let moto = Moto::start();
    let other = "app/other-alb/0000000000000001";
    for (name, lb, threshold) in [("edge TLS errors", LB, 25.0), ("other TLS errors", other, 7.0)] {
        moto.put_alarm(name, lb, threshold).await;
    }
    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB}&from=now-3h")).await;
    assert_eq!(status, 200, "{body}");
    let alarms: Vec<&serde_json::Value> =
        body["annotations"].as_array().unwrap().iter().filter(|a| a["kind"] == "alarm").collect();
    assert_eq!(alarms.len(), 1, "only the alarm with exactly this series' dimensions: {alarms:?}");
    assert_eq!(alarms[0]["value"], 25.0);
    assert_eq!(alarms[0]["series"], "m0");
    assert!(alarms[0]["text"].as_str().unwrap().contains("edge TLS errors"), "{alarms:?}");
    // moto cannot answer DescribeAlarmHistory: the view is answered anyway and says what is missing.
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("ALARM periods of edge TLS errors not shaded"), "{warnings}");
}

#[tokio::test]
async fn rates_are_errors_per_thousand_requests_from_the_same_call() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 3) * 3_600;
    let at =
        |metric: &str, minute: i64, value: f64| datum(metric, &[("LoadBalancer", LB)], start + minute * 60 + 5, value);
    // Hour buckets of 300 s: errors in buckets 0 and 2, requests in every bucket but 3.
    let mut data = vec![at("TargetTLSNegotiationErrorCount", 1, 6.0), at("TargetTLSNegotiationErrorCount", 11, 3.0)];
    for bucket in [0i64, 1, 2] {
        data.push(at("RequestCount", bucket * 5 + 2, 1_500.0 * (bucket + 1) as f64));
    }
    moto.put(data).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &[]);

    let query = format!("lb={LB}&rate=on&from={start}&to={}", start + 1_200);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    assert_eq!(status, 200, "{body}");
    let series = body["series"].as_array().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[0]["values"], serde_json::json!([6.0, 0.0, 3.0, 0.0]));
    assert_eq!(series[1]["id"], "r0");
    assert_eq!(series[1]["per_thousand"], "RequestCount");
    assert_eq!(series[1]["label"], "edge-alb per 1,000 requests");
    // 6 of 1,500; 0 of 3,000; 3 of 4,500; no requests: undefined.
    assert_eq!(series[1]["values"], serde_json::json!([4.0, 0.0, 3.0 / 4_500.0 * 1_000.0, null]));
    assert!(body["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("approximation")));
    assert_eq!(upstream.get_metric_data_calls(), 1, "errors and requests in one call");
}
