//! `/api/v1/fleet-review` against moto: the review's load balancers built
//! with boto3 (tests/fixtures/review_setup.py) in two accounts (the second
//! through an assumed role) and two regions, the same names in each with
//! different IDs; the report's rows must be exactly what was built, scope
//! by scope, never another account's, and a scope that is throttled is
//! listed with its reason while the others are answered.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tlswatch_tests::shared_cache::RedisServer;
use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, REGION, Tlswatch, basic, datum, now, temp_file};

const PAYMENTS_ROLE: &str = "arn:aws:iam::111111111111:role/fleet-reader";
const OTHER_REGION: &str = "eu-west-1";
const SCOPES: [(&str, &str); 4] =
    [("default", REGION), ("default", OTHER_REGION), ("payments", REGION), ("payments", OTHER_REGION)];

/// The fixture of every scope, by (account, region).
fn build_fleet(moto: &Moto) -> BTreeMap<(&'static str, &'static str), Value> {
    SCOPES
        .iter()
        .map(|&(account, region)| {
            let role = (account == "payments").then_some(PAYMENTS_ROLE);
            ((account, region), moto.create_review_fixture_in(region, role))
        })
        .collect()
}

/// Errors on shop-alb's skips-tls group in the default account's first
/// region, 2 a minute over the last whole hour, as the load balancer
/// reports them: per group and for the whole load balancer; their sum.
async fn put_errors(moto: &Moto, built: &Value) -> f64 {
    let end = (now() / 3_600) * 3_600;
    let (lb, group) = (built["shop"].as_str().unwrap(), built["skips_tls"].as_str().unwrap());
    let minutes = (end - 3_600..end).step_by(60);
    let mut data = Vec::new();
    for dimensions in [&[("LoadBalancer", lb), ("TargetGroup", group)][..], &[("LoadBalancer", lb)]] {
        data.extend(minutes.clone().map(|t| datum("TargetTLSNegotiationErrorCount", dimensions, t, 2.0)));
    }
    let total = minutes.count() as f64 * 2.0;
    moto.put(data).await;
    total
}

/// The fleet in every scope, with errors on the home scope's skips-tls
/// group; their sum.
async fn failing_fleet() -> (Moto, BTreeMap<(&'static str, &'static str), Value>, f64) {
    let moto = Moto::start();
    let fleet = build_fleet(&moto);
    let total = put_errors(&moto, &fleet[&("default", REGION)]).await;
    (moto, fleet, total)
}

/// tlswatch reading both accounts in both regions through `endpoint`.
fn on_both_accounts(endpoint: &str, extra: &[&str]) -> Tlswatch {
    let (regions, payments) = (format!("{REGION},{OTHER_REGION}"), format!("payments={PAYMENTS_ROLE}"));
    Tlswatch::on_endpoint(endpoint, &[&["--region", &regions, "--account", &payments][..], extra].concat())
}

/// What the fixture built, as the report's rows should key them:
/// (load balancer, listener port, target group).
fn built_rows(built: &Value) -> BTreeSet<(String, u64, String)> {
    let value = |key: &str| built[key].as_str().unwrap().to_string();
    [
        ("shop", 80, "plain"),
        ("shop", 443, "skips_tls"),
        ("shop", 443, "plain"),
        ("secure", 443, "clean"),
        ("batch", 443, "instances"),
    ]
    .into_iter()
    .map(|(lb, port, group)| (value(lb), port, value(group)))
    .collect()
}

fn row_key(row: &Value) -> (String, u64, String) {
    (
        row["load_balancer"].as_str().unwrap().to_string(),
        row["listener_port"].as_u64().unwrap(),
        row["target_group"].as_str().unwrap().to_string(),
    )
}

fn codes(row: &Value) -> Vec<&str> {
    row["findings"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

#[tokio::test]
async fn the_report_holds_every_listener_and_group_built_in_two_accounts_and_two_regions() {
    let (moto, fleet, total) = failing_fleet().await;
    let home = &fleet[&("default", REGION)];
    let tlswatch = on_both_accounts(&moto.endpoint, &[]);
    let (status, report) = tlswatch.get("/api/v1/fleet-review?from=now-6h&baseline=tls12-minimum").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["view"], "from=now-6h&baseline=tls12-minimum");
    let statuses: Vec<(&str, &str, &str, u64)> = report["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |key: &str| s[key].as_str().unwrap();
            (text("account"), text("region"), text("status"), s["load_balancers"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(statuses.len(), 4, "{statuses:?}");
    assert!(statuses.iter().all(|&(_, _, status, lbs)| status == "ok" && lbs == 3), "{statuses:?}");

    let rows = report["rows"].as_array().unwrap();
    for &(account, region) in &SCOPES {
        let built = &fleet[&(account, region)];
        let own: Vec<&Value> = rows.iter().filter(|r| r["account"] == account && r["region"] == region).collect();
        let keys: BTreeSet<_> = own.iter().map(|r| row_key(r)).collect();
        assert_eq!(keys, built_rows(built), "{account}/{region}: exactly what was built, and none of another scope's");
        assert_eq!(own.len(), 5, "each once: {own:?}");
        assert!(
            own.iter().all(|r| {
                let c = codes(r);
                c.iter().collect::<BTreeSet<_>>().len() == c.len()
            }),
            "no finding twice: {own:?}"
        );
        let protocols = |policy: &str| sorted(strings(&built["protocols"][policy]));
        for row in &own {
            let (lb, port, group) = row_key(row);
            let is =
                |key: &str| built[key].as_str() == Some(lb.as_str()) || built[key].as_str() == Some(group.as_str());
            let listener_policy = row["listener_policy"].as_str();
            match (is("secure"), port) {
                (true, _) => {
                    assert_eq!(listener_policy, Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
                    assert_eq!(row["backend_policy"], "ELBSecurityPolicy-TLS13-1-0-2021-06");
                    assert_eq!(
                        sorted(strings(&row["target_tls_versions"])),
                        protocols("ELBSecurityPolicy-TLS13-1-0-2021-06")
                    );
                }
                (false, 80) => assert_eq!((row["listener_protocol"].as_str(), listener_policy), (Some("HTTP"), None)),
                (false, _) => {
                    assert_eq!(listener_policy, Some("ELBSecurityPolicy-2016-08"));
                    assert_eq!(sorted(strings(&row["client_tls_versions"])), protocols("ELBSecurityPolicy-2016-08"));
                }
            }
            let findings = codes(row);
            let result = row["baseline"]["result"].as_str().unwrap();
            if is("plain") {
                assert_eq!(row["target_group_protocol"], "HTTP");
                assert!(findings.contains(&"plaintext-targets"), "{row}");
                assert_eq!((row["backend_policy"].as_str(), result), (None, "fail"), "no TLS to plain targets: {row}");
            } else if is("skips_tls") {
                assert_eq!(row["health_check_protocol"], "HTTP");
                assert!(
                    findings.contains(&"health-check-skips-tls") && findings.contains(&"legacy-client-tls"),
                    "{row}"
                );
                let fixes = row["fixes"].to_string();
                assert!(fixes.contains("ELBSecurityPolicy-TLS13-1-2-Res-2021-06 on listener 443"), "{fixes}");
                assert_eq!(result, "fail");
            } else if is("clean") {
                assert_eq!(findings, Vec::<&str>::new(), "a clean TLS 1.3 path: {row}");
                assert_eq!(result, "unverified", "targets decide whether TLS 1.0 is refused: {row}");
            }
            let errors = row["errors"].as_f64().unwrap();
            let failing = (account, region) == ("default", REGION) && is("skips_tls");
            assert_eq!(errors, if failing { total } else { 0.0 }, "{account}/{region} {row}");
        }
    }

    // The CSV holds the same rows, with its header.
    let response = tlswatch.response("/api/v1/fleet-review?from=now-6h&baseline=tls12-minimum&format=csv").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(response.headers()["content-disposition"].to_str().unwrap().contains("tlswatch-fleet-review-"));
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[..3], ["account", "region", "load_balancer"]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    let result_column = header.iter().position(|h| h == "baseline_result").unwrap();
    let failed = records.iter().filter(|r| &r[result_column] == "fail").count();
    assert_eq!(failed, rows.iter().filter(|r| r["baseline"]["result"] == "fail").count());

    // Filters narrow the rows to those with the findings asked for.
    let (_, legacy) = tlswatch.get("/api/v1/fleet-review?from=now-6h&finding=legacy-client-tls").await;
    let legacy = legacy["rows"].as_array().unwrap();
    assert_eq!(legacy.len(), 3 * 4, "shop's two on 443 and batch's one, in each scope: {legacy:?}");
    assert!(legacy.iter().all(|r| codes(r).contains(&"legacy-client-tls")));
    let (_, high) = tlswatch.get("/api/v1/fleet-review?from=now-6h&severity=high").await;
    let high: Vec<(String, u64, String)> = high["rows"].as_array().unwrap().iter().map(row_key).collect();
    let skips = (home["shop"].as_str().unwrap().to_string(), 443, home["skips_tls"].as_str().unwrap().to_string());
    assert_eq!(high, vec![skips], "only the failing group's findings are high");
}

#[tokio::test]
async fn a_reader_of_one_account_gets_its_rows_only_and_bad_parameters_are_refused() {
    let moto = Moto::start();
    let fleet = build_fleet(&moto);
    let accounts = temp_file(
        "fleet-accounts.toml",
        &format!(
            "[[account]]\nname = \"default\"\nusers = [\"ben\"]\n\
             [[account]]\nname = \"payments\"\nrole_arn = \"{PAYMENTS_ROLE}\"\nusers = [\"ana\"]\n"
        ),
    );
    let hash = bcrypt::hash("secret", 4).unwrap();
    let htpasswd = temp_file("fleet-htpasswd", &format!("ana:{hash}\nben:{hash}\n"));
    let tlswatch = Tlswatch::on_endpoint(
        &moto.endpoint,
        &[
            "--region",
            &format!("{REGION},{OTHER_REGION}"),
            "--accounts",
            accounts.to_str().unwrap(),
            "--htpasswd",
            htpasswd.to_str().unwrap(),
        ],
    );
    let ana = [("authorization", basic("ana", "secret"))];
    let (status, report) = tlswatch.get_as("/api/v1/fleet-review", &ana).await;
    assert_eq!(status, 200, "{report}");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 10, "payments' two regions: {report}");
    let theirs: BTreeSet<String> = [REGION, OTHER_REGION]
        .iter()
        .flat_map(|region| built_rows(&fleet[&("payments", *region)]))
        .map(|(lb, _, _)| lb)
        .collect();
    for row in rows {
        assert_eq!(row["account"], "payments", "{row}");
        assert!(theirs.contains(row["load_balancer"].as_str().unwrap()), "never the default account's: {row}");
    }
    assert!(!report.to_string().contains("\"default\""), "nothing names the other account: {report}");
    let (status, refused) = tlswatch.get_as("/api/v1/fleet-review?account=default", &ana).await;
    assert_eq!((status, refused["error"]["param"].as_str()), (403, Some("account")), "{refused}");

    for (query, param) in [
        ("finding=weak-tls", "finding"),
        ("severity=urgent", "severity"),
        ("baseline=pci", "baseline"),
        ("format=xml", "format"),
        ("stat=Average", "stat"),
        ("format=csv&format=json", "format"),
    ] {
        let (status, body) = tlswatch.get_as(&format!("/api/v1/fleet-review?{query}"), &ana).await;
        assert_eq!((status, body["error"]["param"].as_str()), (400, Some(param)), "{query}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains('`'), "{query}: says what was wrong: {body}");
    }
}

#[tokio::test]
async fn a_throttled_account_is_listed_with_its_reason_and_the_others_are_answered() {
    let moto = Moto::start();
    let fleet = build_fleet(&moto);
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave_for_account("DescribeLoadBalancers", "111111111111", Behaviour::Throttle);
    let tlswatch = on_both_accounts(&upstream.endpoint, &["--upstream-attempts", "1"]);
    let (status, report) = tlswatch.get("/api/v1/fleet-review").await;
    assert_eq!(status, 200, "{report}");
    for scope in report["scopes"].as_array().unwrap() {
        let throttled = scope["account"] == "payments";
        assert_eq!(scope["status"], if throttled { "error" } else { "ok" }, "{scope}");
        if throttled {
            let message = scope["message"].as_str().unwrap().to_lowercase();
            assert!(message.contains("throttl") && message.contains("elastic load balancing"), "{scope}");
        }
    }
    let keys: BTreeSet<_> = report["rows"].as_array().unwrap().iter().map(row_key).collect();
    let expected: BTreeSet<_> =
        [REGION, OTHER_REGION].iter().flat_map(|region| built_rows(&fleet[&("default", *region)])).collect();
    assert_eq!(keys, expected, "the default account's rows, whole");
}

#[tokio::test]
async fn the_overview_counts_findings_lists_quiet_load_balancers_and_filters_by_them() {
    let (moto, fleet, total) = failing_fleet().await;
    let home = &fleet[&("default", REGION)];
    let tlswatch = on_both_accounts(&moto.endpoint, &[]);
    let rows_of = |body: &Value| -> Vec<(String, String, String, f64)> {
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let text = |v: &Value| v.as_str().unwrap().to_string();
                (
                    text(&r["account"]),
                    text(&r["region"]),
                    text(&r["load_balancer"]["value"]),
                    r["total"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let with_findings = |(account, region): (&str, &str), lb: &str| {
        let built = &fleet[&(account, region)];
        (account.to_string(), region.to_string(), built[lb].as_str().unwrap().to_string())
    };

    // Only shop-alb in the home scope reported errors; every shop-alb and
    // batch-alb has findings, so each has a row; the clean secure-alb has none.
    let (status, all) = tlswatch.get("/api/v1/overview?from=now-6h").await;
    assert_eq!(status, 200, "{all}");
    let listed: BTreeSet<(String, String, String)> =
        rows_of(&all).into_iter().map(|(a, r, lb, _)| (a, r, lb)).collect();
    let expected: BTreeSet<_> =
        SCOPES.iter().flat_map(|&scope| [with_findings(scope, "shop"), with_findings(scope, "batch")]).collect();
    assert_eq!(listed, expected, "{all}");
    for row in all["rows"].as_array().unwrap() {
        let codes: Vec<&str> =
            row["findings"]["codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert!(codes.contains(&"legacy-client-tls"), "{row}");
        let failing = row["load_balancer"]["value"] == home["shop"] && row["account"] == "default";
        assert_eq!(row["total"].as_f64().unwrap(), if failing { total } else { 0.0 }, "{row}");
        assert_eq!(
            row["findings"]["high"].as_u64().unwrap() > 0,
            failing,
            "only failing groups make findings high: {row}"
        );
    }

    // The summary counts the whole fleet read: 3 load balancers in each of 4 scopes.
    let fleet = &all["fleet"];
    assert_eq!(
        (fleet["load_balancers"].as_u64(), fleet["plaintext_target_groups"].as_u64()),
        (Some(12), Some(4)),
        "{fleet}"
    );
    let legacy = fleet["findings"].as_array().unwrap().iter().find(|c| c["code"] == "legacy-client-tls").unwrap();
    assert_eq!(
        (legacy["load_balancers"].as_u64(), legacy["target_groups"].as_u64(), legacy["accounts"].as_u64()),
        (Some(8), Some(0), Some(2))
    );
    assert_eq!(fleet["findings"][0]["severity"], "high", "the most severe first: {fleet}");
    let policies: Vec<(&str, u64)> = fleet["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["policy"].as_str().unwrap(), p["listeners"].as_u64().unwrap()))
        .collect();
    assert_eq!(policies, [("ELBSecurityPolicy-2016-08", 8), ("ELBSecurityPolicy-TLS13-1-2-2021-06", 4)]);

    // By findings, the failing one first; by severity, it alone.
    let (_, by_findings) = tlswatch.get("/api/v1/overview?from=now-6h&sort=findings").await;
    assert_eq!(by_findings["view"], "from=now-6h&sort=findings");
    let first = &rows_of(&by_findings)[0];
    assert_eq!((first.0.as_str(), first.2.as_str()), ("default", home["shop"].as_str().unwrap()), "{by_findings}");
    let (_, high) = tlswatch.get("/api/v1/overview?from=now-6h&severity=high").await;
    assert_eq!(rows_of(&high).len(), 1, "{high}");
    let (_, plaintext) = tlswatch.get("/api/v1/overview?from=now-6h&finding=plaintext-targets&region=eu-west-1").await;
    let plaintext: BTreeSet<_> = rows_of(&plaintext).into_iter().map(|(a, r, lb, _)| (a, r, lb)).collect();
    let expected: BTreeSet<_> =
        [("default", OTHER_REGION), ("payments", OTHER_REGION)].into_iter().map(|s| with_findings(s, "shop")).collect();
    assert_eq!(plaintext, expected, "only shop-alb has a plain HTTP group");
}

#[tokio::test]
async fn a_scope_is_read_at_the_elastic_load_balancing_pace_it_is_given() {
    let moto = Moto::start();
    let balancers = moto.create_fleet_fixture(6, 3);
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &["--elb-calls-per-second", "3"]);
    let (status, report) = tlswatch.get("/api/v1/fleet-review").await;
    assert_eq!(status, 200, "{report}");
    let listed: BTreeSet<&str> =
        report["rows"].as_array().unwrap().iter().map(|r| r["load_balancer"].as_str().unwrap()).collect();
    assert_eq!(listed, balancers.iter().map(String::as_str).collect(), "the whole fleet, however slowly");
    // One DescribeLoadBalancers, one DescribeTargetGroups, a DescribeListeners
    // and a DescribeRules per load balancer, a DescribeTargetHealth per group,
    // one DescribeSSLPolicies.
    let calls: usize = [
        "DescribeLoadBalancers",
        "DescribeTargetGroups",
        "DescribeListeners",
        "DescribeRules",
        "DescribeTargetHealth",
        "DescribeSSLPolicies",
    ]
    .iter()
    .map(|operation| upstream.calls(operation))
    .sum();
    assert_eq!(calls, 2 + 6 * 2 + 6 * 3 + 1);
    // A bucket of 3 refilled at 3 a second: at most 6 in any one second.
    let busiest = upstream.busiest_second("Describe");
    assert!((3..=6).contains(&busiest), "{busiest} Describe calls within one second");
}

#[tokio::test]
async fn the_overview_does_not_wait_for_a_slow_configuration_read_and_shows_it_once_read() {
    let moto = Moto::start();
    let home = moto.create_review_fixture();
    put_errors(&moto, &home).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave_on("DescribeLoadBalancers", Behaviour::Hold);
    // One slot for CloudWatch calls: the held configuration read must not take it.
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &["--max-upstream-calls", "1"]);
    let (status, first) = tlswatch.get("/api/v1/overview?from=now-6h").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["rows"][0]["load_balancer"]["value"], home["shop"], "the errors are not held up: {first}");
    assert!(first["rows"][0].get("findings").is_none(), "{first}");
    let progress = "findings are still being read for 1 of 1 accounts and regions";
    assert!(first["warnings"].to_string().contains(progress), "{first}");
    let chart = format!("/api/v1/series?lb={}&from=now-3h", home["shop"].as_str().unwrap());
    let (status, series) = tlswatch.get(&chart).await;
    assert_eq!(status, 200, "a chart is drawn while the configuration read waits: {series}");

    // The read went on without the request: once it is done, the next overview has it.
    upstream.release();
    upstream.until_called("DescribeSSLPolicies", 1).await;
    let mut findings = Value::Null;
    for _ in 0..50 {
        let (_, next) = tlswatch.get("/api/v1/overview?from=now-6h").await;
        findings = next["rows"][0]["findings"].clone();
        if !findings.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(findings["codes"].to_string().contains("legacy-client-tls"), "{findings}");
    assert_eq!(upstream.calls("DescribeLoadBalancers"), 1, "read once, by the first overview");
}

#[tokio::test]
async fn the_fleet_is_read_in_the_background_once_for_replicas_sharing_a_cache() {
    let moto = Moto::start();
    let home = moto.create_review_fixture();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let redis = RedisServer::start();
    let url = redis.url();
    let flags = ["--fleet-refresh-seconds", "1", "--cache-url", &url];
    let replicas: Vec<Tlswatch> = (0..3).map(|_| Tlswatch::on_endpoint(&upstream.endpoint, &flags)).collect();
    // Nobody asks: the replicas' passes read the configuration, one for all.
    upstream.until_called("DescribeSSLPolicies", 1).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(upstream.calls("DescribeLoadBalancers"), 1, "three replicas, several passes each, one read");
    assert_eq!(upstream.calls("DescribeSSLPolicies"), 1);

    // The overview of every replica has the findings at once, from the cache.
    for replica in &replicas {
        let (status, overview) = replica.get("/api/v1/overview?from=now-6h").await;
        assert_eq!(status, 200, "{overview}");
        let rows = overview["rows"].as_array().unwrap();
        let shop = rows.iter().find(|row| row["load_balancer"]["value"] == home["shop"]).expect("shop-alb's row");
        assert!(shop["findings"]["codes"].to_string().contains("legacy-client-tls"), "{shop}");
        assert!(!overview["warnings"].to_string().contains("still being read"), "{overview}");
    }
    assert_eq!(upstream.calls("DescribeLoadBalancers"), 1, "the overviews read nothing more");

    // A view's review is cut from the scope's whole configuration, on every
    // replica: found or not, it reads nothing of its own.
    let shop = home["shop"].as_str().unwrap();
    for replica in &replicas {
        let (status, review) = replica.get(&format!("/api/v1/review?lb={shop}&lb=app/gone-alb/0123456789abcdef")).await;
        assert_eq!(status, 200, "{review}");
        let reviewed: Vec<&Value> =
            review["load_balancers"].as_array().unwrap().iter().map(|lb| &lb["value"]).collect();
        assert_eq!(reviewed, vec![&home["shop"]], "{review}");
        assert!(review["warnings"].to_string().contains("app/gone-alb/0123456789abcdef was not found"), "{review}");
    }
    assert_eq!(upstream.calls("DescribeLoadBalancers"), 1, "the reviews read nothing more");
    assert_eq!(upstream.calls("DescribeListeners"), 3, "shop, secure and batch, once, by the first pass");
}
