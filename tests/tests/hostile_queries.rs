//! Hostile and malformed queries: each gets a 4xx with a JSON message that
//! names what was wrong, and the server stays up.

use tlswatch_tests::{Moto, Tlswatch};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";

#[tokio::test]
async fn malformed_queries_are_refused_with_a_message_and_the_server_stays_up() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_moto(&moto);
    let cases: Vec<(String, &str)> = vec![
        ("period=-60".into(), "period"),
        ("period=0".into(), "period"),
        ("period=61".into(), "period"),
        ("period=1e400".into(), "period"),
        ("period=NaN".into(), "period"),
        ("period=99999999999999999999999".into(), "period"),
        ("period=300.5".into(), "period"),
        ("stat=Median".into(), "stat"),
        ("stat=sum".into(), "stat"),
        ("stat=p0".into(), "stat"),
        ("stat=p100.5".into(), "stat"),
        ("from=now&to=now-1h".into(), "from"),
        ("from=now-1000d".into(), "from"),
        ("to=now%2B1h".into(), "to"),
        ("from=2026-02-30T00:00:00Z".into(), "from"),
        ("from=99999999999999".into(), "from"),
        ("to=9999999999".into(), "to"),
        ("lb=app/edge%00alb/50dc6c495c0c9188".into(), "lb"),
        ("lb=%0d%0aSet-Cookie:x=1".into(), "lb"),
        (format!("lb={}", "a".repeat(300)), "lb"),
        ("lb=%ff%fe".into(), "lb"),
        ("lb=%E0%A4%A".into(), "lb"),
        ("lb=..%2F..%2Fetc%2Fpasswd".into(), "lb"),
        ("stat=Sum&stat=Maximum".into(), "stat"),
        ("period=60&period=300".into(), "period"),
        ("metric=CPUUtilization".into(), "metric"),
        ("metric=RequestCount".into(), "metric"),
        ("rate=on&stat=Maximum".into(), "rate"),
        ("rate=yes".into(), "rate"),
        ("region=mars-north-1".into(), "region"),
        ("region=eu-west-1".into(), "region"),
        ("fill=maybe".into(), "fill"),
        ("tz=utc&unknown=1".into(), "unknown"),
        ("tz=Mars".into(), "tz"),
        ("refresh=1s".into(), "refresh"),
        ("tg=targetgroup/x/73e2d6bc24d8a067&metric=ClientTLSNegotiationErrorCount".into(), "tg"),
        ("az=us-east-1a;DROP TABLE".into(), "az"),
        (format!("from={}", "9".repeat(400)), "from"),
    ];
    for (query, param) in &cases {
        let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB}&{query}")).await;
        let shown: String = query.chars().take(80).collect();
        assert!((400..500).contains(&status), "{shown}: status {status}");
        assert_eq!(body["error"]["param"], *param, "{shown}: {body:.300}");
        let message = body["error"]["message"].as_str().expect("a message");
        assert!(message.len() < 1_000, "{shown}: the message quotes a short excerpt only");
        assert!(
            message.contains("expected")
                || message.contains("accepted")
                || message.contains("must")
                || message.contains("may")
                || message.contains("at most")
                || message.contains("configured")
                || message.contains("published")
                || message.contains("more than once"),
            "{shown}: the message says what is accepted: {message}"
        );
    }
    // Still serving.
    let (status, _) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200);
    let health = reqwest::get(format!("{}/healthz", tlswatch.url)).await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn oversized_urls_are_refused_and_the_server_stays_up() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_moto(&moto);
    // Over tlswatch's URL limit: the API refuses it with a JSON message.
    let (status, body) = tlswatch.raw_get(&format!("/api/v1/series?lb={}", "a".repeat(60 * 1024)));
    assert_eq!(status, 414);
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(body["error"]["code"], "uri_too_long");
    assert!(body["error"]["message"].as_str().unwrap().contains("8192"));
    // A 100 KB value is over what HTTP itself carries (64 KiB request targets):
    // refused before it reaches the API.
    let (status, _) = tlswatch.raw_get(&format!("/api/v1/series?lb={}", "a".repeat(100 * 1024)));
    assert!((400..500).contains(&status), "status {status}");
    let (status, _) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200, "still serving");
}

#[tokio::test]
async fn unknown_api_routes_are_json_404s() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_moto(&moto);
    for path in ["/api/v1/nope", "/api/v2/series", "/api"] {
        let (status, body) = tlswatch.get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
}
