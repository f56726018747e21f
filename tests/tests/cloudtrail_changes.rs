//! `/api/v1/changes` through the real SDK: load balancers in moto (the
//! review fixture), CloudTrail at the CloudTrail-compatible test server,
//! named by `AWS_ENDPOINT_URL_CLOUDTRAIL` beside `--endpoint-url` (so the
//! SDKs' per-service endpoint convention is tested by every test here).

use serde_json::{Value, json};
use tlswatch_tests::cloudtrail::{CloudTrailServer, SeededEvent, elb_event};
use tlswatch_tests::{Moto, REGION, Tlswatch, now};

/// The fixture's `shop-alb` and its `skips-tls` group, and another load balancer.
struct Fleet {
    shop: String,
    skips_tls: String,
    secure: String,
}

fn create_load_balancers(moto: &Moto) -> Fleet {
    let values = moto.create_review_fixture();
    let text = |key: &str| values[key].as_str().expect("a created value").to_string();
    Fleet { shop: text("shop"), skips_tls: text("skips_tls"), secure: text("secure") }
}

fn arn(resource: &str) -> String {
    format!("arn:aws:elasticloadbalancing:{REGION}:123456789012:{resource}")
}

/// A ModifyListener on listener 443 of `lb` setting `policy`.
fn modify_listener(id: &str, t: i64, lb: &str, policy: &str) -> SeededEvent {
    let listener = arn(&format!("listener/{lb}/0123456789abcdef"));
    elb_event(
        id,
        "ModifyListener",
        t,
        "alice",
        json!({"listenerArn": listener, "sslPolicy": policy}),
        json!({"listeners": [{"listenerArn": listener, "port": 443, "protocol": "HTTPS", "sslPolicy": policy}]}),
    )
}

fn tlswatch_on(moto: &Moto, trail: &CloudTrailServer) -> Tlswatch {
    Tlswatch::on_moto_and_cloudtrail(moto, &trail.endpoint)
}

fn events(body: &Value) -> Vec<&Value> {
    body["changes"].as_array().expect("a list of changes").iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_followed_and_only_the_views_load_balancers_are_shown() {
    let moto = Moto::start();
    let fleet = create_load_balancers(&moto);
    let trail = CloudTrailServer::start().await;
    let start = now() - 2 * 3_600;
    trail.seed((0..120).map(|i| {
        modify_listener(&format!("e-{i:03}"), start + i * 30, &fleet.shop, "ELBSecurityPolicy-TLS13-1-2-2021-06")
    }));
    trail.seed(
        (0..5).map(|i| modify_listener(&format!("x-{i}"), start + i * 60, &fleet.secure, "ELBSecurityPolicy-2016-08")),
    );
    let tlswatch = tlswatch_on(&moto, &trail);

    let (status, body) = tlswatch.get(&format!("/api/v1/changes?lb={}&from=now-3h", fleet.shop)).await;
    assert_eq!(status, 200, "{body}");
    let changes = events(&body);
    assert_eq!(changes.len(), 120, "every page read: {:?}", body["warnings"]);
    assert!(changes.iter().all(|c| c["load_balancer"] == fleet.shop.as_str()), "another load balancer's event shown");
    assert!(changes.windows(2).all(|w| w[0]["t"].as_i64() >= w[1]["t"].as_i64()), "newest first");
    assert_eq!(changes[0]["settings"], json!(["SslPolicy -> ELBSecurityPolicy-TLS13-1-2-2021-06"]));
    assert_eq!(changes[0]["changed"], "listener 443");
    assert_eq!(changes[0]["by"], "alice");
    assert!(trail.calls().len() >= 3, "125 events at 50 a page take three calls");
    assert!(
        trail.most_calls_in_a_second() <= 2,
        "CloudTrail asked {} times in a second",
        trail.most_calls_in_a_second()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_is_failed_and_targets_are_matched_through_their_group() {
    let moto = Moto::start();
    let fleet = create_load_balancers(&moto);
    let trail = CloudTrailServer::start().await;
    let t = now() - 1_800;
    let mut refused = modify_listener("refused", t, &fleet.shop, "ELBSecurityPolicy-TLS13-1-2-2021-06");
    refused.record["errorCode"] = json!("AccessDenied");
    refused.record["errorMessage"] = json!("User: alice is not authorized to perform: ModifyListener");
    let targets = json!({"targetGroupArn": arn(&fleet.skips_tls), "targets": [{"id": "10.0.0.1"}, {"id": "10.0.0.2"}, {"id": "10.0.0.3"}]});
    let register = elb_event("register", "RegisterTargets", t + 60, "bob", targets, Value::Null);
    trail.seed([refused, register]);
    let tlswatch = tlswatch_on(&moto, &trail);

    let (status, body) = tlswatch.get(&format!("/api/v1/changes?lb={}&from=now-1h", fleet.shop)).await;
    assert_eq!(status, 200, "{body}");
    let changes = events(&body);
    assert_eq!(changes.len(), 2, "{body}");
    assert_eq!(changes[0]["event"], "RegisterTargets");
    assert_eq!(changes[0]["settings"], json!(["3 targets registered"]));
    let group_name = fleet.skips_tls.split('/').nth(1).unwrap();
    assert_eq!(changes[0]["changed"], format!("target group {group_name}"));
    assert!(changes[0].get("failed").is_none());
    assert_eq!(changes[1]["event"], "ModifyListener");
    assert!(changes[1]["failed"].as_str().unwrap().starts_with("AccessDenied"), "{}", changes[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_absorbed_and_ten_views_keep_to_two_calls_a_second() {
    let moto = Moto::start();
    let fleet = create_load_balancers(&moto);
    let trail = CloudTrailServer::start().await;
    trail.seed([modify_listener("m-1", now() - 600, &fleet.shop, "ELBSecurityPolicy-TLS13-1-2-2021-06")]);
    let tlswatch = tlswatch_on(&moto, &trail);

    trail.throttle_next(2);
    let (status, body) = tlswatch.get(&format!("/api/v1/changes?lb={}&from=now-30m", fleet.shop)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(events(&body).len(), 1, "the throttled calls were made again: {body}");
    assert!(body["warnings"].as_array().unwrap().is_empty(), "{body}");
    assert_eq!(trail.calls().iter().filter(|c| c.throttled).count(), 2);

    // Ten views of different ranges: none shares another's call.
    let views = (0..10).map(|i| format!("/api/v1/changes?lb={}&from=now-{}m", fleet.shop, 40 + i));
    let tlswatch = &tlswatch;
    let answers = futures::future::join_all(views.map(|view| async move { tlswatch.get(&view).await })).await;
    assert!(answers.iter().all(|(status, body)| *status == 200 && events(body).len() == 1), "{answers:?}");
    let throttled = trail.calls().iter().filter(|c| c.throttled).count();
    assert_eq!(throttled, 2, "tlswatch itself never went over CloudTrail's rate");
    assert!(trail.most_calls_in_a_second() <= 2, "{} calls in a second", trail.most_calls_in_a_second());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_read_is_a_warning_and_never_a_failed_answer() {
    let moto = Moto::start();
    let fleet = create_load_balancers(&moto);
    // CloudTrail refuses every call: the read fails, the answer does not.
    let trail = CloudTrailServer::start().await;
    trail.throttle_next(100);
    let tlswatch = tlswatch_on(&moto, &trail);
    let (status, body) = tlswatch.get(&format!("/api/v1/changes?lb={}&from=now-1h", fleet.shop)).await;
    assert_eq!(status, 200, "{body}");
    assert!(events(&body).is_empty());
    let warning = body["warnings"][0].as_str().unwrap();
    assert!(warning.contains("CloudTrail throttled") && warning.contains("LookupEvents"), "{warning}");
}

/// CloudTrail's delivery delay: an hour that ended longer ago is final.
const DELIVERY_SECONDS: i64 = 900;

#[test]
fn a_refreshed_view_never_reads_a_final_hour_again() {
    // SAFETY: the test runs in its own process (nextest) and no thread runs
    // yet; the runtime below runs on this thread only.
    unsafe { tlswatch_tests::in_process::test_credentials() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let trail = CloudTrailServer::start().await;
        // SAFETY: still no other thread (the server runs on this one).
        unsafe { std::env::set_var("AWS_ENDPOINT_URL_CLOUDTRAIL", &trail.endpoint) };
        refresh_as_time_moves(trail).await;
    });
}

async fn refresh_as_time_moves(trail: CloudTrailServer) {
    let moto = Moto::start();
    let lb = "app/edge-alb/50dc6c495c0c9188";
    let first_now = (now() / 3_600) * 3_600 - 2 * 3_600 + 1_500;
    let policy = "ELBSecurityPolicy-TLS13-1-2-2021-06";
    trail.seed((0..26).map(|i| modify_listener(&format!("h-{i:02}"), first_now - i * 3_600 + 600, lb, policy)));
    let proxy = tlswatch_tests::in_process::InProcess::on_endpoint(&moto.endpoint).await;
    let uri = format!("/api/v1/changes?lb={lb}&period=300&from=now-24h");
    let mut settled_before: Option<i64> = None;
    for step in 0..4 {
        let now = first_now + step * 1_200;
        proxy.set_now(now);
        let calls_before = trail.calls().len();
        let (status, body) = proxy.get(&uri).await;
        assert_eq!(status, 200, "{body}");
        let (start, end) = (body["start"].as_i64().unwrap(), body["end"].as_i64().unwrap());
        let expected = (0..26).map(|i| first_now - i * 3_600 + 600).filter(|t| (start..end).contains(t)).count();
        assert_eq!(events(&body).len(), expected, "step {step}: every change in range, kept or read: {body}");
        let calls = &trail.calls()[calls_before..];
        if let Some(settled) = settled_before {
            assert!(
                calls.iter().all(|call| call.start >= settled),
                "step {step} read again before {settled}: {calls:?}"
            );
            assert!(calls.len() <= 2, "step {step}: the tail, and at most one newly final hour: {calls:?}");
        }
        settled_before = Some((now - DELIVERY_SECONDS).div_euclid(3_600) * 3_600);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_names_the_change_before_an_onset_and_lists_recent_changes() {
    let moto = Moto::start();
    let fleet = create_load_balancers(&moto);
    let trail = CloudTrailServer::start().await;
    // Quiet, then failing every minute from three hours ago.
    let onset = (now() / 300) * 300 - 3 * 3_600;
    let dims = [("LoadBalancer", fleet.shop.as_str()), ("TargetGroup", fleet.skips_tls.as_str())];
    let data = (onset..now() - 600)
        .step_by(60)
        .map(|t| tlswatch_tests::datum("TargetTLSNegotiationErrorCount", &dims, t, 4.0));
    moto.put(data.collect()).await;
    let policy = "ELBSecurityPolicy-TLS13-1-2-2021-06";
    trail.seed([
        modify_listener("before", onset - 180, &fleet.shop, policy),
        modify_listener("long-before", onset - 5 * 3_600, &fleet.shop, "ELBSecurityPolicy-2016-08"),
        modify_listener("other", onset - 60, &fleet.secure, policy),
    ]);
    let tlswatch = tlswatch_on(&moto, &trail);

    let (status, body) = tlswatch.get(&format!("/api/v1/review?lb={}&from=now-6h", fleet.shop)).await;
    assert_eq!(status, 200, "{body}");
    let findings = body["load_balancers"][0]["findings"].as_array().unwrap();
    let found: Vec<&Value> = findings.iter().filter(|f| f["code"] == "changed-before-onset").collect();
    assert_eq!(found.len(), 1, "{findings:?}");
    assert_eq!(found[0]["severity"], "medium");
    let text = found[0]["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("3 minutes after ModifyListener by alice set SslPolicy to {policy} on listener 443")),
        "{text}"
    );
    let listed: Vec<&str> = events(&body).iter().map(|c| c["event_id"].as_str().unwrap()).collect();
    assert_eq!(listed, ["before", "long-before"], "this load balancer's changes, newest first");
}
