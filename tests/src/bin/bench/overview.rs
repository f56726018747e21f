//! The overview's cost: a fleet of accounts (the proxy's own identity and
//! roles assumed through moto's STS) in two regions, ranked cold and
//! cached, with the ListMetrics and GetMetricData calls counted by the test
//! upstream in front of moto.

use std::time::Instant;

use tlswatch_tests::upstream::{GET_METRIC_DATA, TestUpstream};
use tlswatch_tests::{Moto, REGION, Tlswatch, datum, now};

use crate::fleet;
use crate::report::{Report, ms};

const ACCOUNTS: usize = 10;
const OTHER_REGION: &str = "eu-west-1";
const BALANCERS: usize = 25;
const LIST_METRICS: &str = "ListMetrics";

/// The role of account `index` (1 and up; 0 is the proxy's own identity).
fn role(index: usize) -> String {
    format!("arn:aws:iam::{:012}:role/tlswatch-reader", 100_000_000_000 + index)
}

pub async fn measure(report: &mut Report) {
    let moto = Moto::start();
    let start = (now() - 3 * 3_600) / 300 * 300;
    for account in 0..ACCOUNTS {
        for region in [REGION, OTHER_REGION] {
            let data = (0..BALANCERS)
                .flat_map(|lb| {
                    let name = format!("app/a{account}-lb{lb:02}/{:016x}", account * 100 + lb);
                    // A few errors per load balancer, more for the first ones: a ranking to sort.
                    (0..3).map(move |bucket| {
                        datum(fleet::METRIC, &[("LoadBalancer", &name)], start + bucket * 900, (BALANCERS - lb) as f64)
                    })
                })
                .collect();
            match account {
                0 => moto.put_in(region, data).await,
                _ => moto.put_as(&role(account), region, data).await,
            }
        }
    }
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let accounts: Vec<String> = (1..ACCOUNTS).map(|index| format!("--account=a{index}={}", role(index))).collect();
    let regions = format!("--region={REGION},{OTHER_REGION}");
    let mut args: Vec<&str> = vec![regions.as_str()];
    args.extend(accounts.iter().map(String::as_str));
    args.extend(fleet::PATIENT_WITH_MOTO);
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &args);

    let mut rows = Vec::new();
    let count = || [upstream.calls(LIST_METRICS), upstream.calls(GET_METRIC_DATA), upstream.calls("AssumeRole")];
    let mut before = count();
    for case in ["cold", "cached"] {
        let started = Instant::now();
        let (status, body) = tlswatch.get("/api/v1/overview?from=now-24h").await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{body}");
        let ranked = body["rows"].as_array().map_or(0, Vec::len);
        assert_eq!(ranked, ACCOUNTS * 2 * BALANCERS, "every load balancer ranked: {body}");
        let failing = body["scopes"].as_array().into_iter().flatten().filter(|scope| scope["status"] != "ok").count();
        assert_eq!(failing, 0, "{body}");
        let after = count();
        let mut row = vec![case.to_string(), ranked.to_string(), ms(took)];
        row.extend(after.iter().zip(&before).map(|(a, b)| (a - b).to_string()));
        rows.push(row);
        before = after;
    }
    report.section(
        "10. Overview of a fleet of accounts",
        &format!(
            "`GET /api/v1/overview?from=now-24h` over {ACCOUNTS} accounts (the proxy's own identity and {} roles \
             assumed through moto's STS) x 2 regions x {BALANCERS} load balancers, with `--max-upstream-calls` at \
             its default (8). Calls counted by the test upstream in front of moto; a second overview within a \
             minute is answered from the cache.",
            ACCOUNTS - 1
        ),
        &["overview", "rows", "latency", "ListMetrics", "GetMetricData", "AssumeRole"],
        rows,
    );
}
