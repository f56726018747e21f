//! The target probe's cost: one probe of 100 targets, each a real server on
//! a loopback address of its own in this process (TLS 1.2-1.3, TLS 1.3 only, plain HTTP),
//! registered in moto behind a listener of the `2016-08` policy
//! (tests/fixtures/probe_setup.py). Wall time cold and cached, handshakes
//! per target by outcome, and the most connections open at once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use openssl::ssl::SslVersion;
use tlswatch::{Behaviour, Gauge, TargetServer};
use tlswatch_tests::{Moto, Tlswatch};

use crate::report::{Report, ms};

const GROUPS: usize = 4;
const PER_GROUP: usize = 25;
/// The probe's default `--probe-concurrency`.
const CONCURRENCY: usize = 8;

pub async fn measure(report: &mut Report) {
    let gauge = Gauge::default();
    let mut targets = Vec::new();
    for index in 0..GROUPS * PER_GROUP {
        // Six in ten pass, three in ten accept only TLS 1.3, one in ten answers HTTP.
        let (kind, behaviour) = match index % 10 {
            0..=5 => ("passes", Behaviour::Tls(SslVersion::TLS1_2, SslVersion::TLS1_3)),
            6..=8 => ("TLS 1.3 only", Behaviour::Tls(SslVersion::TLS1_3, SslVersion::TLS1_3)),
            _ => ("plain HTTP", Behaviour::PlainHttp),
        };
        let name = format!("target-{index}.bench.internal");
        // An address of its own: moto keeps one target per address in a group.
        let host = [127, 0, 3, u8::try_from(index + 1).expect("under 255 targets")];
        let server =
            TargetServer::start_counted(host, &name, behaviour, gauge.clone()).await.expect("a target on loopback");
        targets.push((kind, server));
    }
    let moto = Moto::start();
    let groups: Vec<serde_json::Value> = targets
        .chunks(PER_GROUP)
        .enumerate()
        .map(|(index, chunk)| {
            let addresses: Vec<String> = chunk.iter().map(|(_, server)| server.address.to_string()).collect();
            serde_json::json!({"name": format!("bench-{index}"), "targets": addresses})
        })
        .collect();
    let spec = serde_json::json!([{"name": "bench-alb", "policy": "ELBSecurityPolicy-2016-08", "groups": groups}]);
    let created = create(&moto, &spec);
    let lb = created["load_balancers"]["bench-alb"].as_str().expect("the load balancer").to_string();
    let concurrency = CONCURRENCY.to_string();
    let tlswatch = Tlswatch::on_endpoint(
        &moto.endpoint,
        &["--probe-targets", "127.0.0.0/8", "--probe-concurrency", &concurrency, "--rate-limit", "0"],
    );

    let path = format!("/api/v1/probe?lb={lb}");
    let mut rows = Vec::new();
    for case in ["cold", "cached"] {
        let started = Instant::now();
        let (status, body) = tlswatch.get(&path).await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{body}");
        let outcomes = outcomes(&body);
        assert_eq!(outcomes.values().sum::<usize>(), GROUPS * PER_GROUP, "every target probed: {outcomes:?}");
        let outcomes: Vec<String> = outcomes.iter().map(|(outcome, count)| format!("{count} {outcome}")).collect();
        rows.push(vec![case.to_string(), ms(took), outcomes.join(", ")]);
    }
    let mut handshakes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (kind, server) in &targets {
        let (least, most) = handshakes.entry(kind).or_insert((usize::MAX, 0));
        (*least, *most) = ((*least).min(server.connections()), (*most).max(server.connections()));
    }
    let per_target: Vec<String> = handshakes
        .iter()
        .map(|(kind, (least, most))| match least == most {
            true => format!("{kind}: {most}"),
            false => format!("{kind}: {least}-{most}"),
        })
        .collect();
    report.section(
        "11. Probe of 100 targets",
        &format!(
            "`GET /api/v1/probe` of one load balancer whose `2016-08` listener forwards to {GROUPS} HTTPS target \
             groups of {PER_GROUP} `ip` targets registered in moto at loopback addresses, each a real server in the \
             bench's process. Handshakes per target over both probes (three for a target that passes at TLS 1.2 \
             or 1.3: the load balancer's, then TLS 1.0 and 1.1 alone; at most six for one that fails: the load \
             balancer's, then what it accepts): {}. Most connections open at once, \
             over every target: {} (`--probe-concurrency {CONCURRENCY}`). The second probe within five minutes \
             is answered from the cache and connects to nothing.",
            per_target.join("; "),
            gauge.peak()
        ),
        &["probe", "wall time", "outcomes"],
        rows,
    );
    report.guard(
        gauge.peak() <= CONCURRENCY,
        format!("probe: {} connections at once, over --probe-concurrency {CONCURRENCY}", gauge.peak()),
    );
    report.guard(
        handshakes.values().all(|(_, most)| *most <= 6),
        format!("probe: a target got more than six handshakes ({})", per_target.join("; ")),
    );
}

/// Each outcome code and how many targets had it.
fn outcomes(body: &serde_json::Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for lb in body["load_balancers"].as_array().into_iter().flatten() {
        for group in lb["target_groups"].as_array().into_iter().flatten() {
            for target in group["targets"].as_array().into_iter().flatten() {
                *counts.entry(target["outcome"].as_str().unwrap_or("?").to_string()).or_default() += 1;
            }
        }
    }
    counts
}

/// Creates the load balancer with the probe's fixture and returns what it printed.
fn create(moto: &Moto, spec: &serde_json::Value) -> serde_json::Value {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("xtask sets CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join("../.tools/venv/bin/python"))
        .arg(root.join("fixtures/probe_setup.py"))
        .arg(&moto.endpoint)
        .arg(spec.to_string())
        .output()
        .expect("the probe fixture runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("the fixture prints JSON")
}
