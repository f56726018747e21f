//! Proxy overhead: one view fetched straight from moto with the AWS SDK, and
//! through tlswatch with its cache off, interleaved in one run.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_smithy_types::DateTime;
use tlswatch_tests::{Moto, Tlswatch};

use crate::fleet::{self, DAY_PERIOD as PERIOD};
use crate::report::{Latencies, Report, ms};

const ROUNDS: usize = 200;
const WARM_UP: usize = 10;

pub async fn measure(report: &mut Report) {
    let moto = Moto::start();
    let (start, end) = fleet::one_balancer_for_a_day(&moto).await;
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &[&["--cache-mib", "0"], &fleet::NO_RATE_LIMIT[..]].concat());
    let url =
        format!("{}/api/v1/series?lb={}&period={PERIOD}&from={start}&to={end}", tlswatch.url, fleet::load_balancer(0));
    let sdk = moto.client().await;
    let http = reqwest::Client::new();

    let (mut direct, mut proxied) = (Vec::new(), Vec::new());
    for round in 0..WARM_UP + ROUNDS {
        let a = time(direct_calls(&sdk, start, end)).await;
        let b = time(async {
            let response = http.get(&url).send().await.expect("tlswatch answers");
            assert_eq!(response.status(), 200, "the bench view is served");
            response.bytes().await.expect("a body");
        })
        .await;
        if round >= WARM_UP {
            direct.push(a);
            proxied.push(b);
        }
    }
    let (direct, proxied) = (Latencies::new(direct), Latencies::new(proxied));
    let added = proxied.median().saturating_sub(direct.median());
    let ratio = proxied.median().as_secs_f64() / direct.median().as_secs_f64();
    report.section(
        "1. Proxy overhead",
        &format!(
            "One load balancer, 24 h at 5 min (288 buckets). (a) the AWS SDK asks moto directly for what the view \
             needs (GetMetricData, then DescribeAlarmsForMetric); (b) `GET /api/v1/series` through tlswatch with \
             `--cache-mib 0`, which makes the same two calls and builds the answer (grid, summary, annotations, \
             JSON). {ROUNDS} rounds after {WARM_UP} warm-up, a and b interleaved. Target: b/a under 1.05 and under \
             2 ms added."
        ),
        &["path", "median", "p99"],
        vec![
            vec!["(a) SDK → moto".into(), ms(direct.median()), ms(direct.p99())],
            vec!["(b) browser → tlswatch → moto".into(), ms(proxied.median()), ms(proxied.p99())],
            vec!["b/a, added".into(), format!("{ratio:.3}"), format!("+{}", ms(added))],
        ],
    );
}

/// What the view costs upstream, asked directly.
async fn direct_calls(sdk: &Client, start: i64, end: i64) {
    let dimension = Dimension::builder().name("LoadBalancer").value(fleet::load_balancer(0)).build();
    let metric = Metric::builder()
        .namespace("AWS/ApplicationELB")
        .metric_name(fleet::METRIC)
        .dimensions(dimension.clone())
        .build();
    let query = MetricDataQuery::builder()
        .id("m0")
        .metric_stat(MetricStat::builder().metric(metric).period(PERIOD as i32).stat("Sum").build())
        .build();
    sdk.get_metric_data()
        .metric_data_queries(query)
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .scan_by(ScanBy::TimestampAscending)
        .send()
        .await
        .expect("moto answers GetMetricData");
    sdk.describe_alarms_for_metric()
        .namespace("AWS/ApplicationELB")
        .metric_name(fleet::METRIC)
        .dimensions(dimension)
        .send()
        .await
        .expect("moto answers DescribeAlarmsForMetric");
}

async fn time(work: impl Future<Output = ()>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}
