//! `/api/v1/probe` against moto and real servers: load balancers whose `ip`
//! targets are registered at loopback addresses (tests/fixtures/probe_setup.py),
//! each target a real server (Debian's `openssl s_server` in the
//! configuration a failing target has, Python's HTTP server, listeners that
//! close or stay silent, a refused port). Every outcome code, what a
//! failing target accepts, each finding, the what-if, the cache, the cap,
//! and the allow-list (a listener outside it must see no connection; the
//! review fixture's 10.x targets are never connected to).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use tlswatch_tests::shared_cache::RedisServer;
use tlswatch_tests::targets::{Certificate, Listener, OpensslServer, PlainHttp, refused};
use tlswatch_tests::{Moto, Tlswatch, datum, now, run_to_exit};

/// The allow-list of these tests: 127.0.0.0/16, so that 127.1.0.0/16 is
/// loopback outside it.
const ALLOW: &str = "127.0.0.0/16";
const LEGACY: &str = "ELBSecurityPolicy-2016-08";
const TLS13: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

fn python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/python")
}

fn fixture(script: &str, args: &[&str]) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(python())
        .arg(root.join("fixtures").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run the fixture: {err} (run `cargo xtask test`)"));
    assert!(output.status.success(), "{script} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("the fixture prints JSON")
}

/// Every target row of a probe answer, by `address:port`.
fn rows(body: &Value) -> BTreeMap<String, Value> {
    let mut rows = BTreeMap::new();
    for lb in body["load_balancers"].as_array().expect("load balancers") {
        for group in lb["target_groups"].as_array().expect("groups") {
            for row in group["targets"].as_array().expect("targets") {
                rows.insert(format!("{}:{}", row["id"].as_str().unwrap(), row["port"]), row.clone());
            }
        }
    }
    rows
}

fn findings<'a>(body: &'a Value, code: &str) -> Vec<&'a Value> {
    let lbs = body["load_balancers"].as_array().expect("load balancers");
    lbs.iter().flat_map(|lb| lb["findings"].as_array().unwrap()).filter(|f| f["code"] == code).collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[tokio::test]
async fn every_outcome_against_real_servers_with_what_the_target_accepts_and_the_fix() {
    let moto = Moto::start();
    let good = Certificate::make("target.test", 2048, false);
    let old = Certificate::make("old.test", 1024, true);
    let tls13_only = OpensslServer::start([127, 0, 1, 1], &good, &["-tls1_3"]);
    let chacha_only =
        OpensslServer::start([127, 0, 1, 2], &good, &["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"]);
    let tls10_only = OpensslServer::start([127, 0, 1, 3], &good, &["-tls1", "-cipher", "ALL:@SECLEVEL=0"]);
    let client_certificate = OpensslServer::start([127, 0, 1, 4], &good, &["-Verify", "1"]);
    let expired = OpensslServer::start([127, 0, 1, 5], &old, &["-cipher", "DEFAULT:@SECLEVEL=0"]);
    let plain = PlainHttp::start([127, 0, 1, 6]);
    let silent = Listener::silent([127, 0, 1, 7]);
    let closing = Listener::closing([127, 0, 1, 8]);
    let nothing = refused([127, 0, 1, 9]);
    let null_cipher = OpensslServer::start([127, 0, 1, 10], &good, &["-tls1_2", "-cipher", "NULL-SHA256:@SECLEVEL=0"]);
    let outside = Listener::watching([127, 1, 0, 1]);
    let asks_after = OpensslServer::start([127, 0, 2, 1], &good, &["-Verify", "1"]);
    let modern = OpensslServer::start([127, 0, 2, 2], &good, &[]);
    let mixed = [
        tls13_only.address,
        chacha_only.address,
        tls10_only.address,
        client_certificate.address,
        expired.address,
        plain.address,
        silent.address,
        closing.address,
        nothing,
        null_cipher.address,
        outside.address,
    ];
    let spec = json!([
        {"name": "legacy-alb", "policy": LEGACY, "groups": [
            {"name": "mixed", "targets": mixed.iter().map(|a| a.to_string()).collect::<Vec<_>>()}]},
        {"name": "modern-alb", "policy": TLS13, "groups": [
            {"name": "grpc", "version": "GRPC", "targets": [asks_after.address.to_string(), modern.address.to_string()]}]},
    ]);
    let created = fixture("probe_setup.py", &[&moto.endpoint, &spec.to_string()]);
    let (legacy, modern_lb) =
        (text(&created["load_balancers"]["legacy-alb"]), text(&created["load_balancers"]["modern-alb"]));
    let group = text(&created["groups"]["mixed"]).to_string();
    // Errors on the failing group, for tls-errors to cite the probe.
    let end = (now() / 3_600) * 3_600;
    let dimensions = [("LoadBalancer", legacy), ("TargetGroup", group.as_str())];
    let data = (end - 3_600..end).step_by(60).map(|t| datum("TargetTLSNegotiationErrorCount", &dimensions, t, 2.0));
    moto.put(data.collect()).await;

    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &["--probe-targets", ALLOW]);
    // Before any probe, the review's tls-errors lists the causes that fit.
    let review_path = format!("/api/v1/review?lb={legacy}&lb={modern_lb}&from=now-6h");
    let (status, before) = tlswatch.get(&review_path).await;
    assert_eq!(status, 200, "{before}");
    let uncited = findings(&before, "tls-errors").iter().map(|f| text(&f["text"]).to_string()).collect::<Vec<_>>();
    assert!(!uncited.is_empty() && uncited.iter().all(|t| !t.contains("the probe made")), "{uncited:?}");
    assert!(findings(&before, "target-rejects-backend-tls").is_empty(), "no probe, no probe findings");
    let (status, body) = tlswatch.get(&format!("/api/v1/probe?lb={legacy}&lb={modern_lb}&from=now-6h")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["warnings"], json!([]));
    assert!(body.get("what_if").is_none(), "not a what-if");
    let rows = rows(&body);
    let row = |address: std::net::SocketAddr| {
        rows.get(&address.to_string()).unwrap_or_else(|| panic!("{address} in {rows:?}"))
    };
    let outcome = |address| text(&row(address)["outcome"]).to_string();

    // The load balancer's own handshake, and what a failing target accepts instead.
    let refused_version = row(tls13_only.address);
    assert_eq!(refused_version["outcome"], "protocol-mismatch");
    assert_eq!(refused_version["error"], "alert protocol_version (70) from the target");
    assert_eq!(refused_version["accepts"]["versions"], json!(["TLSv1.3"]));
    let explanation = text(&refused_version["explanation"]);
    assert!(
        explanation.starts_with("accepts only TLS 1.3; the load balancer offers TLS 1.0-1.2 to it"),
        "{explanation}"
    );
    assert!(explanation.contains(LEGACY) && explanation.contains("Fix: a TLS 1.3 listener policy"), "{explanation}");
    assert!(refused_version["handshakes"].as_u64().unwrap() <= 6);
    assert_eq!(refused_version["health"], "healthy", "moto reports registered targets healthy");

    let cipher = row(chacha_only.address);
    assert_eq!(cipher["outcome"], "cipher-mismatch");
    assert_eq!(cipher["accepts"]["cipher"], "ECDHE-RSA-CHACHA20-POLY1305");
    assert!(text(&cipher["explanation"]).contains("accepts TLS 1.2 but none of the"), "{cipher}");

    let legacy_ok = row(tls10_only.address);
    assert_eq!((legacy_ok["outcome"].clone(), legacy_ok["protocol"].clone()), (json!("ok"), json!("TLSv1")));
    assert_eq!(legacy_ok["handshakes"], 1, "one handshake when it succeeds at TLS 1.0 already");
    assert!(legacy_ok["duration_ms"].is_u64() && legacy_ok["cipher"].is_string(), "{legacy_ok}");

    let asks = row(client_certificate.address);
    assert_eq!(asks["outcome"], "client-certificate-required", "{asks}");
    assert_eq!(asks["accepts"]["client_certificate"], true);

    let old_certificate = &row(expired.address)["certificate"];
    assert_eq!((old_certificate["key_type"].clone(), old_certificate["key_bits"].clone()), (json!("RSA"), json!(1024)));
    assert!(old_certificate["not_after"].as_i64().unwrap() < now() && old_certificate["self_signed"] == true);
    assert_eq!(old_certificate["subject"], "CN=old.test");

    let http = row(plain.address);
    assert_eq!(http["outcome"], "not-tls");
    assert!(text(&http["error"]).contains("HTML") || text(&http["error"]).contains("HTTP/"), "{http}");
    assert_eq!(outcome(silent.address), "handshake-timeout");
    assert_eq!(outcome(closing.address), "closed");
    let unreachable = row(nothing);
    assert_eq!(
        (unreachable["outcome"].clone(), unreachable["error"].clone()),
        (json!("unreachable"), json!("connection refused"))
    );
    assert!(text(&unreachable["explanation"]).contains("not reachable from tlswatch"));
    let failed = row(null_cipher.address);
    assert_eq!(failed["outcome"], "handshake-failed");
    assert_eq!(failed["accepts"]["versions"], json!([]), "no version is accepted with any cipher");
    assert!(text(&failed["explanation"]).contains("no SNI"), "{failed}");

    // The allow-list: a registered target outside it is never connected to.
    let left_alone = row(outside.address);
    assert_eq!(left_alone["outcome"], "not-probed");
    assert!(text(&left_alone["error"]).contains("outside the allow-list"), "{left_alone}");
    assert_eq!(left_alone["handshakes"], 0);
    assert_eq!(outside.accepted(), 0, "the listener outside the allow-list saw no connection");

    // TLS 1.3 asks for a client certificate after the handshake: the short read sees it.
    let after = row(asks_after.address);
    assert_eq!(
        (after["outcome"].clone(), after["protocol"].clone()),
        (json!("client-certificate-required"), json!("TLSv1.3"))
    );
    assert_eq!(after["error"], "alert certificate_required (116) from the target");
    let grpc = row(modern.address);
    assert_eq!(grpc["outcome"], "ok");
    assert_eq!(grpc["alpn"]["offered"], "h2", "an informational ALPN handshake for gRPC groups: {grpc}");
    assert_eq!(grpc["legacy_accepted"], json!([]), "TLS 1.0 and 1.1 tried alone, each refused: {grpc}");
    assert_eq!(grpc["handshakes"], 4, "the load balancer's, one each for TLS 1.0 and 1.1, and ALPN");

    // Findings.
    let rejects = findings(&body, "target-rejects-backend-tls");
    let rejects_mixed = rejects.iter().find(|f| f["target_group"] == group.as_str()).expect("the mixed group's");
    assert_eq!(rejects_mixed["severity"], "high");
    let said = text(&rejects_mixed["text"]);
    for address in [tls13_only.address, chacha_only.address, plain.address, silent.address, closing.address] {
        assert!(said.contains(&address.to_string()), "{address} in {said}");
    }
    assert!(!said.contains(&nothing.to_string()), "unreachable is not the load balancer's failure: {said}");
    let legacy_tls = findings(&body, "target-accepts-legacy-tls");
    assert_eq!(legacy_tls.len(), 1);
    assert_eq!(legacy_tls[0]["severity"], "medium");
    assert!(text(&legacy_tls[0]["text"]).contains(&format!("{} (TLS 1.0)", tls10_only.address)));
    let certificates = findings(&body, "target-certificate");
    let expired_text = certificates.iter().map(|f| text(&f["text"])).find(|t| t.contains(&expired.address.to_string()));
    let expired_text = expired_text.expect("the expired certificate's finding");
    assert!(expired_text.contains("expired") && expired_text.contains("1024-bit RSA"), "{expired_text}");
    assert!(expired_text.contains("does not validate target certificates"), "{expired_text}");
    assert!(certificates.iter().all(|f| f["severity"] == "info"));
    let tls_errors = findings(&body, "tls-errors");
    let cited = text(&tls_errors.iter().find(|f| f["target_group"] == group.as_str()).expect("tls-errors")["text"]);
    assert!(
        cited.contains("the probe made the load balancer's handshake") && cited.contains("protocol-mismatch"),
        "{cited}"
    );
    assert!(!cited.contains("causes that fit"), "{cited}");
    // The review of the same view now cites that probe, without probing again.
    let (status, after) = tlswatch.get(&review_path).await;
    assert_eq!(status, 200, "{after}");
    let tls_errors = findings(&after, "tls-errors");
    let review_cited =
        text(&tls_errors.iter().find(|f| f["target_group"] == group.as_str()).expect("tls-errors")["text"]);
    assert_eq!(review_cited, cited, "the review cites the probe as the probe's answer does");
    assert_eq!(
        findings(&after, "target-rejects-backend-tls").len(),
        findings(&body, "target-rejects-backend-tls").len()
    );

    // Cached: a second look connects to nothing and makes no probe call.
    let closing_before = closing.accepted();
    let (status, again) = tlswatch.get(&format!("/api/v1/probe?lb={legacy}&lb={modern_lb}&from=now-6h")).await;
    assert_eq!(status, 200);
    assert_eq!(again["probed_at"], body["probed_at"]);
    assert_eq!(closing.accepted(), closing_before, "answered from the cache");
    assert_eq!(tlswatch.metric("tlswatch_upstream_calls_total", &[("operation", "ProbeTargets")]).await, 1.0);

    // The what-if: the same targets as if the listener used a TLS 1.3 policy.
    let (status, what_if) = tlswatch.get(&format!("/api/v1/probe?lb={legacy}&policy={TLS13}")).await;
    assert_eq!(status, 200, "{what_if}");
    assert_eq!(what_if["what_if"], TLS13);
    let rows = self::rows(&what_if);
    assert_eq!(rows[&tls13_only.address.to_string()]["outcome"], "ok", "a TLS 1.3 listener policy would fix it");
    let group_probe = &what_if["load_balancers"][0]["target_groups"][0];
    assert_eq!(
        (group_probe["listener_policy"].clone(), group_probe["backend_policy"].clone()),
        (json!(TLS13), json!("ELBSecurityPolicy-TLS13-1-0-2021-06"))
    );
    let what_if_findings = what_if["load_balancers"][0]["findings"].as_array().unwrap();
    assert!(
        !what_if_findings.is_empty() && what_if_findings.iter().all(|f| text(&f["text"]).starts_with("What-if")),
        "{what_if_findings:?}"
    );
    assert_eq!(outside.accepted(), 0, "still nothing outside the allow-list");

    let (status, unknown) = tlswatch.get(&format!("/api/v1/probe?lb={legacy}&policy=NoSuchPolicy")).await;
    assert_eq!((status, unknown["error"]["param"].clone()), (400, json!("policy")), "{unknown}");
}

/// The fleet report's row of target group `group`.
fn report_row<'a>(report: &'a Value, group: &str) -> &'a Value {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter().find(|row| row["target_group"] == group).unwrap_or_else(|| panic!("{group} in {report}"))
}

#[tokio::test]
async fn the_fleet_report_and_overview_show_what_the_probe_last_saw_on_every_replica() {
    let moto = Moto::start();
    let good = Certificate::make("target.test", 2048, false);
    let takes_tls10 =
        OpensslServer::start([127, 0, 3, 1], &good, &["-min_protocol", "TLSv1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let strict = OpensslServer::start([127, 0, 3, 2], &good, &[]);
    let never_probed = OpensslServer::start([127, 0, 3, 3], &good, &[]);
    let spec = json!([{"name": "fleet-alb", "policy": TLS13, "groups": [
        {"name": "takes-tls10", "targets": [takes_tls10.address.to_string()]},
        {"name": "strict", "targets": [strict.address.to_string()]},
        {"name": "never-probed", "targets": [never_probed.address.to_string()]},
    ]}]);
    let created = fixture("probe_setup.py", &[&moto.endpoint, &spec.to_string()]);
    let lb = text(&created["load_balancers"]["fleet-alb"]);
    let group = |name: &str| text(&created["groups"][name]).to_string();
    let redis = RedisServer::start();
    let url = redis.url();
    let flags = ["--probe-targets", ALLOW, "--cache-url", &url];
    let (prober, reader) =
        (Tlswatch::on_endpoint(&moto.endpoint, &flags), Tlswatch::on_endpoint(&moto.endpoint, &flags));
    let report_path = "/api/v1/fleet-review?baseline=tls12-minimum";

    // Before any probe, the hop to every group's targets is unverified.
    let (status, before) = reader.get(report_path).await;
    assert_eq!(status, 200, "{before}");
    for name in ["takes-tls10", "strict", "never-probed"] {
        let row = report_row(&before, &group(name));
        assert_eq!(row["baseline"]["result"], "unverified", "{row}");
        assert_eq!(row["targets"][0]["outcome"], "not-probed", "{row}");
    }

    // One replica probes one view of two of the three groups.
    let probe_path = format!("/api/v1/probe?lb={lb}&tg={}&tg={}", group("takes-tls10"), group("strict"));
    let (status, probe) = prober.get(&probe_path).await;
    assert_eq!(status, 200, "{probe}");
    let probed = rows(&probe);
    let seen = &probed[&takes_tls10.address.to_string()];
    assert_eq!((seen["outcome"].clone(), seen["protocol"].clone()), (json!("ok"), json!("TLSv1.3")), "{seen}");
    assert_eq!(seen["legacy_accepted"], json!(["TLSv1", "TLSv1.1"]), "{seen}");
    assert_eq!(probed[&strict.address.to_string()]["legacy_accepted"], json!([]));
    assert_eq!(findings(&probe, "target-accepts-legacy-tls").len(), 1, "negotiating TLS 1.3 hides nothing");

    // The other replica's report holds those outcomes, from the shared cache.
    let (status, report) = reader.get(report_path).await;
    assert_eq!(status, 200, "{report}");
    let old = report_row(&report, &group("takes-tls10"));
    let target = &old["targets"][0];
    assert_eq!(
        (target["id"].clone(), target["outcome"].clone(), target["legacy_accepted"].clone()),
        (json!("127.0.3.1"), json!("ok"), json!(["TLSv1", "TLSv1.1"])),
        "{old}"
    );
    assert_eq!(target["probed_at"], probe["probed_at"]);
    assert!(old["findings"].to_string().contains("target-accepts-legacy-tls"), "{old}");
    assert_eq!(old["baseline"]["result"], "fail");
    assert!(
        old["baseline"]["reasons"].to_string().contains(&format!("{} (TLS 1.0-1.1)", takes_tls10.address)),
        "{old}"
    );
    let passing = report_row(&report, &group("strict"));
    assert_eq!(passing["baseline"]["result"], "pass", "every target seen refusing TLS 1.0 and 1.1: {passing}");
    let unseen = report_row(&report, &group("never-probed"));
    assert_eq!(unseen["baseline"]["result"], "unverified");
    assert!(unseen["baseline"]["reasons"].to_string().contains("0 of 1 targets were seen refusing them"), "{unseen}");
    assert!(text(&unseen["targets"][0]["error"]).contains("no probe of this target in the last day"), "{unseen}");

    // The CSV says the same in its last column.
    let csv = reader.response(&format!("{report_path}&format=csv")).await.text().await.unwrap();
    let old_line = csv.lines().find(|line| line.contains(&group("takes-tls10"))).expect("the group's line");
    assert!(
        old_line.contains(&format!("{} ok TLSv1.3, accepts TLS 1.0-1.1, probed", takes_tls10.address)),
        "{old_line}"
    );
    assert!(csv.lines().next().unwrap().ends_with(",target_outcomes"), "{csv}");

    // The overview filters by the probe's findings, and the review cites them: nothing probed again.
    let (status, overview) = reader.get("/api/v1/overview?finding=target-accepts-legacy-tls").await;
    assert_eq!(status, 200, "{overview}");
    let listed: Vec<&Value> =
        overview["rows"].as_array().unwrap().iter().map(|r| &r["load_balancer"]["value"]).collect();
    assert_eq!(listed, vec![lb], "{overview}");
    let (status, review) = reader.get(&format!("/api/v1/review?lb={lb}")).await;
    assert_eq!(status, 200, "{review}");
    let cited = findings(&review, "target-accepts-legacy-tls");
    assert!(cited.len() == 1 && text(&cited[0]["text"]).contains("(probed at "), "{review}");
    assert_eq!(reader.metric("tlswatch_upstream_calls_total", &[("operation", "ProbeTargets")]).await, 0.0);
}

#[tokio::test]
async fn targets_outside_the_allow_list_instances_and_those_over_the_cap_are_not_probed() {
    let moto = Moto::start();
    // The review fixture registers 10.20.x targets and EC2 instances: never connected to.
    let review = fixture("review_setup.py", &[&moto.endpoint]);
    // 201 targets on 201 loopback addresses where nothing listens.
    let many: Vec<String> = (0..201).map(|i| format!("127.0.{}.{}:9", 10 + i / 200, 1 + i % 200)).collect();
    let spec = json!([{"name": "big-alb", "policy": LEGACY, "groups": [{"name": "many", "targets": many}]}]);
    let created = fixture("probe_setup.py", &[&moto.endpoint, &spec.to_string()]);
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &["--probe-targets", ALLOW]);

    let (status, body) =
        tlswatch.get(&format!("/api/v1/probe?lb={}&lb={}", text(&review["shop"]), text(&review["batch"]))).await;
    assert_eq!(status, 200, "{body}");
    let rows = rows(&body);
    assert!(!rows.is_empty());
    for (address, row) in &rows {
        assert_eq!(row["outcome"], "not-probed", "{address}: {row}");
        assert_eq!(row["handshakes"], 0);
        let why = text(&row["error"]);
        let instance = row["id"].as_str().unwrap().starts_with("i-");
        if instance {
            assert!(why.contains("instance target"), "{why}");
            assert!(row["address"].is_null());
        } else {
            assert!(why.contains("outside the allow-list"), "{why}");
        }
    }
    assert!(rows.values().any(|row| row["id"].as_str().unwrap().starts_with("i-")), "instance targets listed");
    assert_eq!(tlswatch.metric("tlswatch_upstream_calls_total", &[("operation", "ProbeTargets")]).await, 0.0);

    let (status, body) =
        tlswatch.get(&format!("/api/v1/probe?lb={}", text(&created["load_balancers"]["big-alb"]))).await;
    assert_eq!(status, 200, "{body}");
    let outcomes: Vec<String> = self::rows(&body).values().map(|row| text(&row["outcome"]).to_string()).collect();
    assert_eq!(outcomes.len(), 201);
    assert_eq!(outcomes.iter().filter(|o| *o == "unreachable").count(), 200, "at most 200 targets per request");
    let capped: Vec<Value> = self::rows(&body).into_values().filter(|row| row["outcome"] == "not-probed").collect();
    assert!(text(&capped[0]["error"]).contains("cap of 200"), "{}", capped[0]);
}

#[tokio::test]
async fn without_an_allow_list_the_probe_is_off_and_says_how_to_turn_it_on() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get("/api/v1/probe").await;
    assert_eq!((status, body["error"]["code"].clone()), (501, json!("probe_disabled")), "{body}");
    assert!(text(&body["error"]["message"]).contains("--probe-targets CIDR"), "{body}");
    let closed = tlswatch_tests::closed_endpoint();
    let common = ["--listen", "127.0.0.1:0", "--endpoint-url", closed.as_str()];
    let (ok, stderr) = run_to_exit(&[&common[..], &["--probe-targets", "127.0.0.0/33"]].concat());
    assert!(!ok && stderr.contains("--probe-targets: \"127.0.0.0/33\" is not an address or CIDR range"), "{stderr}");
    let (ok, stderr) =
        run_to_exit(&[&common[..], &["--probe-targets", "127.0.0.1", "--probe-concurrency", "0"]].concat());
    assert!(!ok && stderr.contains("--probe-concurrency"), "{stderr}");
}

/// The outcomes of a probe's rows (sorted), by target group name.
fn outcomes_by_group(body: &Value) -> BTreeMap<String, Vec<String>> {
    let mut found = BTreeMap::new();
    for lb in body["load_balancers"].as_array().expect("load balancers") {
        for group in lb["target_groups"].as_array().expect("groups") {
            let outcomes = group["targets"].as_array().expect("targets").iter();
            let mut outcomes: Vec<String> = outcomes.map(|t| text(&t["outcome"]).to_string()).collect();
            outcomes.sort();
            found.insert(text(&group["name"]).to_string(), outcomes);
        }
    }
    found
}

#[tokio::test]
async fn the_demo_probes_its_own_loopback_targets_as_the_readme_tells() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let payments = "app/payments-alb/3e9c1f0a7b2d4c68";
    let (status, body) = tlswatch.get(&format!("/api/v1/probe?lb={payments}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(outcomes_by_group(&body)["checkout-tls"], vec!["protocol-mismatch"; 3], "{body}");
    for row in rows(&body).values().filter(|row| row["outcome"] == "protocol-mismatch") {
        let explanation = text(&row["explanation"]);
        assert!(explanation.starts_with("accepts only TLS 1.3; the load balancer offers TLS 1.0-1.2 to it"), "{row}");
        assert!(explanation.contains("Fix:"), "{explanation}");
    }
    // The what-if of a TLS 1.3 listener policy: the same targets pass.
    let (status, body) = tlswatch.get(&format!("/api/v1/probe?lb={payments}&policy={TLS13}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(outcomes_by_group(&body)["checkout-tls"], vec!["ok"; 3], "{body}");

    let (status, body) = tlswatch.get("/api/v1/probe?lb=app/internal-api/a41f0c2e9d7b3586").await;
    assert_eq!(status, 200, "{body}");
    let groups = outcomes_by_group(&body);
    assert_eq!(groups["admin-tls"], vec!["not-tls", "ok", "ok"], "{body}");
    assert_eq!(groups["grpc-backend"], vec!["handshake-timeout", "ok", "ok"], "{body}");
}
