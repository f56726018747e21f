//! `/api/v1/review` against moto: load balancers, listeners, rules and target
//! groups created with boto3 (tests/fixtures/review_setup.py), errors put on
//! one group through the SDK; the review must return exactly that
//! configuration, what DescribeSSLPolicies says the policies offer, AWS's
//! backend policy rule, and each finding on exactly the groups it names.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, datum, now};

/// What the fixture created, and what moto's DescribeSSLPolicies said.
struct Created {
    shop: String,
    secure: String,
    plain: String,
    skips_tls: String,
    clean: String,
    described: Value,
}

fn create_load_balancers(moto: &Moto) -> Created {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../.tools/venv/bin/python");
    let output = Command::new(&python)
        .arg(root.join("fixtures/review_setup.py"))
        .arg(&moto.endpoint)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err} (run `cargo xtask test`)", python.display()));
    assert!(output.status.success(), "the fixture failed: {}", String::from_utf8_lossy(&output.stderr));
    let described: Value = serde_json::from_slice(&output.stdout).expect("the fixture prints JSON");
    let text = |key: &str| described[key].as_str().expect("a created value").to_string();
    Created {
        shop: text("shop"),
        secure: text("secure"),
        plain: text("plain"),
        skips_tls: text("skips_tls"),
        clean: text("clean"),
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
    let tlswatch = Tlswatch::on_moto(&moto);
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
