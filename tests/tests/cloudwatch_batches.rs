//! A view of more than 500 series against a real CloudWatch-compatible
//! server: tlswatch splits it into GetMetricData calls of at most 500
//! queries, and every series gets its own values back across the split.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::upstream::TestUpstream;
use tlswatch_tests::{Moto, Tlswatch, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
/// One more call's worth than CloudWatch takes in one GetMetricData call.
const GROUPS: usize = 520;
const MAX_QUERIES_PER_CALL: usize = 500;

/// Target group `index`; zero-padded so that sorting by value keeps index order.
fn group(index: usize) -> String {
    format!("targetgroup/tg-{index:03}/{:016x}", 0x73e2_d6bc_24d8_a000_u64 + index as u64)
}

/// The errors put for group `index`: distinct per group, so a series that
/// got another's values is caught.
fn errors_of(index: usize) -> f64 {
    (index + 1) as f64
}

/// One datapoint per target group of `LB`, at `at`.
async fn put_one_datapoint_per_group(moto: &Moto, at: i64) {
    let client = moto.client().await;
    let data: Vec<MetricDatum> = (0..GROUPS)
        .map(|index| {
            MetricDatum::builder()
                .metric_name("TargetTLSNegotiationErrorCount")
                .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
                .dimensions(Dimension::builder().name("TargetGroup").value(group(index)).build())
                .timestamp(DateTime::from_secs(at))
                .value(errors_of(index))
                .build()
        })
        .collect();
    for chunk in data.chunks(150) {
        let put = client.put_metric_data().namespace("AWS/ApplicationELB").set_metric_data(Some(chunk.to_vec()));
        put.send().await.expect("moto takes the test data");
    }
}

#[tokio::test]
async fn a_breakdown_of_more_than_500_series_is_two_calls_and_every_series_keeps_its_values() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 2) * 3_600;
    put_one_datapoint_per_group(&moto, start + 600).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    // moto answers 500 queries slowly.
    let tlswatch =
        Tlswatch::on_endpoint(&upstream.endpoint, &["--upstream-timeout", "120", "--upstream-attempt-timeout", "100"]);

    let query = format!("lb={LB}&by=tg&top=100&period=3600&from={start}&to={}", start + 3_600);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    assert_eq!(status, 200, "{body:.500}");

    let calls = upstream.data_calls();
    let queries: Vec<usize> = calls.iter().map(|call| call.queries).collect();
    assert_eq!(queries, vec![MAX_QUERIES_PER_CALL, GROUPS - MAX_QUERIES_PER_CALL], "{calls:?}");
    assert!(calls.iter().all(|call| (call.start, call.end) == (start, start + 3_600)), "{calls:?}");

    // The ranking lists every series of the breakdown with its total.
    let totals: BTreeMap<String, f64> = body["ranking"]
        .as_array()
        .expect("a ranking")
        .iter()
        .map(|r| (r["dimensions"]["TargetGroup"].as_str().unwrap().to_string(), r["total"].as_f64().unwrap()))
        .collect();
    let expected: BTreeMap<String, f64> = (0..GROUPS).map(|index| (group(index), errors_of(index))).collect();
    assert_eq!(totals.len(), GROUPS, "every group is ranked");
    for index in [0, MAX_QUERIES_PER_CALL - 1, MAX_QUERIES_PER_CALL, GROUPS - 1] {
        assert_eq!(totals[&group(index)], errors_of(index), "group {index}, beside the split");
    }
    assert_eq!(totals, expected, "every group has its own values");
    let everything: f64 = (0..GROUPS).map(errors_of).sum();
    assert_eq!(body["summary"]["total"], everything);
    assert_eq!(
        tlswatch.metric("tlswatch_cloudwatch_metrics_requested_total", &[]).await,
        GROUPS as f64,
        "each series requested once"
    );
}
