//! Configuration of the built binary: every `TLSWATCH_*` variable that
//! `--help` lists is set and its effect read back (a variable the binary
//! gains without a check here fails the test), non-default limits and
//! headers from flags, the region's fallback to `AWS_REGION`, several
//! accounts in one `--account`, SIGINT, and the error codes of refusals.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tlswatch_tests::upstream::{Behaviour, GET_METRIC_DATA, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, basic, closed_endpoint, help, now, run_to_exit_with_env, temp_file};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const OTHER_LB: &str = "app/payments-alb/3e9c1f0a7b2d4c68";
const LIST_METRICS: &str = "ListMetrics";
const BILLING_ROLE: &str = "arn:aws:iam::333333333333:role/tlswatch-reader";
const EXTERNAL_ID: &str = "tlswatch-env-7f3c";

/// The variables `tlswatch --help` names.
fn variables_in_help() -> BTreeSet<String> {
    let help = help();
    let named = help.split("[env: ").skip(1).filter_map(|rest| rest.split(['=', ']']).next());
    named.map(str::to_string).collect()
}

/// `pairs` as an environment for the harness, noting each variable in `set`.
fn environment<'a>(set: &mut BTreeSet<String>, pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a OsStr)> {
    set.extend(pairs.iter().map(|(name, _)| name.to_string()));
    pairs.iter().map(|(name, value)| (*name, OsStr::new(*value))).collect()
}

/// A built frontend of one page that says `marker`.
fn frontend_saying(marker: &str) -> PathBuf {
    let folder = temp_file(marker, "").with_extension("dist");
    std::fs::create_dir_all(&folder).expect("a folder");
    std::fs::write(folder.join("index.html"), format!("<!doctype html><title>{marker}</title>")).expect("a page");
    folder
}

/// An error's status and code.
fn refusal(answer: &(u16, Value)) -> (u16, Option<&str>) {
    (answer.0, answer.1["error"]["code"].as_str())
}

async fn get_with_header(tlswatch: &Tlswatch, path: &str, name: &str, value: &str) -> reqwest::Response {
    let request = reqwest::Client::new().get(format!("{}{path}", tlswatch.url)).header(name, value);
    request.send().await.expect("tlswatch answers")
}

/// A URL over `max_url_bytes` is a 414 naming the limit; one under it is served.
async fn assert_url_limit(tlswatch: &Tlswatch, max_url_bytes: usize) {
    let padding = |total: usize| format!("/api/v1/catalog?{}", "x".repeat(total - "/api/v1/catalog?".len()));
    let (status, body) = tlswatch.raw_get(&padding(max_url_bytes + 100));
    let body: Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!((status, body["error"]["code"].as_str()), (414, Some("uri_too_long")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(&max_url_bytes.to_string()), "names it: {body}");
    let (status, _) = tlswatch.raw_get(&padding(max_url_bytes - 100));
    assert_ne!(status, 414, "a URL under {max_url_bytes} bytes is not too long");
}

/// A header section over `max_header_bytes` is a 431 naming the limit; one under it is served.
async fn assert_header_limit(tlswatch: &Tlswatch, max_header_bytes: usize) {
    let over = get_with_header(tlswatch, "/api/v1/catalog", "x-padding", &"p".repeat(max_header_bytes + 100)).await;
    assert_eq!(over.status(), 431);
    let body: Value = over.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "headers_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains(&max_header_bytes.to_string()), "names it: {body}");
    let under = get_with_header(tlswatch, "/api/v1/catalog", "x-padding", &"p".repeat(max_header_bytes - 500)).await;
    assert_eq!(under.status(), 200, "a header section under {max_header_bytes} bytes is served");
}

/// Two different cold views at once make their calls one after the other
/// when tlswatch may have one call in flight: the upstream holds the first
/// until both requests are read (and a little longer, for a second call to
/// show up if the limit were not applied), then lets it go.
async fn assert_one_call_at_a_time(tlswatch: &Tlswatch, upstream: &TestUpstream, query: &str) {
    upstream.behave(Behaviour::Hold);
    let calls = upstream.get_metric_data_calls();
    let first = tlswatch.send_together(&format!("/api/v1/series?lb={LB}&{query}"), 1).await;
    let second = tlswatch.send_together(&format!("/api/v1/series?lb={OTHER_LB}&{query}"), 1).await;
    first.until_read().await;
    second.until_read().await;
    upstream.until_called(GET_METRIC_DATA, calls + 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    upstream.release();
    let (first, second) = tokio::join!(first.answers(), second.answers());
    assert_eq!((first[0].0, second[0].0), (200, 200), "{first:?} {second:?}");
    assert_eq!(upstream.get_metric_data_calls(), calls + 2);
    assert_eq!(upstream.most_in_flight(GET_METRIC_DATA), 1, "one GetMetricData call in flight at a time");
    upstream.behave(Behaviour::Forward);
}

#[tokio::test]
async fn every_tlswatch_variable_is_read_and_takes_effect() {
    let mut set = BTreeSet::new();
    let moto = Moto::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;

    // Where data comes from, accounts and regions, the page, caching and CloudWatch calls.
    let dist = frontend_saying("tlswatch-from-the-environment");
    let accounts = temp_file(
        "environment-accounts.toml",
        &format!(
            "own_identity = false\n\n[[account]]\nname = \"billing\"\nrole_arn = \"{BILLING_ROLE}\"\n\
             external_id = \"{EXTERNAL_ID}\"\n"
        ),
    );
    let roles = "payments=arn:aws:iam::111111111111:role/reader,audit=arn:aws:iam::444444444444:role/reader";
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_LISTEN", "127.0.0.1:0"),
            ("TLSWATCH_SOURCE", "cloudwatch"),
            ("TLSWATCH_ENDPOINT_URL", &upstream.endpoint),
            ("TLSWATCH_REGION", "eu-west-1,us-east-1"),
            ("TLSWATCH_ACCOUNTS_FILE", accounts.to_str().unwrap()),
            ("TLSWATCH_ACCOUNTS", roles),
            ("TLSWATCH_DIST", dist.to_str().unwrap()),
            ("TLSWATCH_CACHE_TTL", "0.001"),
            ("TLSWATCH_MAX_UPSTREAM_CALLS", "1"),
            ("TLSWATCH_UPSTREAM_ATTEMPTS", "2"),
            ("TLSWATCH_UPSTREAM_ATTEMPT_TIMEOUT", "1"),
        ],
    );
    let tlswatch = Tlswatch::spawn(&[], &env);
    assert!(tlswatch.url.starts_with("http://127.0.0.1:") && !tlswatch.url.ends_with(":8080"), "{}", tlswatch.url);
    let (status, catalog) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200);
    assert_eq!(catalog["source"], "cloudwatch");
    assert_eq!(
        (&catalog["regions"], &catalog["default_region"]),
        (&json!(["eu-west-1", "us-east-1"]), &json!("eu-west-1"))
    );
    let names: Vec<&str> = catalog["accounts"].as_array().unwrap().iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["billing", "payments", "audit"], "own_identity = false: no `default`; {catalog}");
    assert_eq!(catalog["default_account"], "billing");
    let page = tlswatch.response("/").await.text().await.unwrap();
    assert!(page.contains("tlswatch-from-the-environment"), "the page from TLSWATCH_DIST: {page:.200}");

    // A view of billing assumes its role with the external ID, as `tlswatch`.
    let view = format!("/api/v1/series?lb={LB}&from=now-1h");
    let (status, body) = tlswatch.get(&view).await;
    assert_eq!(status, 200, "{body}");
    let assumed = upstream.forms("AssumeRole");
    let billing = assumed.iter().find(|form| form.contains(&("RoleArn".to_string(), BILLING_ROLE.to_string())));
    let billing = billing.unwrap_or_else(|| panic!("billing's role was assumed: {assumed:?}"));
    assert!(billing.contains(&("ExternalId".to_string(), EXTERNAL_ID.to_string())), "{billing:?}");
    assert!(billing.contains(&("RoleSessionName".to_string(), "tlswatch".to_string())), "{billing:?}");

    // A repeat after the 1 ms TTL asks CloudWatch again (60 s by default: a hit).
    let calls = upstream.get_metric_data_calls();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(tlswatch.get(&view).await.0, 200);
    assert_eq!(upstream.get_metric_data_calls(), calls + 1, "TLSWATCH_CACHE_TTL expired the answer");

    assert_one_call_at_a_time(&tlswatch, &upstream, "from=now-2h").await;

    // Two attempts per call (three by default), each cut at one second (ten by default).
    upstream.behave_on(LIST_METRICS, Behaviour::Fail);
    let (status, body) = tlswatch.get("/api/v1/dimensions").await;
    assert_eq!((status, body["error"]["code"].as_str()), (502, Some("upstream_error")), "{body}");
    assert_eq!(upstream.calls(LIST_METRICS), 2, "TLSWATCH_UPSTREAM_ATTEMPTS");
    upstream.behave_on(LIST_METRICS, Behaviour::Hang);
    let started = Instant::now();
    let (status, body) = tlswatch.get("/api/v1/dimensions?region=us-east-1").await;
    assert_eq!((status, body["error"]["code"].as_str()), (504, Some("upstream_timeout")), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "two attempts of a second, not of ten: {:?}",
        started.elapsed()
    );
    assert_eq!(upstream.calls(LIST_METRICS), 4, "both attempts were cut, not the call");
    upstream.behave_on(LIST_METRICS, Behaviour::Forward);
    drop(tlswatch);

    // No cache, and one call cut at a second and a half (25 s by default).
    let env = environment(
        &mut set,
        &[("TLSWATCH_CACHE_MIB", "0"), ("TLSWATCH_UPSTREAM_TIMEOUT", "1.5"), ("TLSWATCH_SOURCE", "cloudwatch")],
    );
    let uncached = Tlswatch::start_with_env("127.0.0.1:0", &["--endpoint-url", &upstream.endpoint], &env);
    let end = now().div_euclid(3_600) * 3_600 - 3_600;
    let settled = format!("/api/v1/series?lb={LB}&from={}&to={end}", end - 3_600);
    let calls = upstream.get_metric_data_calls();
    assert_eq!(uncached.get(&settled).await.0, 200);
    assert_eq!(uncached.get(&settled).await.0, 200);
    assert_eq!(upstream.get_metric_data_calls(), calls + 2, "TLSWATCH_CACHE_MIB=0: every request is a call");
    upstream.behave_on(LIST_METRICS, Behaviour::Hang);
    let started = Instant::now();
    let answer = uncached.get("/api/v1/dimensions").await;
    assert_eq!(refusal(&answer), (504, Some("upstream_timeout")), "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(8), "cut at 1.5 s, not 10 or 25: {:?}", started.elapsed());
    upstream.behave_on(LIST_METRICS, Behaviour::Forward);
    drop(uncached);

    // Limits of a request and of a view.
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_SOURCE", "demo"),
            ("TLSWATCH_MAX_URL_BYTES", "1000"),
            ("TLSWATCH_MAX_HEADER_BYTES", "2000"),
            ("TLSWATCH_MAX_SERIES", "1"),
            ("TLSWATCH_MAX_POINTS", "50"),
        ],
    );
    let limited = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    assert_url_limit(&limited, 1000).await;
    assert_header_limit(&limited, 2000).await;
    let answer = limited.get(&format!("/api/v1/series?lb={LB}&lb={OTHER_LB}&period=3600&from=now-24h")).await;
    assert_eq!(refusal(&answer), (422, Some("too_many_series")), "{answer:?}");
    assert!(answer.1["error"]["message"].as_str().unwrap().contains("at most 1 "), "{answer:?}");
    let answer = limited.get(&format!("/api/v1/series?lb={LB}&period=60&from=now-2h")).await;
    assert_eq!(refusal(&answer), (422, Some("too_many_points")), "{answer:?}");
    assert!(answer.1["error"]["message"].as_str().unwrap().contains("at most 50 "), "{answer:?}");
    drop(limited);
    let env = environment(&mut set, &[("TLSWATCH_SOURCE", "demo"), ("TLSWATCH_MAX_ANSWER_MIB", "1")]);
    let small_answers = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    let lbs: String = (0..10).map(|index| format!("lb=app/alb-{index}/50dc6c495c0c{index:04x}&")).collect();
    let answer = small_answers.get(&format!("/api/v1/series?{lbs}period=60&from=now-7d")).await;
    assert_eq!(refusal(&answer), (422, Some("answer_too_large")), "{:.300}", answer.1);
    assert!(answer.1["error"]["message"].as_str().unwrap().contains("at most 1048576 "), "{answer:?}");
    drop(small_answers);

    // The rate limit.
    let env = environment(&mut set, &[("TLSWATCH_SOURCE", "demo"), ("TLSWATCH_RATE_LIMIT", "3")]);
    let rated = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    assert_rate_limited_after(&rated, 3).await;
    drop(rated);

    // Who may use it: a trusted proxy's user and groups headers.
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_SOURCE", "demo"),
            ("TLSWATCH_TRUSTED_USER_HEADER", "X-User"),
            ("TLSWATCH_TRUSTED_GROUPS_HEADER", "X-Teams"),
            ("TLSWATCH_TRUSTED_PROXY", "10.0.0.0/8,127.0.0.1"),
            ("TLSWATCH_ALLOW_USER", "ana"),
            ("TLSWATCH_ALLOW_GROUP", "ops,sre"),
        ],
    );
    let behind_proxy = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    assert_groups_from(&behind_proxy, "X-User", "X-Teams").await;
    drop(behind_proxy);

    // HTTP Basic, who may read /metrics, and its own listener.
    let hash = bcrypt::hash("ana's secret", 4).unwrap();
    let htpasswd = temp_file("environment-htpasswd", &format!("ana:{hash}\nben:{hash}\n"));
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_SOURCE", "demo"),
            ("TLSWATCH_HTPASSWD", htpasswd.to_str().unwrap()),
            ("TLSWATCH_METRICS_READERS", "ana"),
            ("TLSWATCH_METRICS_LISTEN", "127.0.0.1:0"),
        ],
    );
    let with_login = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    let answer = with_login.get("/api/v1/catalog").await;
    assert_eq!(refusal(&answer), (401, Some("unauthorized")), "{answer:?}");
    let answer = with_login.get_as("/api/v1/catalog", &[("authorization", basic("ana", "ana's secret"))]).await;
    assert_eq!(answer.0, 200);
    let metrics_as = async |base: &str, user: Option<&str>| {
        let request = reqwest::Client::new().get(format!("{base}/metrics"));
        let request = match user {
            Some(user) => request.header("authorization", basic(user, "ana's secret")),
            None => request,
        };
        request.send().await.expect("tlswatch answers").status().as_u16()
    };
    assert_eq!(metrics_as(&with_login.url, Some("ana")).await, 200, "TLSWATCH_METRICS_READERS names ana");
    assert_eq!(metrics_as(&with_login.url, Some("ben")).await, 403, "and not ben");
    assert_eq!(metrics_as(&with_login.metrics_listener(), None).await, 200, "TLSWATCH_METRICS_LISTEN, no login");
    drop(with_login);

    // A shared address (loopback written as IPv4-mapped IPv6) without authentication.
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_SOURCE", "demo"),
            ("TLSWATCH_LISTEN", "[::ffff:127.0.0.1]:0"),
            ("TLSWATCH_ALLOW_UNAUTHENTICATED", "true"),
        ],
    );
    let shared = Tlswatch::spawn(&[], &env);
    assert!(shared.url.contains("[::ffff:127.0.0.1]:"), "listens where TLSWATCH_LISTEN says: {}", shared.url);
    let log = shared.log();
    assert!(log.iter().any(|line| line.contains("serving without authentication")), "{log:?}");
    drop(shared);

    // The names answered without authentication, and how long a request's headers may take.
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_SOURCE", "demo"),
            ("TLSWATCH_ALLOWED_HOST", "tlswatch.test,dash.test:9"),
            ("TLSWATCH_HEADER_READ_TIMEOUT", "1"),
        ],
    );
    let named = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    for (host, status) in [("tlswatch.test", 200), ("dash.test:9", 200), ("dash.test:10", 421), ("evil.test", 421)] {
        assert_eq!(named.raw_get_addressed("/api/v1/catalog", host).0, status, "TLSWATCH_ALLOWED_HOST: {host}");
    }
    let mut silent = std::net::TcpStream::connect(named.address()).unwrap();
    silent.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let started = Instant::now();
    let _ = std::io::Read::read(&mut silent, &mut [0u8; 64]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "TLSWATCH_HEADER_READ_TIMEOUT: closed after {:?}",
        started.elapsed()
    );
    drop(named);

    // The shared cache's URL is read (and refused when it is not redis://).
    let env = environment(
        &mut set,
        &[("TLSWATCH_SOURCE", "demo"), ("TLSWATCH_LISTEN", "127.0.0.1:0"), ("TLSWATCH_CACHE_URL", "http://cache:6379")],
    );
    let (ok, stderr) = run_to_exit_with_env(&[], &env);
    assert!(!ok && stderr.contains("--cache-url") && stderr.contains("redis://"), "{stderr}");

    // The probe's allow-list turns it on (the call then fails at the closed
    // endpoint, not at the probe's switch), and its concurrency is read.
    let closed = closed_endpoint();
    let env = environment(
        &mut set,
        &[("TLSWATCH_ENDPOINT_URL", closed.as_str()), ("TLSWATCH_PROBE_TARGETS", "127.0.0.0/8,127.1.0.1")],
    );
    let probing = Tlswatch::start_with_env("127.0.0.1:0", &[], &env);
    let answer = probing.get("/api/v1/probe").await;
    assert_ne!(refusal(&answer).1, Some("probe_disabled"), "{answer:?}");
    drop(probing);
    let env = environment(
        &mut set,
        &[
            ("TLSWATCH_ENDPOINT_URL", closed.as_str()),
            ("TLSWATCH_LISTEN", "127.0.0.1:0"),
            ("TLSWATCH_PROBE_TARGETS", "127.0.0.1"),
            ("TLSWATCH_PROBE_CONCURRENCY", "0"),
        ],
    );
    let (ok, stderr) = run_to_exit_with_env(&[], &env);
    assert!(!ok && stderr.contains("--probe-concurrency"), "{stderr}");

    // Elastic Load Balancing's pace: 9 Describe calls for 2 load balancers of a group each, at most 2 a
    // second with bursts of 2 (the default's 4 would make 8 in the first second).
    moto.create_fleet_fixture(2, 1);
    let paced_upstream = TestUpstream::start(&moto.endpoint).await;
    let env = environment(&mut set, &[("TLSWATCH_SOURCE", "cloudwatch"), ("TLSWATCH_ELB_CALLS_PER_SECOND", "2")]);
    let paced = Tlswatch::start_with_env("127.0.0.1:0", &["--endpoint-url", &paced_upstream.endpoint], &env);
    let (status, report) = paced.get("/api/v1/fleet-review").await;
    assert_eq!((status, report["rows"].as_array().map(Vec::len)), (200, Some(2)), "{report}");
    let busiest = paced_upstream.busiest_second("Describe");
    assert!(busiest <= 4, "TLSWATCH_ELB_CALLS_PER_SECOND: {busiest} Describe calls within a second");
    drop(paced);

    // The background passes read the fleet before anyone asks.
    let passes_upstream = TestUpstream::start(&moto.endpoint).await;
    let env = environment(&mut set, &[("TLSWATCH_SOURCE", "cloudwatch"), ("TLSWATCH_FLEET_REFRESH_SECONDS", "1")]);
    let passing = Tlswatch::start_with_env("127.0.0.1:0", &["--endpoint-url", &passes_upstream.endpoint], &env);
    passes_upstream.until_called("DescribeSSLPolicies", 1).await;
    drop(passing);

    assert_eq!(set, variables_in_help(), "every variable --help lists is checked here, and only those");
}

/// `limit` requests a minute are served, the next one is a 429 with `Retry-After`.
async fn assert_rate_limited_after(tlswatch: &Tlswatch, limit: usize) {
    for request in 0..limit {
        assert_eq!(tlswatch.get("/api/v1/catalog").await.0, 200, "request {request} is within the limit");
    }
    let refused = tlswatch.response("/api/v1/catalog").await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().expect("seconds");
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
}

/// ana is let in by name, members of ops and sre by the groups header
/// `groups`, nobody else; the default groups header counts for nothing.
async fn assert_groups_from(tlswatch: &Tlswatch, user: &str, groups: &str) {
    let ask = async |who: &str, header: &str, teams: &str| {
        tlswatch.get_as("/api/v1/catalog", &[(user, who.to_string()), (header, teams.to_string())]).await
    };
    assert_eq!(ask("ana", groups, "").await.0, 200, "an allowed user");
    assert_eq!(ask("ben", groups, "dev, sre").await.0, 200, "a member of an allowed group");
    let answer = ask("ben", groups, "dev").await;
    assert_eq!(refusal(&answer), (403, Some("forbidden")), "no allowed group: {answer:?}");
    let answer = ask("cy", "X-Forwarded-Groups", "ops").await;
    assert_eq!(refusal(&answer), (403, Some("forbidden")), "groups only from the configured header: {answer:?}");
}

#[tokio::test]
async fn non_default_limits_and_groups_header_from_flags() {
    let tlswatch = Tlswatch::start(&[
        "--source",
        "demo",
        "--max-url-bytes",
        "1500",
        "--max-header-bytes",
        "3000",
        "--trusted-user-header",
        "X-Who",
        "--trusted-groups-header",
        "X-Squads",
        "--trusted-proxy",
        "127.0.0.1/32",
        "--allow-user",
        "ana",
        "--allow-group",
        "ops,sre",
    ]);
    assert_groups_from(&tlswatch, "X-Who", "X-Squads").await;
    // The limits apply before authentication: anonymous requests show them.
    assert_url_limit(&tlswatch, 1500).await;
    let over = get_with_header(&tlswatch, "/api/v1/catalog", "x-padding", &"p".repeat(3_100)).await;
    assert_eq!(over.status(), 431, "over --max-header-bytes 3000");
    let under = get_with_header(&tlswatch, "/api/v1/catalog", "x-who", "ana").await;
    assert_eq!(under.status(), 200);
}

#[tokio::test]
async fn max_upstream_calls_from_the_flag_keeps_one_call_in_flight() {
    let moto = Moto::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &["--max-upstream-calls", "1"]);
    assert_one_call_at_a_time(&tlswatch, &upstream, "from=now-1h").await;
}

#[tokio::test]
async fn without_region_aws_region_then_aws_default_region_then_us_east_1_is_served() {
    // (flags, AWS variables, the region served)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        (&[], &[("AWS_REGION", "eu-west-1"), ("AWS_DEFAULT_REGION", "ap-south-1")], "eu-west-1"),
        (&[], &[("AWS_DEFAULT_REGION", "ap-south-1")], "ap-south-1"),
        (&[], &[], "us-east-1"),
        (&["--region", "us-west-2"], &[("AWS_REGION", "eu-west-1")], "us-west-2"),
    ];
    // CloudWatch at a closed port: the catalog calls nothing (the demo has regions of its own).
    let closed = closed_endpoint();
    for (args, env, expected) in cases {
        let env: Vec<(&str, &OsStr)> = env.iter().map(|(name, value)| (*name, OsStr::new(*value))).collect();
        let source = ["--source", "cloudwatch", "--endpoint-url", &closed];
        let tlswatch = Tlswatch::start_with_env("127.0.0.1:0", &[&source[..], args].concat(), &env);
        let (status, catalog) = tlswatch.get("/api/v1/catalog").await;
        assert_eq!(status, 200);
        let served = (&catalog["regions"], &catalog["default_region"]);
        assert_eq!(served, (&json!([expected]), &json!(expected)), "{args:?} {env:?}");
    }
}

#[tokio::test]
async fn without_endpoint_url_the_sdks_per_service_endpoint_variable_is_used() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 2) * 3_600;
    moto.put(vec![tlswatch_tests::datum("TargetTLSNegotiationErrorCount", &[("LoadBalancer", LB)], start + 60, 4.0)])
        .await;
    // Every other service goes to a closed port: CloudWatch's own variable
    // must win over the general one for the series to come from moto.
    let closed = closed_endpoint();
    let env = [("AWS_ENDPOINT_URL", OsStr::new(&closed)), ("AWS_ENDPOINT_URL_CLOUDWATCH", OsStr::new(&moto.endpoint))];
    let tlswatch = Tlswatch::start_with_env("127.0.0.1:0", &["--source", "cloudwatch"], &env);
    let (status, body) =
        tlswatch.get(&format!("/api/v1/series?lb={LB}&period=3600&from={start}&to={}", start + 3_600)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["summary"]["total"], 4.0, "{body}");
}

#[tokio::test]
async fn one_account_flag_with_commas_is_several_accounts() {
    let closed = closed_endpoint();
    let roles = "payments=arn:aws:iam::111111111111:role/reader,audit=arn:aws:iam::444444444444:role/reader";
    let tlswatch = Tlswatch::start(&["--source", "cloudwatch", "--endpoint-url", &closed, "--account", roles]);
    let (status, catalog) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200);
    let accounts: Vec<(&str, &str)> = catalog["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|account| Some((account["name"].as_str()?, account["account_id"].as_str().unwrap_or("?"))))
        .collect();
    assert_eq!(accounts, [("default", "?"), ("payments", "111111111111"), ("audit", "444444444444")], "{catalog}");
}

#[tokio::test]
async fn sigint_stops_the_server_and_exits_zero() {
    let mut tlswatch = Tlswatch::start(&["--source", "demo"]);
    assert_eq!(tlswatch.response("/healthz").await.status(), 200);
    tlswatch.interrupt();
    let status = tokio::task::spawn_blocking(move || {
        let status = tlswatch.wait_exit(Duration::from_secs(20));
        (status, tlswatch.log())
    });
    let (status, log) = status.await.unwrap();
    assert_eq!(status.and_then(|status| status.code()), Some(0), "{log:?}");
    assert!(log.iter().any(|line| line.contains("shutting down")), "{log:?}");
    assert!(log.last().is_some_and(|line| line.contains("stopped")), "{log:?}");
}

#[tokio::test]
async fn a_page_without_a_built_frontend_is_a_503_frontend_missing() {
    let tlswatch = Tlswatch::start(&["--source", "demo", "--dist", "/nonexistent"]);
    for path in ["/", "/overview?range=now-1h", "/index.html"] {
        let response = tlswatch.response(path).await;
        assert_eq!(response.status(), 503, "{path}");
        let body: Value = response.json().await.expect("a JSON error");
        assert_eq!(body["error"]["code"], "frontend_missing", "{path}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("cargo xtask dist"), "says what to do: {body}");
    }
    assert_eq!(tlswatch.get("/api/v1/catalog").await.0, 200, "the API works without it");
}

/// A flag as `--help` or docs/deploy.md gives it: its variable and default.
#[derive(Debug, PartialEq, Eq)]
struct Flag {
    variable: Option<String>,
    default: Option<String>,
}

/// The flags `tlswatch --help` lists, but `--help` and `--version`.
fn flags_in_help() -> std::collections::BTreeMap<String, Flag> {
    let mut flags = std::collections::BTreeMap::new();
    let mut current: Option<String> = None;
    for raw in help().lines() {
        let line = raw.trim();
        // Flags are indented less than their descriptions, whose wrapped
        // lines may start with a flag's name too (`--allow-group`).
        let indent = raw.len() - raw.trim_start().len();
        if line.starts_with('-') && indent < 8 {
            let name = line.split([' ', ',']).find(|word| word.starts_with("--")).map(str::to_string);
            current = name.filter(|name| name != "--help" && name != "--version");
            if let Some(name) = &current {
                flags.insert(name.clone(), Flag { variable: None, default: None });
            }
        } else if let Some(flag) = current.as_ref().and_then(|name| flags.get_mut(name)) {
            let setting = |prefix: &str| line.strip_prefix(prefix).and_then(|rest| rest.strip_suffix(']'));
            if let Some(variable) = setting("[env: ") {
                flag.variable = variable.split('=').next().map(str::to_string);
            } else if let Some(default) = setting("[default: ") {
                flag.default = Some(default.to_string());
            }
        }
    }
    flags
}

/// The rows of docs/deploy.md's "Every flag" table: the flag, its variable,
/// and the first code span of its default (if any).
fn flags_in_deploy_md() -> std::collections::BTreeMap<String, Flag> {
    let deploy = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/deploy.md")).unwrap();
    let table = deploy.split_once("## Every flag").expect("docs/deploy.md has an \"Every flag\" table").1;
    let rows = table.lines().skip_while(|line| !line.starts_with('|')).take_while(|line| line.starts_with('|'));
    let first_code = |cell: &str| cell.split('`').nth(1).map(str::to_string);
    rows.skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
            let flag = first_code(cells[0]).and_then(|flag| flag.split(' ').next().map(str::to_string));
            let flag = flag.unwrap_or_else(|| panic!("a flag in {row}"));
            (flag, Flag { variable: first_code(cells[1]), default: cells.get(2).and_then(|cell| first_code(cell)) })
        })
        .collect()
}

#[test]
fn deploy_md_lists_every_flag_with_the_variable_and_default_help_gives() {
    let (help, documented) = (flags_in_help(), flags_in_deploy_md());
    let names = |flags: &std::collections::BTreeMap<String, Flag>| flags.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&documented), names(&help), "docs/deploy.md's flags are --help's");
    for (name, flag) in &help {
        let row = &documented[name];
        assert_eq!(row.variable, flag.variable, "{name}: the variable");
        if let Some(default) = &flag.default {
            assert_eq!(row.default.as_ref(), Some(default), "{name}: the default");
        }
    }
}
