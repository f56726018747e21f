//! A breakdown (`by=tg`) against a real CloudWatch-compatible server: the
//! groups come from ListMetrics, their data from one GetMetricData call, and
//! the ranking totals are the data put.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::upstream::TestUpstream;
use tlswatch_tests::{Moto, Tlswatch, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";

fn group(index: usize) -> String {
    format!("targetgroup/tg-{index}/{:016x}", 0x73e2_d6bc_24d8_a000_u64 + index as u64)
}

#[tokio::test]
async fn a_breakdown_by_target_group_ranks_the_groups_from_one_call() {
    let moto = Moto::start();
    let client = moto.client().await;
    let start = (now() / 3_600 - 3) * 3_600;
    // Group i has i errors in each of i minutes: totals 1, 4, 9, 16.
    let mut data = Vec::new();
    for index in 1..=4usize {
        for minute in 0..index {
            data.push(
                MetricDatum::builder()
                    .metric_name("TargetTLSNegotiationErrorCount")
                    .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
                    .dimensions(Dimension::builder().name("TargetGroup").value(group(index)).build())
                    .timestamp(DateTime::from_secs(start + 60 * minute as i64 + 5))
                    .value(index as f64)
                    .build(),
            );
        }
    }
    client.put_metric_data().namespace("AWS/ApplicationELB").set_metric_data(Some(data)).send().await.unwrap();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch =
        Tlswatch::start(&["--source", "cloudwatch", "--region", "us-east-1", "--endpoint-url", &upstream.endpoint]);

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
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    let moto = Moto::start();
    let client = moto.client().await;
    let other = "app/other-alb/0000000000000001";
    for (name, lb, threshold) in [("edge TLS errors", LB, 25.0), ("other TLS errors", other, 7.0)] {
        client
            .put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/ApplicationELB")
            .metric_name("TargetTLSNegotiationErrorCount")
            .dimensions(Dimension::builder().name("LoadBalancer").value(lb).build())
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(threshold)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("moto takes the alarm");
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
}
