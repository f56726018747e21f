//! tlswatch between browsers and a misbehaving CloudWatch: identical requests
//! share one upstream call, answers are cached, failures map to the documented
//! errors or a stale answer, and one hanging call blocks nobody else.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";

async fn put_some_errors(moto: &Moto) {
    let client = moto.client().await;
    let datum = |minutes_ago: i64| {
        MetricDatum::builder()
            .metric_name("TargetTLSNegotiationErrorCount")
            .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
            .timestamp(DateTime::from_secs(now() - minutes_ago * 60))
            .value(3.0)
            .build()
    };
    client
        .put_metric_data()
        .namespace("AWS/ApplicationELB")
        .set_metric_data(Some(vec![datum(5), datum(30), datum(50)]))
        .send()
        .await
        .expect("moto takes the test data");
}

fn through(upstream: &TestUpstream, extra: &[&str]) -> Tlswatch {
    Tlswatch::on_endpoint(&upstream.endpoint, extra)
}

/// Every sample of the cache outcome counter of `/metrics`.
async fn lookups(tlswatch: &Tlswatch) -> BTreeMap<String, f64> {
    tlswatch.samples("tlswatch_cache_lookups_total").await
}

/// Cache outcome samples as [`lookups`] reads them.
fn outcomes(counts: &[(&str, f64)]) -> BTreeMap<String, f64> {
    counts.iter().map(|(outcome, count)| (format!("outcome={outcome}"), *count)).collect()
}

/// A view over the last hour at one-minute buckets with an absolute range:
/// a relative one would move if a minute turned between requests.
fn last_hour_view() -> String {
    let end = now().div_euclid(60) * 60 + 60;
    format!("/api/v1/series?lb={LB}&period=60&from={}&to={end}", end - 3_600)
}

#[tokio::test]
async fn identical_cold_requests_in_flight_together_share_one_upstream_call() {
    const REQUESTS: usize = 40;
    let moto = Moto::start();
    put_some_errors(&moto).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    // The call is held until tlswatch has read every request: all of them
    // arrive while it is in flight, however slow the machine.
    upstream.behave(Behaviour::Hold);
    let tlswatch = through(&upstream, &[]);
    let path = last_hour_view();

    let sent = tlswatch.send_together(&path, REQUESTS).await;
    sent.until_read().await;
    upstream.until_called("GetMetricData", 1).await;
    upstream.release();
    let answers = sent.answers().await;
    assert!(answers.iter().all(|(status, _)| *status == 200), "every request is answered");
    assert!(answers.iter().all(|(_, body)| body == &answers[0].1), "every answer is the same");
    assert_eq!(answers[0].1["summary"]["total"], 9.0, "the data moto holds");
    assert_eq!(upstream.get_metric_data_calls(), 1, "one GetMetricData call for {REQUESTS} requests");
    // One request made the call, the others waited for it: exactly these samples.
    let coalesced = (REQUESTS - 1) as f64;
    assert_eq!(lookups(&tlswatch).await, outcomes(&[("miss", 1.0), ("coalesced", coalesced)]));

    let (status, _) = tlswatch.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(upstream.get_metric_data_calls(), 1, "a repeat within the TTL is served from the cache");
    assert_eq!(lookups(&tlswatch).await, outcomes(&[("miss", 1.0), ("coalesced", coalesced), ("hit", 1.0)]));
}

#[tokio::test]
async fn without_a_cache_every_request_is_an_upstream_call() {
    let moto = Moto::start();
    put_some_errors(&moto).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let uncached = through(&upstream, &["--cache-mib", "0"]);
    let path = last_hour_view();
    for _ in 0..3 {
        let (status, body) = uncached.get(&path).await;
        assert_eq!((status, &body["summary"]["total"]), (200, &serde_json::json!(9.0)));
    }
    assert_eq!(upstream.get_metric_data_calls(), 3, "with --cache-mib 0 every request is a call");
}

#[tokio::test]
async fn metrics_requested_counts_each_series_asked_of_cloudwatch_once() {
    const REQUESTED: &str = "tlswatch_cloudwatch_metrics_requested_total";
    let moto = Moto::start();
    put_some_errors(&moto).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let groups = ["targetgroup/blue/6d0ecf831eec9f09", "targetgroup/green/6d0ecf831eec9f0a"];
    let other = "app/payments-alb/3e9c1f0a7b2d4c68";
    // Absolute ranges, so a repeat is the same view even when a bucket turns.
    let end = now().div_euclid(300) * 300 + 300;
    let range = format!("from={}&to={end}", end - 7_200);
    // Two load balancers times two target groups: four series.
    let path = format!("/api/v1/series?lb={LB}&lb={other}&tg={}&tg={}&{range}", groups[0], groups[1]);
    assert_eq!(tlswatch.metric(REQUESTED, &[]).await, 0.0);

    let (status, body) = tlswatch.get(&path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"].as_array().unwrap().len(), 4);
    assert_eq!(tlswatch.metric(REQUESTED, &[]).await, 4.0, "one metric per series");

    let (status, _) = tlswatch.get(&path).await;
    assert_eq!(status, 200);
    assert_eq!(tlswatch.metric(REQUESTED, &[]).await, 4.0, "a cached repeat requests nothing");

    let (status, _) = tlswatch.get(&format!("/api/v1/series?lb={LB}&{range}")).await;
    assert_eq!(status, 200);
    assert_eq!(tlswatch.metric(REQUESTED, &[]).await, 5.0, "another view of one series");
}

#[tokio::test]
async fn upstream_failures_give_the_documented_errors_and_the_server_keeps_serving() {
    let moto = Moto::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch =
        through(&upstream, &["--upstream-timeout", "3", "--upstream-attempt-timeout", "1", "--upstream-attempts", "2"]);
    let cases = [
        (Behaviour::Throttle, 503, "upstream_throttled"),
        (Behaviour::Fail, 502, "upstream_error"),
        (Behaviour::Garbage, 502, "upstream_error"),
        (Behaviour::Hang, 504, "upstream_timeout"),
    ];
    for (index, (behaviour, status, code)) in cases.into_iter().enumerate() {
        upstream.behave(behaviour);
        // A different view each time, so nothing is cached.
        let path = format!("/api/v1/series?lb={LB}&from=now-{}h", index + 1);
        let started = Instant::now();
        let (got, body) = tlswatch.get(&path).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{behaviour:?}: {body}");
        // Within --upstream-timeout 3 and its retry, with room for busy
        // cores; the default call timeout (25 s) would take longer.
        assert!(started.elapsed() < Duration::from_secs(20), "{behaviour:?} answered within the timeout");
        assert!(!body["error"]["message"].as_str().unwrap().contains("testing"), "no credential in {body}");
    }

    // One hanging call does not hold up anything else.
    upstream.behave(Behaviour::Hang);
    let hanging_path = format!("/api/v1/series?lb={LB}&from=now-9h");
    let calls_before = upstream.get_metric_data_calls();
    let hanging = async {
        let answer = tlswatch.get(&hanging_path).await;
        (answer, Instant::now())
    };
    let others = async {
        // Once the hanging call has reached the upstream, so that it is in flight.
        upstream.until_called("GetMetricData", calls_before + 1).await;
        let (status, _) = tlswatch.get("/api/v1/catalog").await;
        assert_eq!(status, 200);
        let (status, _) = tlswatch.get("/api/v1/dimensions").await;
        assert_eq!(status, 200, "ListMetrics still answers");
        Instant::now()
    };
    let (((hung_status, _), hung_done), others_done) = tokio::join!(hanging, others);
    assert_eq!(hung_status, 504);
    // Counted, not timed: the others were answered while the call still hung.
    assert!(others_done < hung_done, "other requests waited for the hanging call");
}

#[tokio::test]
async fn a_failing_upstream_gets_the_last_good_answer_marked_stale() {
    let moto = Moto::start();
    put_some_errors(&moto).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = through(&upstream, &["--cache-ttl", "1", "--upstream-attempts", "1"]);
    let path = format!("/api/v1/series?lb={LB}&period=60&from=now-1h");
    let (status, fresh) = tlswatch.get(&path).await;
    assert_eq!(status, 200);

    upstream.behave(Behaviour::Throttle);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let response = reqwest::get(format!("{}{path}", tlswatch.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["stale"], "true");
    let stale: serde_json::Value = response.json().await.unwrap();
    assert_eq!(stale["summary"]["total"], fresh["summary"]["total"], "the last good data");
    let warning = stale["warnings"].as_array().unwrap().iter().filter_map(|w| w.as_str()).collect::<Vec<_>>().join(" ");
    assert!(warning.contains("CloudWatch throttled") && warning.contains("showing the answer from"), "{warning}");
    assert_eq!(upstream.get_metric_data_calls(), 2, "the upstream was asked again, once");
    // Both requests missed (the first fresh, the second expired) and the
    // second was answered stale.
    assert_eq!(lookups(&tlswatch).await, outcomes(&[("miss", 2.0), ("stale", 1.0)]));
    let series = tlswatch.samples("tlswatch_http_requests_total").await;
    let series: BTreeMap<_, _> = series.into_iter().filter(|(labels, _)| labels.contains("/api/v1/series")).collect();
    assert_eq!(series, [("route=/api/v1/series,status=200".to_string(), 2.0)].into(), "a stale answer is a 200");
}

/// Failed GetMetricData calls of one kind, from `/metrics`.
async fn upstream_errors(tlswatch: &Tlswatch, kind: &str) -> f64 {
    let labels = [("operation", "GetMetricData"), ("kind", kind), ("account", "default")];
    tlswatch.metric("tlswatch_upstream_errors_total", &labels).await
}

/// The warnings of a series answer, joined.
fn warnings(body: &serde_json::Value) -> String {
    let warnings = body["warnings"].as_array().expect("warnings is an array");
    warnings.iter().filter_map(|w| w.as_str()).collect::<Vec<_>>().join(" | ")
}

#[tokio::test]
async fn access_denied_is_a_502_naming_the_permission_and_is_never_served_stale() {
    let moto = Moto::start();
    put_some_errors(&moto).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    // Answers that may still change expire at once; no retries.
    let tlswatch = through(&upstream, &["--cache-ttl", "0.001", "--upstream-attempts", "1"]);

    upstream.behave(Behaviour::AccessDenied);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB}&from=now-3h")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (502, Some("upstream_access_denied")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("cloudwatch:GetMetricData"), "names the missing permission: {message}");
    assert!(!message.contains("123456789012"), "the upstream's own message stays in the log: {message}");

    // A good answer, cached and then expired...
    upstream.behave(Behaviour::Forward);
    let path = format!("/api/v1/series?lb={LB}&period=60&from=now-1h");
    let (status, fresh) = tlswatch.get(&path).await;
    assert_eq!((status, &fresh["summary"]["total"]), (200, &serde_json::json!(9.0)));
    tokio::time::sleep(Duration::from_millis(50)).await;

    // ...is not shown when access is denied: the user must fix permissions...
    upstream.behave(Behaviour::AccessDenied);
    let denied = tlswatch.response(&path).await;
    assert_eq!(denied.status(), 502);
    assert!(denied.headers().get("stale").is_none(), "no stale answer");
    let denied: serde_json::Value = denied.json().await.unwrap();
    assert_eq!(denied["error"]["code"], "upstream_access_denied");

    // ...whereas a throttled call gets it, marked stale.
    upstream.behave(Behaviour::Throttle);
    let throttled = tlswatch.response(&path).await;
    assert_eq!(throttled.status(), 200);
    assert_eq!(throttled.headers()["stale"], "true");
    let throttled: serde_json::Value = throttled.json().await.unwrap();
    assert_eq!(throttled["summary"]["total"], fresh["summary"]["total"], "the last good data");
    assert!(warnings(&throttled).contains("CloudWatch throttled"), "{throttled}");
    assert_eq!(upstream.get_metric_data_calls(), 4, "every request after expiry asked the upstream");
    assert_eq!(upstream_errors(&tlswatch, "upstream_access_denied").await, 2.0, "/metrics counts failures by kind");
    assert_eq!(upstream_errors(&tlswatch, "upstream_throttled").await, 1.0);
}

#[tokio::test]
async fn a_view_is_answered_with_a_warning_when_only_its_alarms_cannot_be_read() {
    let moto = Moto::start();
    put_some_errors(&moto).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave_on("DescribeAlarmsForMetric", Behaviour::Fail);
    let tlswatch = through(&upstream, &["--upstream-attempts", "1"]);

    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB}&period=60&from=now-1h")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"]["total"], 9.0, "the data is still there");
    assert!(warnings(&body).contains("alarms not shown"), "{body}");
    assert_eq!(upstream.calls("DescribeAlarmsForMetric"), 1, "the alarms were asked for");
    assert!(body["annotations"].as_array().unwrap().iter().all(|a| a["kind"] != "alarm"));
}

#[tokio::test]
async fn sigterm_stops_accepting_finishes_requests_in_flight_and_exits_zero() {
    let moto = Moto::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave(Behaviour::Hang);
    let mut tlswatch = through(&upstream, &["--upstream-timeout", "2", "--upstream-attempt-timeout", "2"]);
    let url = tlswatch.url.clone();
    let in_flight = tokio::spawn(async move {
        let response = reqwest::get(format!("{url}/api/v1/series?lb={LB}")).await.expect("answered before exit");
        response.status().as_u16()
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    tlswatch.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = reqwest::get(format!("{}/healthz", tlswatch.url)).await;
    assert!(refused.is_err(), "no new connections after SIGTERM");
    assert_eq!(in_flight.await.unwrap(), 504, "the request in flight got its answer");
    let status = tokio::task::spawn_blocking(move || tlswatch.wait_exit(Duration::from_secs(10))).await.unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

#[tokio::test]
async fn a_refresh_asks_cloudwatch_only_for_buckets_that_may_still_change() {
    let moto = Moto::start();
    let client = moto.client().await;
    let minute = |t: i64| t.div_euclid(60) * 60;
    let end = minute(now()) + 60;
    let start = end - 2 * 3_600;
    let data = (start..end).step_by(60).enumerate().map(|(index, t)| {
        MetricDatum::builder()
            .metric_name("TargetTLSNegotiationErrorCount")
            .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
            .timestamp(DateTime::from_secs(t))
            .value((index % 7 + 1) as f64)
            .build()
    });
    client
        .put_metric_data()
        .namespace("AWS/ApplicationELB")
        .set_metric_data(Some(data.collect()))
        .send()
        .await
        .expect("moto takes the test data");
    let upstream = TestUpstream::start(&moto.endpoint).await;
    // Answers whose last bucket may still change expire at once: every
    // request below misses the answer cache.
    let tlswatch = through(&upstream, &["--cache-ttl", "0.001"]);
    let path = format!("/api/v1/series?lb={LB}&period=60&from={start}&to={end}");

    let (status, first) = tlswatch.get(&path).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (status, second) = tlswatch.get(&path).await;
    assert_eq!(status, 200);

    let calls = upstream.data_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!((calls[0].start, calls[0].end), (start, end), "the first request asks for everything");
    // CloudWatch no longer changes buckets that ended ten minutes ago.
    let settled = minute(now() - 600);
    assert!(
        calls[1].start >= settled - 60 && calls[1].start <= settled && calls[1].end == end,
        "the refresh asks only for the last ten minutes or so: {:?} (settled from {settled})",
        calls[1]
    );
    assert_eq!(second["series"], first["series"], "settled and new buckets make the same answer");
    assert_eq!(first["summary"]["buckets_with_errors"], 120, "the data moto holds");
}
