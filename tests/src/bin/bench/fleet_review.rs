//! The fleet's findings in the background: 10 accounts x 2 regions x 25
//! load balancers x 4 target groups built in moto with boto3, read by
//! three replicas sharing a redis-server with their background passes on
//! and Elastic Load Balancing's pace at its default; the calls per account
//! and region cold and once cached (counted by the test upstream), the
//! wall time of the cold pass, and the overview's latency with findings.

use std::time::{Duration, Instant};

use tlswatch::ELB_OPERATIONS as OPERATIONS;
use tlswatch_tests::shared_cache::RedisServer;
use tlswatch_tests::upstream::TestUpstream;
use tlswatch_tests::{Moto, REGION, Tlswatch};

use crate::fleet;
use crate::report::{Latencies, Report, ms};

const ACCOUNTS: usize = 10;
const OTHER_REGION: &str = "eu-west-1";
const BALANCERS: usize = 25;
const GROUPS: usize = 4;
const REPLICAS: usize = 3;
/// Seconds between the passes: short, so that cached passes are seen.
const PASS_EVERY: &str = "5";
const OVERVIEWS: usize = 20;

fn role(index: usize) -> String {
    format!("arn:aws:iam::{:012}:role/tlswatch-reader", 200_000_000_000 + index)
}

pub async fn measure(report: &mut Report) {
    let moto = Moto::start();
    let building = Instant::now();
    for account in 0..ACCOUNTS {
        let role = (account > 0).then(|| role(account));
        for region in [REGION, OTHER_REGION] {
            let built = moto.create_fleet_fixture_in(BALANCERS, GROUPS, region, role.as_deref());
            assert_eq!(built.len(), BALANCERS);
        }
    }
    eprintln!("bench: built the fleet in {:.0} s", building.elapsed().as_secs_f64());
    let scopes = ACCOUNTS * 2;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let redis = RedisServer::start();
    let url = redis.url();
    let accounts: Vec<String> = (1..ACCOUNTS).map(|index| format!("--account=a{index}={}", role(index))).collect();
    let regions = format!("--region={REGION},{OTHER_REGION}");
    let mut args: Vec<&str> = vec![&regions, "--cache-url", &url, "--fleet-refresh-seconds", PASS_EVERY];
    args.extend(accounts.iter().map(String::as_str));
    args.extend(fleet::PATIENT_WITH_MOTO);

    // Cold: from the replicas' start until every scope's policies are read (the pass's last call).
    let started = Instant::now();
    let replicas: Vec<Tlswatch> = (0..REPLICAS).map(|_| Tlswatch::on_endpoint(&upstream.endpoint, &args)).collect();
    while upstream.calls("DescribeSSLPolicies") < scopes {
        assert!(started.elapsed() < Duration::from_secs(600), "the cold pass did not end within 10 minutes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cold_pass = started.elapsed();
    let cold = counts(&upstream);
    // Three more passes of every replica, all within the five minutes the configuration is cached.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let cached = counts(&upstream);
    let read_once = upstream.calls("DescribeLoadBalancers") == scopes;
    report.guard(read_once, format!("{REPLICAS} replicas read {scopes} scopes with {:?} calls", cold));

    let mut latencies = Vec::new();
    for index in 0..OVERVIEWS {
        let asked = Instant::now();
        let (status, body) = replicas[index % REPLICAS].get("/api/v1/overview?from=now-24h").await;
        latencies.push(asked.elapsed());
        assert_eq!(status, 200, "{body}");
        let with_findings = body["rows"].as_array().into_iter().flatten().filter(|row| row["findings"].is_object());
        assert_eq!(with_findings.count(), scopes * BALANCERS, "every load balancer's findings: {body}");
    }
    let latencies = Latencies::new(latencies);
    report.guard(counts(&upstream) == cached, "the overviews read no configuration".to_string());

    let per_scope = |calls: &[usize]| -> Vec<String> {
        calls.iter().map(|n| format!("{:.1}", *n as f64 / scopes as f64)).collect()
    };
    let mut rows = Vec::new();
    let mut cold_row = vec!["cold pass (3 replicas)".to_string(), ms(cold_pass)];
    cold_row.extend(per_scope(&cold));
    cold_row.push(format!("{:.0}", cold.iter().sum::<usize>() as f64 / scopes as f64));
    rows.push(cold_row);
    let again: Vec<usize> = cached.iter().zip(&cold).map(|(after, before)| after - before).collect();
    let mut cached_row = vec!["three more passes each, cached".to_string(), "-".to_string()];
    cached_row.extend(per_scope(&again));
    cached_row.push(format!("{:.0}", again.iter().sum::<usize>() as f64 / scopes as f64));
    rows.push(cached_row);
    let mut header = vec!["pass", "wall time"];
    header.extend(OPERATIONS);
    header.push("calls per scope");
    report.section(
        "12. The fleet's findings, read in the background",
        &format!(
            "{ACCOUNTS} accounts (the proxy's own identity and {} roles assumed through moto's STS) x 2 regions x \
             {BALANCERS} load balancers x {GROUPS} target groups (one HTTPS listener each, forwarding to the first \
             group by its default action and to the others by rules), built in moto with boto3. {REPLICAS} replicas \
             share one redis-server, with `--fleet-refresh-seconds {PASS_EVERY}` and `--elb-calls-per-second` at its \
             default (4 per account and region). Calls per account and region, counted by the test upstream; a \
             pass once the configuration expires (after 5 minutes) makes the cold pass's calls again. Then \
             {OVERVIEWS} overviews with every load balancer's findings, from the cache: median {}, p99 {}.",
            ACCOUNTS - 1,
            ms(latencies.median()),
            ms(latencies.p99()),
        ),
        &header,
        rows,
    );
}

fn counts(upstream: &TestUpstream) -> Vec<usize> {
    OPERATIONS.iter().map(|operation| upstream.calls(operation)).collect()
}
