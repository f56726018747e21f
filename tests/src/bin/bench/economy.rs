//! Upstream economy: the CloudWatch calls, metrics and buckets that views
//! cost, counted by a test upstream between tlswatch and moto.

use tlswatch_tests::in_process::InProcess;
use tlswatch_tests::upstream::{DataCall, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch};

use crate::fleet::{self, Series};
use crate::report::Report;

pub async fn measure(report: &mut Report) {
    let mut rows = Vec::new();
    rows.push(dashboard(5, 3).await);
    rows.push(dashboard(100, 5).await);
    rows.push(identical_concurrent(100).await);
    rows.push(refreshed_for_an_hour().await);
    report.section(
        "3. Upstream economy",
        "GetMetricData calls as a test upstream between tlswatch and moto counts them (metrics requested is what \
         AWS bills GetMetricData by; buckets asked is metrics × the range's buckets). Targets: one call for a \
         dashboard of up to 500 series, one call for identical concurrent requests, no re-fetch of final buckets \
         (a bucket is final ten minutes after it ends).",
        &["case", "requests", "GetMetricData calls", "metrics requested", "buckets asked", "without reuse"],
        rows,
    );
}

fn through(upstream: &TestUpstream) -> Tlswatch {
    Tlswatch::on_endpoint(&upstream.endpoint, &fleet::PATIENT_WITH_MOTO)
}

fn totals(calls: &[DataCall], period: u32) -> (usize, usize, i64) {
    (calls.len(), calls.iter().map(|c| c.queries).sum(), calls.iter().map(|c| c.buckets(period)).sum())
}

/// (a) Every target group of `lbs` load balancers broken down in one view.
async fn dashboard(lbs: usize, groups: usize) -> Vec<String> {
    let moto = Moto::start();
    let series: Vec<Series> = (0..lbs).flat_map(|lb| (0..groups).map(move |tg| Series { lb, tg: Some(tg) })).collect();
    let end = fleet::aligned_now(300);
    fleet::put(&moto, &series, end - 300, end, 300, 1).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = through(&upstream);
    let (status, body) = tlswatch.get("/api/v1/series?by=tg&top=10&period=300").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ranking"].as_array().map(Vec::len), Some(series.len()), "every group is ranked");
    let (calls, metrics, buckets) = totals(&upstream.data_calls(), 300);
    let case = format!("(a) `by=tg` over {lbs} load balancers × {groups} target groups ({} series)", series.len());
    vec![case, "1".into(), calls.to_string(), metrics.to_string(), buckets.to_string(), buckets.to_string()]
}

/// (b) The same cold view asked `count` times at once.
async fn identical_concurrent(count: usize) -> Vec<String> {
    let moto = Moto::start();
    let end = fleet::aligned_now(300);
    fleet::put(&moto, &[Series { lb: 0, tg: None }], end - 24 * 3_600, end, 300, 3).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = through(&upstream);
    let path = format!("/api/v1/series?lb={}&period=300&from=now-24h", fleet::load_balancer(0));
    let answers = futures::future::join_all((0..count).map(|_| tlswatch.get(&path))).await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    let (calls, metrics, buckets) = totals(&upstream.data_calls(), 300);
    let case = format!("(b) {count} identical concurrent requests, 24 h at 5 min");
    let naive = buckets * count as i64 / calls.max(1) as i64;
    vec![case, count.to_string(), calls.to_string(), metrics.to_string(), buckets.to_string(), naive.to_string()]
}

/// (c) A `now-24h` view refreshed every minute for an hour of simulated
/// time, by tlswatch in-process with its clock driven by the bench and its
/// answers expiring between refreshes as they do after a real minute.
async fn refreshed_for_an_hour() -> Vec<String> {
    let moto = Moto::start();
    let hour_start = fleet::aligned_now(300) - 2 * 3_600;
    let series = [Series { lb: 0, tg: None }];
    fleet::put(&moto, &series, hour_start - 25 * 3_600, hour_start + 3_600, 60, 2).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let proxy = InProcess::on_endpoint(&upstream.endpoint).await;
    let uri = format!("/api/v1/series?lb={}&period=300&from=now-24h", fleet::load_balancer(0));
    let refreshes = 61;
    let mut buckets_per_view = 0;
    for minute in 0..refreshes {
        proxy.set_now(hour_start + minute * 60);
        let (status, body) = proxy.get(&uri).await;
        assert_eq!(status, 200, "{body}");
        buckets_per_view = body["series"][0]["values"].as_array().map_or(0, Vec::len) as i64;
    }
    let (calls, metrics, buckets) = totals(&upstream.data_calls(), 300);
    let case = "(c) `lb=…&from=now-24h&period=300` refreshed every minute for an hour (simulated clock)".to_string();
    let naive = buckets_per_view * refreshes;
    vec![case, refreshes.to_string(), calls.to_string(), metrics.to_string(), buckets.to_string(), naive.to_string()]
}
