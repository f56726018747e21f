//! What one request may cost, as configured on the command line: the size of
//! its header section, and the series and points of a view.

use tlswatch_tests::Tlswatch;

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

    let (status, body) = tlswatch.get(&view_of(&LBS, "period=3600&from=now-24h")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("too_many_series")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("at most 3"), "{body}");

    // One series of 120 (or 121) one-minute buckets.
    let (status, body) = tlswatch.get(&view_of(&LBS[..1], "period=60&from=now-2h")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("too_many_points")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("at most 100"), "{body}");

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
