//! What one request may cost, as configured on the command line: the size of
//! its header section, the series and points of a view, the size of its
//! answer, and the memory of the views built at once.

use std::time::{Duration, Instant};

use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch};

const LBS: [&str; 4] = [
    "app/alb-a/50dc6c495c0c9181",
    "app/alb-b/50dc6c495c0c9182",
    "app/alb-c/50dc6c495c0c9183",
    "app/alb-d/50dc6c495c0c9184",
];

fn view_of(lbs: &[&str], rest: &str) -> String {
    let lbs: Vec<String> = lbs.iter().map(|lb| format!("lb={lb}")).collect();
    format!("/api/v1/series?{}&{rest}", lbs.join("&"))
}

#[tokio::test]
async fn a_header_section_over_the_limit_is_a_431_and_the_server_keeps_serving() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/api/v1/catalog", tlswatch.url))
        .header("x-padding", "p".repeat(20_000))
        .send()
        .await
        .expect("tlswatch answers");
    assert_eq!(response.status(), 431);
    let body: serde_json::Value = response.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "headers_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("16384"), "names the limit: {body}");

    let response = client.get(format!("{}/api/v1/catalog", tlswatch.url)).header("x-padding", "p".repeat(10_000));
    assert_eq!(response.send().await.unwrap().status(), 200, "a header section under the limit is served");
}

#[tokio::test]
async fn max_series_and_max_points_from_the_command_line_refuse_bigger_views() {
    let tlswatch = Tlswatch::start(&["--source", "demo", "--max-series", "3", "--max-points", "100"]);
    // The catalog says the limits the server applies.
    let (_, catalog) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(
        (catalog["limits"]["max_series"].as_u64(), catalog["limits"]["max_points"].as_u64()),
        (Some(3), Some(100))
    );

    // Well-formed views over this server's limits: 422, naming the flag.
    let (status, body) = tlswatch.get(&view_of(&LBS, "period=3600&from=now-24h")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("too_many_series")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("at most 3") && message.contains("--max-series"), "{body}");

    // One series of 120 (or 121) one-minute buckets: five-minute buckets fit.
    let (status, body) = tlswatch.get(&view_of(&LBS[..1], "period=60&from=now-2h")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("too_many_points")), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("at most 100") && message.contains("--max-points"), "{body}");
    assert!(message.contains("use period=300 or longer"), "names a view that fits: {body}");
    let (status, body) = tlswatch.get(&view_of(&LBS[..1], "period=300&from=now-2h")).await;
    assert_eq!(status, 200, "the suggested period is served: {body}");

    // Three series of 24 (or 25) hourly buckets: within both limits.
    let (status, body) = tlswatch.get(&view_of(&LBS[..3], "period=3600&from=now-24h")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["series"].as_array().unwrap().len(), 3);
}

/// The error code and parameter of a refused view, or the status of a served one.
async fn outcome(tlswatch: &Tlswatch, query: &str) -> String {
    let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    match status {
        200 => "served".to_string(),
        _ => format!("{status} {} {}", body["error"]["code"].as_str().unwrap_or("?"), body["error"]["param"]),
    }
}

fn many(param: &str, count: usize, value: impl Fn(usize) -> String) -> String {
    (0..count).map(|index| format!("{param}={}", value(index))).collect::<Vec<_>>().join("&")
}

#[tokio::test]
async fn the_catalogs_limits_and_retention_are_what_the_api_applies() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let (status, catalog) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200);
    let limits = &catalog["limits"];
    let limit = |name: &str| limits[name].as_u64().unwrap_or_else(|| panic!("limits.{name}: {limits}")) as usize;
    let lb = |index: usize| format!("app/alb-{index}/50dc6c495c0c{index:04x}");
    let tg = |index: usize| format!("targetgroup/tg-{index}/73e2d6bc24d8{index:04x}");
    let az = |index: usize| format!("us-east-1{}", char::from(b'a' + index as u8));
    let hour = "period=300&from=now-1h";

    // As many load balancers, target groups and zones as the catalog says; one more is refused.
    for (param, value) in [("lb", &lb as &dyn Fn(usize) -> String), ("tg", &tg), ("az", &az)] {
        let most = limit(match param {
            "lb" => "max_load_balancers",
            "tg" => "max_target_groups",
            _ => "max_availability_zones",
        });
        let base = if param == "lb" { String::new() } else { format!("lb={}&", lb(0)) };
        let at = format!("{base}{}&{hour}", many(param, most, value));
        assert_eq!(outcome(&tlswatch, &at).await, "served", "{most} of {param}");
        let over = format!("{base}{}&{hour}", many(param, most + 1, value));
        assert_eq!(
            outcome(&tlswatch, &over).await,
            format!("400 invalid_parameter \"{param}\""),
            "{} of {param}",
            most + 1
        );
    }

    // A value of max_value_chars is judged on its merits; one character more is refused for its length.
    let chars = limit("max_value_chars");
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={}&tz={}", lb(0), "x".repeat(chars))).await;
    assert_eq!(status, 400);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(!message.contains(&format!("at most {chars} characters")), "not refused for its length: {message}");
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={}&tz={}", lb(0), "x".repeat(chars + 1))).await;
    assert_eq!(status, 400);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("at most {chars} characters")), "{message}");

    // A range of max_range_seconds is served, a day longer is not; `to` may be max_future_seconds ahead.
    let range = limit("max_range_seconds") as i64;
    let end = tlswatch_tests::now().div_euclid(3_600) * 3_600;
    let at = format!("lb={}&from={}&to={end}", lb(0), end - range);
    assert_eq!(outcome(&tlswatch, &at).await, "served");
    let over = format!("lb={}&from={}&to={end}", lb(0), end - range - 86_400);
    assert_eq!(outcome(&tlswatch, &over).await, "400 invalid_range \"from\"");
    let future = limit("max_future_seconds") as i64;
    let now = tlswatch_tests::now();
    let ahead = |seconds: i64| format!("lb={}&from={}&to={}", lb(0), now - 3_600, now + seconds);
    assert_eq!(outcome(&tlswatch, &ahead(future - 60)).await, "served");
    assert_eq!(outcome(&tlswatch, &ahead(future + 120)).await, "400 invalid_range \"to\"");

    // Each retention rule: a one-minute period on data a day older than the rule is raised to its multiple.
    let rules = catalog["retention"].as_array().expect("retention rules");
    assert!(rules.len() >= 2, "{rules:?}");
    for rule in rules {
        let (older_than, multiple) = (rule["older_than"].as_i64().unwrap(), rule["period_multiple"].as_u64().unwrap());
        let from = now - older_than - 86_400;
        let (status, body) =
            tlswatch.get(&format!("/api/v1/series?lb={}&period=60&from={from}&to={}", lb(0), from + 6 * 3_600)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["period"], multiple, "data older than {older_than} s is kept at multiples of {multiple} s");
        let raised = body["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("period raised"));
        assert_eq!(raised, multiple > 60, "a raised period is said: {body}");
    }
}

#[tokio::test]
async fn an_answer_over_max_answer_mib_is_a_422_naming_a_period_that_fits() {
    let tlswatch = Tlswatch::start(&["--source", "demo", "--max-answer-mib", "1"]);
    // Ten series of a week of one-minute buckets: 100,800 points, well over 1 MiB of JSON.
    let lbs: Vec<String> = (0..10).map(|index| format!("app/alb-{index}/50dc6c495c0c{index:04x}")).collect();
    let lbs: Vec<&str> = lbs.iter().map(String::as_str).collect();
    let (status, body) = tlswatch.get(&view_of(&lbs, "period=60&from=now-7d")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("answer_too_large")), "{body:.300}");
    assert_eq!(body["error"]["param"], "period");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("at most 1048576") && message.contains("--max-answer-mib"), "{message}");
    let period = message
        .split("use period=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("names a period that fits: {message}"));
    let response = tlswatch.response(&view_of(&lbs, &format!("period={period}&from=now-7d"))).await;
    assert_eq!(response.status(), 200, "the suggested period is served");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.len() <= 1 << 20, "and fits: {} bytes", bytes.len());

    let (ok, log) =
        tlswatch_tests::run_to_exit(&["--source", "demo", "--listen", "127.0.0.1:0", "--max-answer-mib", "0"]);
    assert!(!ok && log.contains("--max-answer-mib: 0 would refuse every view"), "{log}");
}

/// Twenty load balancers times five target groups of one-minute buckets
/// over 83 hours: about 498,000 points, just under the default
/// `--max-points`, and more than the whole memory budget of `--cache-mib 8`.
fn heavy_view(variant: usize) -> String {
    let lbs: Vec<String> = (0..20).map(|index| format!("lb=app/alb-{index}/50dc6c495c0c{index:04x}")).collect();
    let tgs: Vec<String> =
        (0..5).map(|index| format!("tg=targetgroup/tg-{variant}-{index}/73e2d6bc24d8{index:04x}")).collect();
    format!("/api/v1/series?{}&{}&period=60&from=now-83h", lbs.join("&"), tgs.join("&"))
}

#[tokio::test]
async fn a_view_waits_for_room_in_the_memory_budget_and_is_refused_as_busy_after_the_wait() {
    let moto = Moto::start();
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &["--cache-mib", "8"]);
    upstream.behave(Behaviour::Hold);

    // The heavy view takes the whole budget and is held at CloudWatch.
    let heavy = tlswatch.send_together(&heavy_view(0), 1).await;
    upstream.until_called("GetMetricData", 1).await;
    // A small view meanwhile waits for room, then is told to come back.
    let started = Instant::now();
    let response = tlswatch.response(&view_of(&LBS[..1], "period=300&from=now-1h")).await;
    let waited = started.elapsed();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("16 MiB"), "names the budget: {body}");
    assert!(waited >= Duration::from_secs(9), "it waited for room first: {waited:?}");

    upstream.release();
    let answers = heavy.answers().await;
    assert_eq!(answers[0].0, 200, "the heavy view is served: {:.300}", answers[0].1);
    assert_eq!(answers[0].1["series"].as_array().unwrap().len(), 100);
    let (status, body) = tlswatch.get(&view_of(&LBS[..1], "period=300&from=now-1h")).await;
    assert_eq!(status, 200, "room again once it is written: {body}");
}

#[tokio::test]
async fn many_large_views_at_once_keep_the_process_within_its_memory_bound() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &["--cache-mib", "8"]);
    // The review's 28 MB view (its 13 days at one minute) is refused at once, with one that fits.
    let (status, body) = tlswatch.get(&heavy_view(0).replace("from=now-83h", "from=now-13d")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("too_many_points")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("use period=300 or longer"), "{body}");
    let before = tlswatch.peak_resident_mib();
    let client = reqwest::Client::new();
    let views = (0..32).map(|variant| {
        let (client, url) = (client.clone(), format!("{}{}", tlswatch.url, heavy_view(variant)));
        async move {
            let response = client.get(url).send().await.expect("tlswatch answers");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.expect("a JSON answer");
            (status, body)
        }
    });
    let answers = futures::future::join_all(views).await;
    let peak = tlswatch.peak_resident_mib();
    let served = answers.iter().filter(|(status, _)| *status == 200).count();
    for (status, body) in &answers {
        match status {
            200 => assert_eq!(body["series"].as_array().unwrap().len(), 100),
            503 => assert_eq!(body["error"]["code"], "busy", "{body}"),
            _ => panic!("only served or busy: {status} {body:.300}"),
        }
    }
    println!(
        "32 views of 498,000 points with --cache-mib 8: {served} served, peak resident {peak:.0} MiB (at start {before:.0} MiB)"
    );
    assert!(served >= 1, "at least the first view is built");
    // The bound deploy.md states: above the idle process, the cache (8 MiB),
    // the budget of the views being built (16 MiB, the least) and 32 MiB.
    let bound = 8.0 + 16.0 + 32.0;
    assert!(peak - before <= bound, "peak {peak:.0} MiB from {before:.0} MiB at start, over {bound} MiB more");
}

#[tokio::test]
async fn many_small_headers_within_the_byte_limit_are_served_and_over_it_refused_as_json() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let client = reqwest::Client::new();
    // 300 header lines of 20 bytes each: three times hyper's default count, within 16,384 bytes.
    let mut many = client.get(format!("{}/api/v1/catalog", tlswatch.url));
    for index in 0..300 {
        many = many.header(format!("x-h{index:03}"), "vvvvvvvvvvvv");
    }
    let response = many.send().await.expect("tlswatch answers");
    assert_eq!(response.status(), 200, "a request within --max-header-bytes is served whatever its line count");
    // 1,200 such lines are over the byte limit: the JSON 431 every refusal has.
    let mut over = client.get(format!("{}/api/v1/catalog", tlswatch.url));
    for index in 0..1_200 {
        over = over.header(format!("x-h{index:04}"), "vvvvvvvvvvv");
    }
    let response = over.send().await.expect("tlswatch answers");
    assert_eq!(response.status(), 431);
    let body: serde_json::Value = response.json().await.expect("a JSON error, not hyper's bare 431");
    assert_eq!(body["error"]["code"], "headers_too_large", "{body}");
}

/// Reads one HTTP/1.1 answer of `stream`: its head, and the body its
/// `content-length` gives.
fn read_answer(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut byte = [0u8; 1];
    while !bytes.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).expect("an answer"), 1, "the answer ended in its head: {bytes:?}");
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("a content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("the body");
    (head, body)
}

#[test]
fn heads_too_long_for_the_http_layer_get_the_json_refusal_on_a_keep_alive_connection() {
    use std::io::Write;
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let over = [
        // A request target past the 64 KiB hyper takes.
        (
            format!("GET /api/v1/series?lb={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "a".repeat(70_000)),
            414,
            "uri_too_long",
        ),
        // A header section past the read buffer hyper refuses with its own 431.
        (
            format!(
                "GET /api/v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n",
                (0..3).map(|n| format!("X-Pad-{n}: {}\r\n", "p".repeat(200_000))).collect::<String>()
            ),
            431,
            "headers_too_large",
        ),
        // More header lines than hyper is set to parse.
        (
            format!(
                "GET /api/v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n{}\r\n",
                (0..4_000).map(|n| format!("X-{n}: v\r\n")).collect::<String>()
            ),
            431,
            "headers_too_large",
        ),
    ];
    for (request, status, code) in over {
        let mut stream = std::net::TcpStream::connect(tlswatch.address()).expect("tlswatch accepts connections");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout");
        // A first request with a body: the measure of the next head starts after it.
        // One write, so that the body arrives with the head: /healthz does not
        // read bodies, and hyper closes a connection whose body is still to come.
        let body = "hello";
        let first = format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        stream.write_all(first.as_bytes()).expect("sent");
        let (head, answer) = read_answer(&mut stream);
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert_eq!(answer, b"ok");

        stream.write_all(request.as_bytes()).expect("sent");
        let (head, answer) = read_answer(&mut stream);
        assert!(head.starts_with(&format!("http/1.1 {status}")), "{head}");
        for header in ["content-type: application/json", "x-content-type-options: nosniff", "connection: close"] {
            assert!(head.contains(header), "the refusal has {header:?} as every other: {head}");
        }
        let answer: serde_json::Value = serde_json::from_slice(&answer).expect("a JSON error, not a bare refusal");
        assert_eq!(answer["error"]["code"], code, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains("at most"), "says what is accepted: {answer}");
    }
    let (status, _) = tlswatch.raw_get("/api/v1/catalog");
    assert_eq!(status, 200, "the server keeps serving");
}
