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
