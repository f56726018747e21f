//! Who may use the built binary: start-up refusal without authentication on
//! a shared address, HTTP Basic against htpasswd, and a trusted proxy header;
//! one identity per request; the rate limit per user; `/metrics` for
//! operators only.

use argon2::PasswordHasher;
use argon2::password_hash::SaltString;
use tlswatch_tests::{Tlswatch, basic, run_to_exit, temp_file};

async fn status(url: &str, headers: &[(&str, String)]) -> (u16, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("tlswatch answers");
    (response.status().as_u16(), response.headers().clone())
}

#[test]
fn a_shared_address_without_authentication_is_refused_at_start_up() {
    // A documentation address: shared, and not one this machine can bind.
    let (ok, stderr) = run_to_exit(&["--listen", "192.0.2.1:0", "--source", "demo"]);
    assert!(!ok, "tlswatch must not start");
    for hint in ["--htpasswd", "--trusted-user-header", "--allow-unauthenticated", "TLSWATCH_HTPASSWD"] {
        assert!(stderr.contains(hint), "the message names {hint}: {stderr}");
    }
}

#[tokio::test]
async fn allow_unauthenticated_starts_on_a_shared_address() {
    // Loopback written as an IPv4-mapped IPv6 address: tlswatch counts it as
    // a shared address, yet only this machine can reach it.
    let address = "[::ffff:127.0.0.1]:0";
    let (ok, stderr) = run_to_exit(&["--listen", address, "--source", "demo"]);
    assert!(!ok, "{address} counts as shared: refused without the flag");
    assert!(stderr.contains("refusing to serve") && stderr.contains("without authentication"), "says why: {stderr}");
    assert!(stderr.contains("--allow-unauthenticated"), "names the flag that overrides it: {stderr}");
    let tlswatch = Tlswatch::start_listening(address, &["--source", "demo", "--allow-unauthenticated"]);
    let port = tlswatch.url.rsplit(':').next().unwrap();
    let (code, _) = status(&format!("http://127.0.0.1:{port}/api/v1/catalog"), &[]).await;
    assert_eq!(code, 200);
    let (code, metrics) = metrics_text(&format!("http://127.0.0.1:{port}"), &[]).await;
    assert_eq!(code, 403, "nobody logs in on a shared address: /metrics is not served to everyone there: {metrics}");
    // The warning is logged before "listening on", so it is in the log by now.
    let warned: Vec<String> = tlswatch.log().into_iter().filter(|line| line.contains("WARN")).collect();
    assert!(
        warned.iter().any(|line| line.contains("serving without authentication (--allow-unauthenticated)")),
        "the start is logged as a warning: {warned:?}"
    );
}

#[tokio::test]
async fn on_loopback_no_warning_is_logged() {
    let tlswatch = Tlswatch::start(&["--source", "demo", "--allow-unauthenticated", "--dist", "/nonexistent"]);
    let log = tlswatch.log();
    assert!(!log.iter().any(|line| line.contains("without authentication")), "loopback is not shared: {log:?}");
}

#[test]
fn weak_htpasswd_hashes_are_refused_at_start_up() {
    let file = temp_file("weak", "ana:$apr1$hTl2cXzA$ZnDqB1fWyChD5oT3Y6fJu/\n");
    let (ok, stderr) =
        run_to_exit(&["--listen", "127.0.0.1:0", "--source", "demo", "--htpasswd", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("bcrypt") && stderr.contains("ana"), "{stderr}");
}

#[tokio::test]
async fn htpasswd_lets_in_bcrypt_and_argon2_users_and_refuses_the_rest() {
    let bcrypt = bcrypt::hash("ana's secret", 6).unwrap();
    let salt = SaltString::from_b64("dGxzd2F0Y2h0ZXN0c2FsdA").unwrap();
    let argon2 = argon2::Argon2::default().hash_password(b"ben's secret", &salt).unwrap().to_string();
    let file = temp_file("htpasswd", &format!("# the team\nana:{bcrypt}\nben:{argon2}\ncy:{bcrypt}\n"));
    let tlswatch = Tlswatch::start(&[
        "--source",
        "demo",
        "--htpasswd",
        file.to_str().unwrap(),
        "--allow-user",
        "ana",
        "--allow-user",
        "ben",
    ]);
    let url = format!("{}/api/v1/catalog", tlswatch.url);

    let (code, headers) = status(&url, &[]).await;
    assert_eq!(code, 401, "no credentials");
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(status(&url, &[("authorization", basic("ana", "wrong"))]).await.0, 401, "wrong password");
    assert_eq!(status(&url, &[("authorization", basic("nobody", "ana's secret"))]).await.0, 401, "unknown user");
    assert_eq!(status(&url, &[("authorization", "Basic ???".to_string())]).await.0, 401, "malformed");
    assert_eq!(status(&url, &[("authorization", basic("ana", "ana's secret"))]).await.0, 200, "bcrypt user");
    assert_eq!(status(&url, &[("authorization", basic("ben", "ben's secret"))]).await.0, 200, "argon2 user");
    assert_eq!(status(&url, &[("authorization", basic("cy", "ana's secret"))]).await.0, 403, "not an allowed user");
    assert_eq!(status(&format!("{}/healthz", tlswatch.url), &[]).await.0, 200, "health needs no login");
}

#[tokio::test]
async fn a_trusted_header_is_believed_only_from_the_trusted_proxy() {
    let through_proxy = Tlswatch::start(&[
        "--source",
        "demo",
        "--trusted-user-header",
        "X-Forwarded-User",
        "--trusted-proxy",
        "127.0.0.1/32",
    ]);
    let url = format!("{}/api/v1/catalog", through_proxy.url);
    assert_eq!(status(&url, &[("x-forwarded-user", "ana".to_string())]).await.0, 200);
    assert_eq!(status(&url, &[]).await.0, 403, "the proxy must name the user");

    let elsewhere = Tlswatch::start(&[
        "--source",
        "demo",
        "--trusted-user-header",
        "X-Forwarded-User",
        "--trusted-proxy",
        "10.0.0.0/8",
    ]);
    let url = format!("{}/api/v1/catalog", elsewhere.url);
    assert_eq!(status(&url, &[("x-forwarded-user", "ana".to_string())]).await.0, 403, "a spoofed header");
}

/// The status and body of `/metrics` at `base` with `headers`.
async fn metrics_text(base: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{base}/metrics"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("tlswatch answers");
    (response.status().as_u16(), response.text().await.expect("a body"))
}

/// A user's headers as the authenticating proxy at 127.0.0.1 sends them.
fn through_proxy(user: &str, groups: &str) -> Vec<(&'static str, String)> {
    vec![("x-forwarded-user", user.to_string()), ("x-forwarded-groups", groups.to_string())]
}

fn trusted_header_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args =
        vec!["--source", "demo", "--trusted-user-header", "X-Forwarded-User", "--trusted-proxy", "127.0.0.1"];
    args.extend_from_slice(extra);
    args
}

#[tokio::test]
async fn the_rate_limit_counts_each_user_behind_one_proxy_and_never_health() {
    // Every request comes from the proxy's one address, as behind oauth2-proxy.
    let tlswatch = Tlswatch::start(&trusted_header_args(&["--rate-limit", "3"]));
    let catalog = async |user: &str| tlswatch.get_as("/api/v1/catalog", &through_proxy(user, "")).await;
    for request in 0..3 {
        assert_eq!(catalog("ana").await.0, 200, "ana's request {request} is within the limit");
    }
    let (code, refused) = catalog("ana").await;
    assert_eq!((code, refused["error"]["code"].as_str()), (429, Some("rate_limited")), "{refused}");
    assert_eq!(catalog("ben").await.0, 200, "ana's burst leaves ben's budget alone");
    for _ in 0..10 {
        assert_eq!(status(&format!("{}/healthz", tlswatch.url), &[]).await.0, 200, "/healthz is never limited");
    }
}

#[tokio::test]
async fn password_guesses_are_limited_per_address_and_a_logged_in_user_keeps_going() {
    let hash = bcrypt::hash("ana's secret", 4).unwrap();
    let file = temp_file("guessed-htpasswd", &format!("ana:{hash}\n"));
    let tlswatch = Tlswatch::start(&["--source", "demo", "--htpasswd", file.to_str().unwrap(), "--rate-limit", "3"]);
    let url = format!("{}/api/v1/catalog", tlswatch.url);
    let ana = [("authorization", basic("ana", "ana's secret"))];
    assert_eq!(status(&url, &ana).await.0, 200, "ana logs in: one password check");
    for guess in ["a", "b"] {
        assert_eq!(status(&url, &[("authorization", basic("ana", guess))]).await.0, 401);
    }
    let (code, headers) = status(&url, &[("authorization", basic("ana", "c"))]).await;
    assert_eq!(code, 429, "a fourth password check a minute from one address");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(status(&url, &ana).await.0, 200, "ana's verified login is not checked again, and her own budget holds");
}

#[tokio::test]
async fn a_request_with_two_identity_groups_or_authorization_headers_is_a_400() {
    let behind_proxy = Tlswatch::start(&trusted_header_args(&["--allow-group", "sre"]));
    let ambiguous = |answer: &(u16, serde_json::Value), header: &str| {
        let (code, body) = answer;
        assert_eq!((*code, body["error"]["code"].as_str()), (400, Some("ambiguous_identity")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&format!("2 {header} headers")), "{body}");
    };
    assert_eq!(behind_proxy.get_as("/api/v1/catalog", &through_proxy("ana", "sre")).await.0, 200);
    let two_users = [through_proxy("eve", "sre"), vec![("x-forwarded-user", "ana".to_string())]].concat();
    ambiguous(&behind_proxy.get_as("/api/v1/catalog", &two_users).await, "x-forwarded-user");
    let two_groups = [through_proxy("eve", "dev"), vec![("x-forwarded-groups", "sre".to_string())]].concat();
    ambiguous(&behind_proxy.get_as("/api/v1/catalog", &two_groups).await, "x-forwarded-groups");

    let hash = bcrypt::hash("ana's secret", 4).unwrap();
    let file = temp_file("ambiguous-htpasswd", &format!("ana:{hash}\n"));
    let with_passwords = Tlswatch::start(&["--source", "demo", "--htpasswd", file.to_str().unwrap()]);
    let (good, bad) = (basic("ana", "ana's secret"), basic("ana", "wrong"));
    for pair in [[good.clone(), bad.clone()], [bad, good]] {
        let headers: Vec<(&str, String)> = pair.into_iter().map(|value| ("authorization", value)).collect();
        ambiguous(&with_passwords.get_as("/api/v1/catalog", &headers).await, "authorization");
    }
}

#[tokio::test]
async fn metrics_are_served_to_operators_only() {
    let hash = bcrypt::hash("secret", 4).unwrap();
    let file = temp_file("metrics-htpasswd", &format!("ana:{hash}\nprometheus:{hash}\n"));
    let htpasswd = file.to_str().unwrap();
    let with_passwords =
        Tlswatch::start(&["--source", "demo", "--htpasswd", htpasswd, "--metrics-readers", "prometheus"]);
    let as_user = |user: &str| vec![("authorization", basic(user, "secret"))];
    let (code, refused) = metrics_text(&with_passwords.url, &as_user("ana")).await;
    assert_eq!(code, 403, "a reader who is no operator: {refused}");
    let refused: serde_json::Value = serde_json::from_str(&refused).expect("a JSON error");
    assert_eq!(refused["error"]["code"], "forbidden");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("--metrics-readers") && message.contains("--metrics-listen"), "{message}");
    let (code, metrics) = metrics_text(&with_passwords.url, &as_user("prometheus")).await;
    assert_eq!(code, 200);
    assert!(metrics.contains("tlswatch_http_requests_total"), "{metrics:.300}");

    // Behind a proxy: users and groups.
    let behind_proxy = Tlswatch::start(&trusted_header_args(&["--metrics-readers", "group:sre,user:carol"]));
    for (user, groups, expected) in
        [("dee", "dev, sre", 200), ("carol", "", 200), ("eve", "dev", 403), ("sre", "", 403)]
    {
        let (code, _) = metrics_text(&behind_proxy.url, &through_proxy(user, groups)).await;
        assert_eq!(code, expected, "{user} in {groups:?}");
    }

    // Its own loopback listener, without login; none on --listen.
    let own_listener =
        Tlswatch::start(&["--source", "demo", "--htpasswd", htpasswd, "--metrics-listen", "127.0.0.1:0"]);
    let listener = own_listener.metrics_listener();
    assert_ne!(listener, own_listener.url);
    assert_eq!(status(&format!("{}/api/v1/catalog", own_listener.url), &as_user("ana")).await.0, 200);
    let (code, metrics) = metrics_text(&listener, &[]).await;
    assert_eq!(code, 200);
    assert!(metrics.contains("route=\"/api/v1/catalog\",status=\"200\""), "{metrics:.600}");
    assert_eq!(metrics_text(&own_listener.url, &as_user("prometheus")).await.0, 403, "no --metrics-readers");
    let (code, headers) = status(&format!("{listener}/api/v1/catalog"), &[]).await;
    assert_eq!(code, 404, "the metrics listener serves /metrics only");
    assert_eq!(headers["x-frame-options"], "DENY");
}
