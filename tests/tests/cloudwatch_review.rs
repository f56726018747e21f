//! `/api/v1/review` against moto: load balancers, listeners, rules and target
//! groups created with boto3 (tests/fixtures/review_setup.py), errors put on
//! one group through the SDK; the review must return exactly that
//! configuration, what DescribeSSLPolicies says the policies offer, AWS's
//! backend policy rule, and each finding on exactly the groups it names.

use serde_json::{Value, json};
use tlswatch_tests::cloudtrail::CloudTrailServer;
use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, datum, now};

/// What the fixture created, and what moto's DescribeSSLPolicies said.
struct Created {
    shop: String,
    secure: String,
    plain: String,
    skips_tls: String,
    clean: String,
    batch: String,
    instances: String,
    described: Value,
}

fn create_load_balancers(moto: &Moto) -> Created {
    let described = moto.create_review_fixture();
    let text = |key: &str| described[key].as_str().expect("a created value").to_string();
    Created {
        shop: text("shop"),
        secure: text("secure"),
        plain: text("plain"),
        skips_tls: text("skips_tls"),
        clean: text("clean"),
        batch: text("batch"),
        instances: text("instances"),
        described,
    }
}

/// Errors on `group` of `lb`, 3 a minute for the last whole hour; their sum.
async fn put_errors(moto: &Moto, lb: &str, group: &str) -> f64 {
    let end = (now() / 3_600) * 3_600;
    let dimensions = [("LoadBalancer", lb), ("TargetGroup", group)];
    let data: Vec<_> =
        (end - 3_600..end).step_by(60).map(|t| datum("TargetTLSNegotiationErrorCount", &dimensions, t, 3.0)).collect();
    let total = data.len() as f64 * 3.0;
    moto.put(data).await;
    total
}

fn findings_of<'a>(lb: &'a Value, code: &str) -> Vec<&'a Value> {
    lb["findings"].as_array().expect("findings").iter().filter(|f| f["code"] == code).collect()
}

fn groups_of(findings: &[&Value]) -> Vec<String> {
    let mut groups: Vec<String> =
        findings.iter().filter_map(|f| f["target_group"].as_str().map(str::to_string)).collect();
    groups.sort();
    groups
}

#[tokio::test]
async fn the_review_returns_the_configuration_created_and_a_finding_for_each_fault() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);
    let errors = put_errors(&moto, &created.shop, &created.skips_tls).await;
    // moto has no CloudTrail: an empty trail, so the review has nothing to warn of.
    let trail = CloudTrailServer::start().await;
    let tlswatch = Tlswatch::on_moto_and_cloudtrail(&moto, &trail.endpoint);
    let (status, body) =
        tlswatch.get(&format!("/api/v1/review?lb={}&lb={}&from=now-6h", created.shop, created.secure)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["warnings"], json!([]));
    let lbs = body["load_balancers"].as_array().expect("load balancers");
    let by_value = |value: &str| lbs.iter().find(|lb| lb["value"] == value).expect("reviewed").clone();
    let (shop, secure) = (by_value(&created.shop), by_value(&created.secure));
    let protocols = |policy: &str| created.described["protocols"][policy].clone();
    let ciphers = |policy: &str| created.described["ciphers"][policy].clone();

    // Listeners: exactly those created, with what DescribeSSLPolicies says their policies offer.
    let legacy = "ELBSecurityPolicy-2016-08";
    let tls13_backend = "ELBSecurityPolicy-TLS13-1-0-2021-06";
    let mut forwards = vec![created.plain.clone(), created.skips_tls.clone()];
    forwards.sort();
    assert_eq!(
        shop["listeners"],
        json!([
            {"port": 80, "protocol": "HTTP", "ssl_policy": null, "tls_versions": [], "backend_policy": null,
             "backend_tls_versions": [], "backend_ciphers": [], "target_groups": [created.plain]},
            {"port": 443, "protocol": "HTTPS", "ssl_policy": legacy, "tls_versions": protocols(legacy),
             "backend_policy": legacy, "backend_tls_versions": protocols(legacy), "backend_ciphers": ciphers(legacy),
             "target_groups": forwards},
        ])
    );
    let tls13 = "ELBSecurityPolicy-TLS13-1-2-2021-06";
    assert_eq!(secure["listeners"][0]["tls_versions"], protocols(tls13));
    assert_eq!(secure["listeners"][0]["backend_policy"], tls13_backend, "a TLS 1.3 listener policy");
    assert_eq!(secure["listeners"][0]["backend_tls_versions"], protocols(tls13_backend));
    assert!(protocols(tls13_backend).as_array().unwrap().contains(&json!("TLSv1.3")));

    // Target groups: protocol, port, health check, targets and errors as created.
    let group = |lb: &Value, value: &str| {
        lb["target_groups"].as_array().unwrap().iter().find(|g| g["value"] == value).expect("a group").clone()
    };
    let skips = group(&shop, &created.skips_tls);
    assert_eq!((skips["protocol"].clone(), skips["port"].clone()), (json!("HTTPS"), json!(8443)));
    assert_eq!(skips["health_check"], json!({"protocol": "HTTP", "port": "traffic-port", "path": "/healthz"}));
    assert_eq!(skips["targets"]["total"], 2);
    assert_eq!(skips["errors"]["total"], errors);
    assert_eq!(skips["backend_policies"], json!([legacy]));
    let plain = group(&shop, &created.plain);
    assert_eq!((plain["protocol"].clone(), plain["backend_policies"].clone()), (json!("HTTP"), json!([])));
    assert_eq!(group(&secure, &created.clean)["health_check"]["protocol"], "HTTPS");

    // Each finding on exactly what it names.
    assert_eq!(groups_of(&findings_of(&shop, "plaintext-targets")), std::slice::from_ref(&created.plain));
    assert_eq!(groups_of(&findings_of(&shop, "health-check-skips-tls")), std::slice::from_ref(&created.skips_tls));
    let without_tls13 = findings_of(&shop, "backend-without-tls13");
    assert_eq!(groups_of(&without_tls13), std::slice::from_ref(&created.skips_tls));
    assert_eq!(without_tls13[0]["severity"], "high", "the group has errors");
    assert!(without_tls13[0]["text"].as_str().unwrap().contains(tls13_backend));
    let legacy_clients = findings_of(&shop, "legacy-client-tls");
    assert_eq!(legacy_clients.len(), 1);
    assert_eq!(legacy_clients[0]["listener_port"], 443);
    let tls_errors = findings_of(&shop, "tls-errors");
    assert_eq!(groups_of(&tls_errors), std::slice::from_ref(&created.skips_tls));
    let causes = tls_errors[0]["text"].as_str().unwrap();
    assert!(causes.contains("plain HTTP on the HTTPS port") && causes.contains(legacy), "{causes}");
    assert!(findings_of(&shop, "unhealthy-targets").is_empty(), "moto reports registered targets healthy");
    for finding in shop["findings"].as_array().unwrap().iter().chain(secure["findings"].as_array().unwrap()) {
        assert!(finding["doc"].as_str().unwrap().starts_with("https://docs.aws.amazon.com/"), "{finding}");
    }
    // The clean TLS 1.3 path: nothing but information.
    assert!(secure["findings"].as_array().unwrap().iter().all(|f| f["severity"] == "info"), "{secure}");
}

#[tokio::test]
async fn a_failing_configuration_read_leaves_charts_working_and_warns() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);
    put_errors(&moto, &created.shop, &created.skips_tls).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(
        &upstream.endpoint,
        &["--upstream-timeout", "2", "--upstream-attempt-timeout", "1", "--upstream-attempts", "1", "--cache-mib", "0"],
    );
    let review = format!("/api/v1/review?lb={}&from=now-6h", created.shop);
    let series = format!("/api/v1/series?lb={}&tg={}&from=now-6h", created.shop, created.skips_tls);
    for (behaviour, says) in [
        (Behaviour::AccessDenied, "elasticloadbalancing:DescribeLoadBalancers"),
        (Behaviour::Throttle, "Elastic Load Balancing throttled"),
        (Behaviour::Hang, "Elastic Load Balancing did not answer in time"),
    ] {
        upstream.behave_on("DescribeLoadBalancers", behaviour);
        let (status, body) = tlswatch.get(&review).await;
        assert_eq!(status, 200, "{behaviour:?}: {body}");
        assert_eq!(body["load_balancers"], json!([]), "{behaviour:?}");
        let warnings = body["warnings"].to_string();
        assert!(warnings.contains(says), "{behaviour:?}: {warnings}");
        let (status, body) = tlswatch.get(&series).await;
        assert_eq!(status, 200, "{behaviour:?}: the chart still works: {body}");
        assert!(body["summary"]["total"].as_f64().unwrap() > 0.0);
    }
    upstream.behave_on("DescribeLoadBalancers", Behaviour::Forward);
    let (_, body) = tlswatch.get(&review).await;
    assert_eq!(body["load_balancers"][0]["value"], created.shop.as_str(), "back once ELBv2 answers: {body}");
}

const ELB_XMLNS: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

/// A DescribeTargetHealth answer shaped as Elastic Load Balancing's: one
/// target per `(state, reason)`, on port 8443.
fn target_health(states: &[(&str, Option<&str>)]) -> String {
    let members: String = states
        .iter()
        .enumerate()
        .map(|(i, (state, reason))| {
            let reason =
                reason.map(|r| format!("<Reason>{r}</Reason><Description>canned</Description>")).unwrap_or_default();
            format!(
                "<member><HealthCheckPort>8443</HealthCheckPort><Target><Id>10.20.0.{i}</Id><Port>8443</Port></Target>\
                 <TargetHealth><State>{state}</State>{reason}</TargetHealth></member>"
            )
        })
        .collect();
    format!(
        "<DescribeTargetHealthResponse xmlns=\"{ELB_XMLNS}\"><DescribeTargetHealthResult><TargetHealthDescriptions>\
         {members}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>canned\
         </RequestId></ResponseMetadata></DescribeTargetHealthResponse>"
    )
}

fn group_of(review: &Value, lb: &str, group: &str) -> Value {
    let lb = review["load_balancers"].as_array().unwrap().iter().find(|l| l["value"] == lb);
    let lb = lb.unwrap_or_else(|| panic!("{lb:?} reviewed: {review}"));
    lb["target_groups"].as_array().unwrap().iter().find(|g| g["value"] == group).expect("the group").clone()
}

#[tokio::test]
async fn target_health_is_counted_as_elastic_load_balancing_reports_it() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);

    // moto: a stopped instance is `unused` (Target.InvalidState), not a
    // failed health check, as in AWS.
    let direct = Tlswatch::on_moto(&moto);
    let (status, body) = direct.get(&format!("/api/v1/review?lb={}&from=now-6h", created.batch)).await;
    assert_eq!(status, 200, "{body}");
    let instances = group_of(&body, &created.batch, &created.instances);
    assert_eq!(instances["targets"], json!({"total": 2, "healthy": 1, "unhealthy": 0, "other": 1, "reasons": {}}));
    let lb = &body["load_balancers"][0];
    assert!(findings_of(lb, "unhealthy-targets").is_empty(), "a stopped target fails no health check: {lb}");

    // Failing health checks, which moto never reports, answered as ELBv2 would.
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let skips_arn_end = created.skips_tls.clone();
    upstream.answer_on("DescribeTargetHealth", move |form| {
        let asked = form.iter().find(|(key, _)| key == "TargetGroupArn").map(|(_, arn)| arn.as_str());
        if asked.is_some_and(|arn| arn.ends_with(&skips_arn_end)) {
            target_health(&[
                ("healthy", None),
                ("unhealthy", Some("Target.Timeout")),
                ("unhealthy", Some("Target.FailedHealthChecks")),
                ("draining", Some("Target.DeregistrationInProgress")),
            ])
        } else {
            target_health(&[("healthy", None)])
        }
    });
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &[]);
    let (status, body) = tlswatch.get(&format!("/api/v1/review?lb={}&from=now-6h", created.shop)).await;
    assert_eq!(status, 200, "{body}");
    let skips = group_of(&body, &created.shop, &created.skips_tls);
    assert_eq!(
        skips["targets"],
        json!({"total": 4, "healthy": 1, "unhealthy": 2, "other": 1,
               "reasons": {"Target.FailedHealthChecks": 1, "Target.Timeout": 1}})
    );
    let unhealthy = findings_of(&body["load_balancers"][0], "unhealthy-targets");
    assert_eq!(groups_of(&unhealthy), std::slice::from_ref(&created.skips_tls), "only the group with failing checks");
    assert_eq!(unhealthy[0]["severity"], "medium");
    let text = unhealthy[0]["text"].as_str().unwrap();
    assert!(text.contains("2 of 4") && text.contains("Target.Timeout (1)"), "{text}");
    assert_eq!(group_of(&body, &created.shop, &created.plain)["targets"]["healthy"], 1);
}

#[tokio::test]
async fn a_review_without_lb_covers_what_reported_and_one_not_found_is_a_warning() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);
    let errors = put_errors(&moto, &created.shop, &created.skips_tls).await;
    // Reported errors for a load balancer Elastic Load Balancing no longer has.
    let gone = "app/gone-alb/0123456789abcdef";
    put_errors(&moto, gone, "targetgroup/gone/0123456789abcdef").await;
    let tlswatch = Tlswatch::on_moto(&moto);

    let (status, body) = tlswatch.get("/api/v1/review?from=now-6h").await;
    assert_eq!(status, 200, "{body}");
    let reviewed: Vec<&str> =
        body["load_balancers"].as_array().unwrap().iter().filter_map(|lb| lb["value"].as_str()).collect();
    assert_eq!(reviewed, [created.shop.as_str()], "every load balancer that reported, and only those found");
    assert_eq!(group_of(&body, &created.shop, &created.skips_tls)["errors"]["total"], errors);
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains(gone) && warnings.contains("not found"), "{warnings}");

    let (status, body) =
        tlswatch.get(&format!("/api/v1/review?lb={}&lb=app/never-alb/fedcba9876543210", created.secure)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["load_balancers"].as_array().unwrap().len(), 1);
    assert!(body["warnings"].to_string().contains("app/never-alb/fedcba9876543210"), "{body}");
}

#[tokio::test]
async fn a_review_in_another_account_reads_that_account_only() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);
    put_errors(&moto, &created.shop, &created.skips_tls).await;
    let tlswatch =
        Tlswatch::on_endpoint(&moto.endpoint, &["--account", "payments=arn:aws:iam::111111111111:role/reader"]);
    let (status, body) =
        tlswatch.get(&format!("/api/v1/review?lb={}&account=payments&from=now-6h", created.shop)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["account"].as_str(), body["region"].as_str()), (Some("payments"), Some("us-east-1")));
    assert_eq!(body["load_balancers"], json!([]), "the default account's load balancer is not payments': {body}");
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains(&created.shop) && warnings.contains("payments"), "{warnings}");
    let (_, own) = tlswatch.get(&format!("/api/v1/review?lb={}&from=now-6h", created.shop)).await;
    assert_eq!(own["load_balancers"][0]["value"], created.shop.as_str(), "{own}");
}

#[tokio::test]
async fn target_health_or_ssl_policies_failing_alone_is_a_warning_and_charts_keep_working() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);
    put_errors(&moto, &created.shop, &created.skips_tls).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let quick =
        ["--upstream-timeout", "2", "--upstream-attempt-timeout", "1", "--upstream-attempts", "1", "--cache-mib", "0"];
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &quick);
    let review = format!("/api/v1/review?lb={}&from=now-6h", created.shop);
    let series = format!("/api/v1/series?lb={}&tg={}&from=now-6h", created.shop, created.skips_tls);

    // Target health is part of the configuration read: without it, no load balancer.
    upstream.behave_on("DescribeTargetHealth", Behaviour::AccessDenied);
    let (status, body) = tlswatch.get(&review).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["load_balancers"], json!([]));
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("DescribeTargetHealth") && warnings.contains("docs/deploy.md"), "{warnings}");
    let (status, _) = tlswatch.get(&series).await;
    assert_eq!(status, 200, "the chart still works");
    upstream.behave_on("DescribeTargetHealth", Behaviour::Forward);

    // Without the policies' contents, the configuration still shows.
    upstream.behave_on("DescribeSSLPolicies", Behaviour::Fail);
    let (status, body) = tlswatch.get(&review).await;
    assert_eq!(status, 200, "{body}");
    let listener = &body["load_balancers"][0]["listeners"][1];
    assert_eq!(listener["ssl_policy"], "ELBSecurityPolicy-2016-08", "{body}");
    assert_eq!(listener["tls_versions"], json!([]), "not known: {listener}");
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("DescribeSSLPolicies"), "{warnings}");
}

#[tokio::test]
async fn configuration_is_cached_per_view_and_policies_across_views() {
    let moto = Moto::start();
    let created = create_load_balancers(&moto);
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &[]);
    let review = |lb: &str| format!("/api/v1/review?lb={lb}&from=now-6h");
    for _ in 0..2 {
        let (status, body) = tlswatch.get(&review(&created.shop)).await;
        assert_eq!(status, 200, "{body}");
    }
    let calls = |op: &str| upstream.calls(op);
    assert_eq!((calls("DescribeLoadBalancers"), calls("DescribeTargetHealth")), (1, 2), "the second from the cache");
    assert_eq!(calls("DescribeSSLPolicies"), 1);
    // batch-alb uses the same listener policy: its configuration is read,
    // the policy's contents are not.
    let (status, body) = tlswatch.get(&review(&created.batch)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["load_balancers"][0]["listeners"][0]["tls_versions"],
        created.described["protocols"]["ELBSecurityPolicy-2016-08"]
    );
    assert_eq!((calls("DescribeLoadBalancers"), calls("DescribeSSLPolicies")), (2, 1));
}
