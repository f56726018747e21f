//! The review's cost: the Elastic Load Balancing calls a review of a fleet
//! makes, cold and cached, counted by the test upstream in front of moto
//! (load balancers created with boto3 by tests/fixtures/review_setup.py).

use std::time::Instant;

use tlswatch::ELB_OPERATIONS as OPERATIONS;
use tlswatch_tests::upstream::TestUpstream;
use tlswatch_tests::{Moto, Tlswatch};

use crate::fleet;
use crate::report::{Report, ms};

const BALANCERS: usize = 20;
const GROUPS: usize = 5;

pub async fn measure(report: &mut Report) {
    let moto = Moto::start();
    let balancers = moto.create_fleet_fixture(BALANCERS, GROUPS);
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &fleet::PATIENT_WITH_MOTO);
    let lbs: String = balancers.iter().map(|lb| format!("lb={lb}&")).collect();
    let path = format!("/api/v1/review?{lbs}from=now-24h");

    let mut rows = Vec::new();
    let mut before = counts(&upstream);
    for case in ["cold", "cached"] {
        let started = Instant::now();
        let (status, body) = tlswatch.get(&path).await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{body}");
        let reviewed = body["load_balancers"].as_array().map_or(0, Vec::len);
        assert_eq!(reviewed, BALANCERS, "every load balancer reviewed: {body}");
        let after = counts(&upstream);
        let mut row = vec![case.to_string(), ms(took)];
        row.extend(after.iter().zip(&before).map(|(a, b)| (a - b).to_string()));
        row.push(after.iter().zip(&before).map(|(a, b)| a - b).sum::<usize>().to_string());
        rows.push(row);
        before = after;
    }
    let mut header = vec!["review", "latency"];
    header.extend(OPERATIONS);
    header.push("calls");
    report.section(
        "7. Review of a fleet",
        &format!(
            "`GET /api/v1/review` of {BALANCERS} load balancers with {GROUPS} target groups each (one HTTPS listener \
             forwarding to the first by its default action and to the others by rules), created in moto with \
             boto3. Elastic Load Balancing calls counted by the test upstream; a second review within five \
             minutes is answered from the cache."
        ),
        &header,
        rows,
    );
}

fn counts(upstream: &TestUpstream) -> Vec<usize> {
    OPERATIONS.iter().map(|operation| upstream.calls(operation)).collect()
}
