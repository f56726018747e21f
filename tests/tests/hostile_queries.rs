//! Hostile and malformed queries: each gets its status and error code with a
//! JSON message that names what was wrong, and the server stays up.

use tlswatch_tests::{Moto, Tlswatch};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";

const INVALID: &str = "invalid_parameter";
const RANGE: &str = "invalid_range";
const REPEATED: &str = "repeated_parameter";
const UNKNOWN: &str = "unknown_parameter";

#[tokio::test]
async fn malformed_queries_are_refused_with_their_code_and_a_message_and_the_server_stays_up() {
    let moto = Moto::start();
    let tlswatch = Tlswatch::on_moto(&moto);
    // (query, the parameter at fault, the error code); every one is a 400.
    let cases: Vec<(String, &str, &str)> = vec![
        ("period=-60".into(), "period", INVALID),
        ("period=0".into(), "period", INVALID),
        ("period=61".into(), "period", INVALID),
        ("period=1e400".into(), "period", INVALID),
        ("period=NaN".into(), "period", INVALID),
        ("period=99999999999999999999999".into(), "period", INVALID),
        ("period=300.5".into(), "period", INVALID),
        ("stat=Median".into(), "stat", INVALID),
        ("stat=sum".into(), "stat", INVALID),
        ("stat=p0".into(), "stat", INVALID),
        ("stat=p100.5".into(), "stat", INVALID),
        ("from=now&to=now-1h".into(), "from", RANGE),
        ("from=now-1000d".into(), "from", RANGE),
        // `now+…` is no time tlswatch reads (the future is written as a time).
        ("to=now%2B1h".into(), "to", INVALID),
        ("from=2026-02-30T00:00:00Z".into(), "from", INVALID),
        ("from=99999999999999".into(), "from", INVALID),
        ("to=9999999999".into(), "to", RANGE),
        ("lb=app/edge%00alb/50dc6c495c0c9188".into(), "lb", INVALID),
        ("lb=%0d%0aSet-Cookie:x=1".into(), "lb", INVALID),
        (format!("lb={}", "a".repeat(300)), "lb", INVALID),
        ("lb=%ff%fe".into(), "lb", INVALID),
        ("lb=%E0%A4%A".into(), "lb", INVALID),
        ("lb=..%2F..%2Fetc%2Fpasswd".into(), "lb", INVALID),
        ("stat=Sum&stat=Maximum".into(), "stat", REPEATED),
        ("period=60&period=300".into(), "period", REPEATED),
        ("metric=CPUUtilization".into(), "metric", INVALID),
        ("metric=RequestCount".into(), "metric", INVALID),
        ("rate=on&stat=Maximum".into(), "rate", INVALID),
        ("rate=yes".into(), "rate", INVALID),
        ("region=mars-north-1".into(), "region", INVALID),
        ("region=eu-west-1".into(), "region", INVALID),
        ("fill=maybe".into(), "fill", INVALID),
        ("tz=utc&unknown=1".into(), "unknown", UNKNOWN),
        ("tz=Mars".into(), "tz", INVALID),
        ("refresh=1s".into(), "refresh", INVALID),
        ("tg=targetgroup/x/73e2d6bc24d8a067&metric=ClientTLSNegotiationErrorCount".into(), "tg", INVALID),
        ("az=us-east-1a;DROP TABLE".into(), "az", INVALID),
        (format!("from={}", "9".repeat(400)), "from", INVALID),
    ];
    let mut wrong = Vec::new();
    for (query, param, code) in &cases {
        let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={LB}&{query}")).await;
        let shown: String = query.chars().take(80).collect();
        let got = (status, body["error"]["code"].as_str().unwrap_or_default(), body["error"]["param"].as_str());
        if got != (400, *code, Some(*param)) {
            wrong.push(format!("{shown}: expected 400 {code} {param}, got {got:?}"));
            continue;
        }
        let message = body["error"]["message"].as_str().expect("a message");
        assert!(message.len() < 400, "{shown}: the message quotes a short excerpt only: {message}");
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
    assert!(wrong.is_empty(), "{} of {} cases answered otherwise:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    // Still serving.
    let (status, _) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200);
    let health = reqwest::get(format!("{}/healthz", tlswatch.url)).await.unwrap();
    assert_eq!(health.status(), 200);
}

/// The longest run of `c` in `text`.
fn longest_run(text: &str, c: char) -> usize {
    text.split(|other| other != c).map(str::len).max().unwrap_or(0)
}

#[tokio::test]
async fn messages_quote_at_most_64_characters_of_what_was_given() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={}", "a".repeat(300))).await;
    assert_eq!(status, 400);
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(longest_run(message, 'a'), 64, "64 characters of the value, no more: {message}");
    assert!(message.contains("(300 characters)"), "and how long it was: {message}");

    let key = "k".repeat(200);
    let (status, body) = tlswatch.get(&format!("/api/v1/series?{key}=1")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some(UNKNOWN)), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(longest_run(message, 'k'), 64, "64 characters of a parameter's name: {message}");
    assert_eq!(longest_run(body["error"]["param"].as_str().unwrap(), 'k'), 64, "and of `param`: {body}");
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
