//! Who may use the built binary: start-up refusal without authentication on
//! a shared address, HTTP Basic against htpasswd, and a trusted proxy header.

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
