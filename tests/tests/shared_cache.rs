//! Two tlswatch replicas sharing a cache (`--cache-url`) on a real
//! `redis-server`, reading moto through the counting test upstream: one
//! replica's answer serves the other, a refresh asks only for the buckets
//! that may still change, identical cold requests on both make one call,
//! and a cache that dies, comes back or holds garbage never fails a view.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::shared_cache::RedisServer;
use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, now, run_to_exit};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const HITS: (&str, &[(&str, &str)]) = ("tlswatch_shared_cache_lookups_total", &[("outcome", "hit")]);
const ERRORS: &str = "tlswatch_shared_cache_errors_total";
const LEASE_WAITS: &str = "tlswatch_shared_cache_lease_waits_total";

/// Errors every minute of the last three hours, differing minute to minute.
async fn put_every_minute(moto: &Moto) {
    let client = moto.client().await;
    let end = now().div_euclid(60) * 60;
    let minutes: Vec<i64> = (end - 3 * 3_600..end).step_by(60).collect();
    let data = minutes.iter().map(|&t| {
        MetricDatum::builder()
            .metric_name("TargetTLSNegotiationErrorCount")
            .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
            .timestamp(DateTime::from_secs(t))
            .value(((t / 60) % 7 + 1) as f64)
            .build()
    });
    let put = client.put_metric_data().namespace("AWS/ApplicationELB").set_metric_data(Some(data.collect()));
    put.send().await.expect("moto takes the test data");
}

/// An absolute view (so a turning minute cannot change it) over `hours`,
/// ending at the next minute moved by `shift` seconds.
fn view(hours: i64, shift: i64) -> (String, i64, i64) {
    let end = now().div_euclid(60) * 60 + 60 + shift;
    let start = end - hours * 3_600;
    (format!("/api/v1/series?lb={LB}&period=60&from={start}&to={end}"), start, end)
}

fn replica(upstream: &TestUpstream, redis: &RedisServer, extra: &[&str]) -> Tlswatch {
    let url = redis.url();
    let mut args = vec!["--cache-url", url.as_str()];
    args.extend_from_slice(extra);
    Tlswatch::on_endpoint(&upstream.endpoint, &args)
}

/// The values of the first series of an answer.
/// Asks A, then B, for views of `first_hours`, then one hour longer each
/// time (spans no replica holds in memory), until B is served A's view
/// without a CloudWatch call; fails with `why` after 20 s.
async fn until_b_is_served_what_a_fetched(
    a: &Tlswatch,
    b: &Tlswatch,
    upstream: &TestUpstream,
    first_hours: i64,
    why: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    for hours in first_hours.. {
        let (fresh, _, _) = view(hours, 0);
        assert_eq!(a.get(&fresh).await.0, 200);
        let calls = upstream.get_metric_data_calls();
        assert_eq!(b.get(&fresh).await.0, 200);
        if upstream.get_metric_data_calls() == calls {
            return;
        }
        assert!(Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The start of an answer's key of the account `default` in us-east-1,
/// as docs/deploy.md gives it (`tlswatch:…:answer:default/us-east-1:…`).
fn documented_answer_key() -> String {
    let deploy = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/deploy.md")).unwrap();
    let example = deploy.split('`').skip(1).step_by(2).find(|span| span.contains(":answer:default/us-east-1:"));
    let example = example.expect("docs/deploy.md gives an example key of an answer");
    let prefix = deploy.split("Keys start with `").nth(1).and_then(|rest| rest.split('`').next());
    let prefix = prefix.expect("docs/deploy.md says what keys start with");
    assert!(example.starts_with(prefix), "the example {example:?} starts with the prefix {prefix:?}");
    example.trim_end_matches('…').to_string()
}

fn values(body: &serde_json::Value) -> serde_json::Value {
    body["series"][0]["values"].clone()
}

#[tokio::test]
async fn a_view_fetched_on_one_replica_is_served_by_the_other_and_a_refresh_asks_only_for_what_may_change() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let (a, b) = (replica(&upstream, &redis, &[]), replica(&upstream, &redis, &[]));
    // A view that ended ten minutes ago, then the same span up to now.
    let (path, _, _) = view(2, -600);

    let (status, on_a) = a.get(&path).await;
    assert_eq!(status, 200, "{on_a}");
    assert_eq!(upstream.get_metric_data_calls(), 1);
    let (status, on_b) = b.get(&path).await;
    assert_eq!(status, 200, "{on_b}");
    assert_eq!(upstream.get_metric_data_calls(), 1, "replica B answered from what A stored");
    assert_eq!(values(&on_b), values(&on_a), "the same data");
    assert_eq!(on_b["summary"], on_a["summary"]);
    assert_eq!(b.metric(HITS.0, HITS.1).await, 2.0, "B's answer and its alarms were shared hits");
    // docs/deploy.md's example key is how the answer is kept.
    let documented = documented_answer_key();
    let keys = redis.keys(&format!("{documented}*"));
    assert_eq!(keys.len(), 1, "one answer under docs/deploy.md's {documented:?}: {:?}", redis.keys("*"));

    // The view ten minutes on, on B: only the buckets after A's final ones are asked for.
    let (later, later_start, later_end) = view(2, 0);
    let (status, refreshed) = b.get(&later).await;
    assert_eq!(status, 200, "{refreshed}");
    let calls = upstream.data_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let refresh = calls[1];
    assert_eq!(refresh.end, later_end);
    assert!(
        later_start < refresh.start && refresh.start >= later_end - 13 * 60 && refresh.start < later_end,
        "from the first bucket that was still filling for A ({} buckets asked, {} in the view): {refresh:?}",
        refresh.buckets(60),
        (later_end - later_start) / 60
    );

    // The merged answer is what a lone tlswatch fetching everything says.
    let alone = Tlswatch::on_moto(&moto);
    let (status, expected) = alone.get(&later).await;
    assert_eq!(status, 200);
    assert_eq!(values(&refreshed), values(&expected), "kept buckets merged with the fetched ones");
}

#[tokio::test]
async fn fifty_identical_cold_requests_over_two_replicas_make_one_call() {
    const REQUESTS: usize = 50;
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    // The call is held until both replicas have read every request: all of
    // them arrive while it is in flight, however slow the machine.
    upstream.behave(Behaviour::Hold);
    let replicas = [replica(&upstream, &redis, &[]), replica(&upstream, &redis, &[])];
    let (path, _, _) = view(1, 0);

    let sent =
        [replicas[0].send_together(&path, REQUESTS / 2).await, replicas[1].send_together(&path, REQUESTS / 2).await];
    for sent in &sent {
        sent.until_read().await;
    }
    upstream.until_called("GetMetricData", 1).await;
    upstream.release();
    let [on_a, on_b] = sent;
    let (mut answers, on_b) = tokio::join!(on_a.answers(), on_b.answers());
    answers.extend(on_b);
    assert!(answers.iter().all(|(status, _)| *status == 200), "every request is answered");
    assert!(answers.iter().all(|(_, body)| values(body) == values(&answers[0].1)), "the same answer everywhere");
    assert_eq!(upstream.get_metric_data_calls(), 1, "one GetMetricData call for {REQUESTS} requests on 2 replicas");
    let waits = replicas[0].metric(LEASE_WAITS, &[]).await + replicas[1].metric(LEASE_WAITS, &[]).await;
    assert_eq!(upstream.calls("DescribeAlarmsForMetric"), 1, "and one call for its alarms");
    // For the answer and for its alarms, the replica that lost the lease waited once.
    assert!((1.0..=2.0).contains(&waits), "one replica waited on the other's lease for each ({waits})");
}

#[tokio::test]
async fn a_cache_server_killed_mid_run_fails_no_request_and_is_used_again_when_back() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let mut redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let (a, b) = (replica(&upstream, &redis, &[]), replica(&upstream, &redis, &[]));
    let (path, _, _) = view(1, 0);
    assert_eq!(a.get(&path).await.0, 200);

    redis.kill();
    for hours in 1..=6 {
        for tlswatch in [&a, &b] {
            let (other, _, _) = view(hours, 0);
            let started = Instant::now();
            let (status, body) = tlswatch.get(&other).await;
            assert_eq!(status, 200, "answered without the shared cache: {body}");
            assert!(started.elapsed() < Duration::from_secs(5), "not held up by the dead cache");
        }
    }
    let errors = a.metric(ERRORS, &[]).await + b.metric(ERRORS, &[]).await;
    assert!(errors >= 2.0, "both replicas counted the cache's failure ({errors})");

    // Back, empty: within seconds a view fetched on A serves B again.
    redis.restart();
    // Spans no earlier request used, so no replica holds them in memory.
    until_b_is_served_what_a_fetched(
        &a,
        &b,
        &upstream,
        7,
        "the replicas did not use the cache again after it came back",
    )
    .await;
    assert!(!redis.keys("tlswatch:v2:*").is_empty(), "the restarted server holds views again");
}

#[tokio::test]
async fn a_leaseholder_killed_mid_fetch_is_taken_over_when_its_lease_expires() {
    const TIMEOUT: u64 = 4;
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let timeout = TIMEOUT.to_string();
    let flags = ["--upstream-timeout", timeout.as_str()];
    let (a, b) = (replica(&upstream, &redis, &flags), replica(&upstream, &redis, &flags));
    let (path, _, _) = view(1, 0);

    // A takes the lease and its call hangs; then A dies.
    upstream.behave(Behaviour::Delay(60_000));
    let on_a = tokio::spawn(reqwest::get(format!("{}{path}", a.url)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while upstream.get_metric_data_calls() == 0 {
        assert!(Instant::now() < deadline, "A never called");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let lease_taken = Instant::now();
    assert_eq!(redis.keys("tlswatch:v2:answer:*:lease").len(), 1, "A holds a lease");
    drop(a);
    let _ = on_a.await;
    upstream.behave(Behaviour::Forward);

    let (status, body) = b.get(&path).await;
    let waited = lease_taken.elapsed();
    assert_eq!(status, 200, "{body}");
    assert_eq!(upstream.get_metric_data_calls(), 2, "B fetched itself");
    assert!(b.metric(LEASE_WAITS, &[]).await >= 1.0, "B waited on A's lease first");
    assert!(waited >= Duration::from_secs(TIMEOUT - 1), "B respected the lease ({waited:?})");
    // The lease lasts the upstream timeout (4 s); B's own call to moto and
    // busy cores add a little, the default timeout (25 s) would add far more.
    assert!(waited < Duration::from_secs(TIMEOUT + 6), "nobody waits past the upstream timeout ({waited:?})");
}

#[tokio::test]
async fn a_shared_value_that_does_not_decode_is_a_miss_and_is_overwritten() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let (a, b) = (replica(&upstream, &redis, &[]), replica(&upstream, &redis, &[]));
    let (path, _, _) = view(1, 0);
    let (status, on_a) = a.get(&path).await;
    assert_eq!(status, 200);

    let keys = redis.keys("tlswatch:v2:answer:*");
    assert_eq!(keys.len(), 1, "{keys:?}");
    redis.cli(&["SET", &keys[0], "\u{1}not what tlswatch wrote"]);
    let (status, on_b) = b.get(&path).await;
    assert_eq!(status, 200, "{on_b}");
    assert_eq!(values(&on_b), values(&on_a));
    assert_eq!(upstream.get_metric_data_calls(), 2, "garbage is a miss: B fetched");
    assert!(redis.cli(&["GET", &keys[0]]).starts_with('{'), "and B wrote the value over it");
}

#[test]
fn a_cache_url_that_is_not_redis_is_refused_at_start() {
    let (ok, stderr) =
        run_to_exit(&["--listen", "127.0.0.1:0", "--source", "demo", "--cache-url", "http://user:secret@cache:6379"]);
    assert!(!ok, "refused");
    assert!(stderr.contains("--cache-url") && stderr.contains("redis://"), "names the flag: {stderr}");
    assert!(!stderr.contains("secret"), "never shows the password: {stderr}");
}

/// Calls of every Elastic Load Balancing operation the review makes.
fn load_balancing_calls(upstream: &TestUpstream) -> usize {
    let operations = ["DescribeLoadBalancers", "DescribeListeners", "DescribeRules", "DescribeTargetGroups"];
    let more = ["DescribeTargetHealth", "DescribeSSLPolicies"];
    operations.iter().chain(&more).map(|operation| upstream.calls(operation)).sum()
}

#[tokio::test]
async fn the_review_configuration_lists_and_alarms_fetched_on_one_replica_serve_the_other() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    // The load balancers of the review's test, created with boto3.
    let created = moto.create_review_fixture();
    let shop = created["shop"].as_str().expect("a load balancer");
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let (a, b) = (replica(&upstream, &redis, &[]), replica(&upstream, &redis, &[]));

    let review = format!("/api/v1/review?lb={shop}&from=now-6h");
    let (status, on_a) = a.get(&review).await;
    assert_eq!(status, 200, "{on_a}");
    let configuration_calls = load_balancing_calls(&upstream);
    assert!(configuration_calls > 0, "A read the configuration");
    let (status, on_b) = b.get(&review).await;
    assert_eq!(status, 200, "{on_b}");
    assert_eq!(load_balancing_calls(&upstream), configuration_calls, "B read A's configuration from the cache");
    assert_eq!(on_a["load_balancers"].as_array().map(Vec::len), Some(1), "{on_a}");
    assert_eq!(on_b["load_balancers"], on_a["load_balancers"], "the same configuration");

    let (status, list_a) = a.get("/api/v1/dimensions").await;
    assert_eq!(status, 200, "{list_a}");
    let lists = upstream.calls("ListMetrics");
    let (status, list_b) = b.get("/api/v1/dimensions").await;
    assert_eq!(status, 200);
    assert_eq!(upstream.calls("ListMetrics"), lists, "B read A's list");
    assert_eq!(list_b, list_a);

    let (path, _, _) = view(3, 0);
    assert_eq!(a.get(&path).await.0, 200);
    assert_eq!(b.get(&path).await.0, 200);
    assert_eq!(upstream.calls("DescribeAlarmsForMetric"), 1, "B read A's alarms");
}

#[tokio::test]
async fn without_memory_of_its_own_a_replica_answers_from_the_shared_cache_alone() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let lone = replica(&upstream, &redis, &["--cache-mib", "0"]);
    let (path, _, _) = view(1, 0);
    for _ in 0..3 {
        let (status, body) = lone.get(&path).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(upstream.get_metric_data_calls(), 1, "the answer came from the shared cache after the first");
    // The first request missed its answer and its alarms and stored them;
    // the two after it were served both: exactly these samples.
    let lookups = lone.samples("tlswatch_shared_cache_lookups_total").await;
    assert_eq!(lookups, [("outcome=hit".to_string(), 4.0), ("outcome=miss".to_string(), 2.0)].into());
}

#[tokio::test]
async fn a_slow_or_full_cache_server_fails_no_view() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let a = replica(&upstream, &redis, &[]);

    // Slow: the server answers nobody for six seconds.
    redis.cli(&["CLIENT", "PAUSE", "6000", "ALL"]);
    let paused = Instant::now();
    let (path, _, _) = view(1, 0);
    let (status, body) = a.get(&path).await;
    assert_eq!(status, 200, "{body}");
    // A second's wait on the cache, then moto: well before the pause ends,
    // with room for busy cores.
    assert!(paused.elapsed() < Duration::from_millis(4_500), "a second's wait at most ({:?})", paused.elapsed());
    assert!(a.metric(ERRORS, &[]).await >= 1.0, "the slow answer counted as an error");
    tokio::time::sleep(Duration::from_millis(6_000).saturating_sub(paused.elapsed())).await;

    // Full: the server refuses every write.
    redis.cli(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    redis.cli(&["CONFIG", "SET", "maxmemory", "1"]);
    let errors = a.metric(ERRORS, &[]).await;
    let (other, _, _) = view(2, 0);
    let (status, body) = a.get(&other).await;
    assert_eq!(status, 200, "{body}");
    assert!(a.metric(ERRORS, &[]).await > errors, "the refused write counted as an error");
    assert!(redis.keys("tlswatch:v2:answer:*").is_empty(), "nothing was stored");
}

#[tokio::test]
async fn replicas_share_a_cache_over_tls_with_a_password_and_a_wrong_password_fails_no_view() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start_tls("s3cret-pass");
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let authority = redis.certificate_authority().expect("a TLS server has one");
    // The replicas trust the test authority as their only root.
    let trust = [("SSL_CERT_FILE", authority.as_os_str())];
    let url = redis.url();
    assert!(url.starts_with("rediss://"), "{url}");
    let args = |url: &str| -> Vec<String> {
        let endpoint = upstream.endpoint.clone();
        ["--source", "cloudwatch", "--region", tlswatch_tests::REGION, "--endpoint-url", &endpoint, "--cache-url", url]
            .map(str::to_string)
            .to_vec()
    };
    let start = |url: &str| {
        let args = args(url);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Tlswatch::start_with_env("127.0.0.1:0", &args, &trust)
    };
    let (a, b) = (start(&url), start(&url));
    let (path, _, _) = view(1, 0);
    assert_eq!(a.get(&path).await.0, 200);
    let (status, body) = b.get(&path).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(upstream.get_metric_data_calls(), 1, "B read A's answer over TLS");
    assert_eq!(a.metric(ERRORS, &[]).await + b.metric(ERRORS, &[]).await, 0.0);
    assert_eq!(redis.keys("tlswatch:v2:answer:*").len(), 1);

    let wrong = start(&url.replace("s3cret-pass", "wrong"));
    let (status, body) = wrong.get(&path).await;
    assert_eq!(status, 200, "a refused password fails no view: {body}");
    assert_eq!(upstream.get_metric_data_calls(), 2, "it fetched on its own");
    assert!(wrong.metric(ERRORS, &[]).await >= 1.0, "and counted the refusal");
}

#[tokio::test]
async fn a_leaseholder_that_cannot_store_its_value_frees_the_lease_for_the_others() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let redis = RedisServer::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let flags = ["--upstream-timeout", "20"];
    let (a, b) = (replica(&upstream, &redis, &flags), replica(&upstream, &redis, &flags));
    // Every key may be read, only leases written: values are refused.
    redis.cli(&["ACL", "SETUSER", "default", "resetkeys", "%R~*", "~*:lease"]);
    upstream.behave(Behaviour::Delay(1_500));
    let (path, _, _) = view(1, 0);

    let started = Instant::now();
    let (on_a, on_b) = tokio::join!(a.get(&path), b.get(&path));
    assert_eq!((on_a.0, on_b.0), (200, 200), "{} {}", on_a.1, on_b.1);
    assert!(started.elapsed() < Duration::from_secs(8), "nobody waited out the lease ({:?})", started.elapsed());
    let errors = a.metric(ERRORS, &[]).await + b.metric(ERRORS, &[]).await;
    assert!(errors >= 1.0, "the refused store counted ({errors})");
    assert!(redis.keys("tlswatch:v2:answer:*").is_empty(), "nothing was stored");
}

#[tokio::test]
async fn replicas_start_without_their_cache_server_and_use_it_once_it_is_up() {
    let moto = Moto::start();
    put_every_minute(&moto).await;
    let mut redis = RedisServer::start();
    redis.kill();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let (a, b) = (replica(&upstream, &redis, &[]), replica(&upstream, &redis, &[]));
    let (path, _, _) = view(1, 0);
    let (status, body) = a.get(&path).await;
    assert_eq!(status, 200, "started and answered without the cache server: {body}");
    assert!(a.metric(ERRORS, &[]).await >= 1.0, "and counted its absence");

    redis.restart();
    until_b_is_served_what_a_fetched(&a, &b, &upstream, 2, "the replicas never used the cache server once it was up")
        .await;
    assert!(b.metric(HITS.0, HITS.1).await >= 1.0, "B answered from what A stored");
}
