//! Start-up refusals: a configuration tlswatch cannot serve safely or at all
//! stops it before it listens, with a message that names the flag to fix.

use std::path::PathBuf;

use tlswatch_tests::run_to_exit;

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlswatch-startup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, contents).unwrap();
    file
}

/// Runs tlswatch on the demo source and a loopback port of its choosing
/// (unless `args` say otherwise; another source gets a closed loopback
/// endpoint), and asserts that it refuses to start and
/// names `flag`.
fn assert_refused(args: &[&str], flag: &str) {
    refusal(args, &[flag]);
}

/// Runs tlswatch as [`assert_refused`] does and asserts that it refuses to
/// start with a message holding every one of `said`.
fn refusal(args: &[&str], said: &[&str]) {
    let mut all = Vec::new();
    if !args.contains(&"--source") {
        all.extend(["--source", "demo"]);
    }
    if !args.contains(&"--listen") {
        all.extend(["--listen", "127.0.0.1:0"]);
    }
    // Where a case names another source, CloudWatch is a loopback port nobody listens on.
    let closed = tlswatch_tests::closed_endpoint();
    all.extend(["--endpoint-url", &closed]);
    all.extend_from_slice(args);
    let (ok, stderr) = run_to_exit(&all);
    assert!(!ok, "{args:?}: tlswatch must not start");
    for words in said {
        assert!(stderr.contains(words), "{args:?}: the message says {words:?}: {stderr}");
    }
}

#[test]
fn unsafe_or_meaningless_flags_stop_start_up_with_a_message_naming_the_flag() {
    let cases: &[(&[&str], &str)] = &[
        // Documentation addresses: shared ones that this machine cannot bind
        // either, so nothing listens beyond loopback even if the refusal broke.
        (&["--listen", "192.0.2.1:0"], "--allow-unauthenticated"),
        (&["--listen", "[2001:db8::1]:0"], "--htpasswd"),
        (&["--listen", "not-an-address"], "--listen"),
        (&["--trusted-user-header", "X-Forwarded-User", "--trusted-proxy", "not-a-range"], "--trusted-proxy"),
        (&["--trusted-user-header", "X-Forwarded-User", "--trusted-proxy", "10.0.0.0/33"], "--trusted-proxy"),
        (&["--trusted-user-header", "X-Forwarded-User"], "--trusted-proxy"),
        (&["--trusted-user-header", "not a header", "--trusted-proxy", "127.0.0.1"], "--trusted-user-header"),
        (&["--allow-user", "ana"], "--allow-user"),
        (&["--allow-group", "ops"], "--allow-group"),
        (&["--cache-ttl", "0"], "--cache-ttl"),
        (&["--cache-ttl=-1"], "--cache-ttl"),
        (&["--cache-ttl", "NaN"], "--cache-ttl"),
        (&["--upstream-timeout", "0"], "--upstream-timeout"),
        (&["--upstream-timeout=-5"], "--upstream-timeout"),
        (&["--upstream-attempt-timeout", "0"], "--upstream-attempt-timeout"),
        (&["--region", "US_EAST_1"], "--region"),
        (&["--region", "us-east-1,mars"], "--region"),
        (&["--source", "nowhere"], "--source"),
        (&["--rate-limit=-5"], "--rate-limit"),
    ];
    for (args, flag) in cases {
        assert_refused(args, flag);
    }
}

#[test]
fn an_htpasswd_file_tlswatch_cannot_trust_stops_start_up() {
    let weak = temp_file("weak", "ana:$apr1$hTl2cXzA$ZnDqB1fWyChD5oT3Y6fJu/\nben:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n");
    let plain = temp_file("plain", "ana:secret\n");
    let empty = temp_file("empty", "# nobody yet\n");
    let missing = std::env::temp_dir().join("tlswatch-startup-no-such-file");
    for file in [&weak, &plain, &empty, &missing] {
        assert_refused(&["--htpasswd", file.to_str().unwrap()], "--htpasswd");
    }
    let (_, stderr) =
        run_to_exit(&["--source", "demo", "--listen", "127.0.0.1:0", "--htpasswd", weak.to_str().unwrap()]);
    assert!(stderr.contains("bcrypt"), "says which hashes are accepted: {stderr}");
}

#[test]
fn a_port_that_cannot_be_bound_stops_start_up() {
    // Held by this test for as long as tlswatch tries to listen on it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    assert_refused(&["--listen", &address], &address);
    assert_refused(&["--listen", &address], "--listen");
}

#[test]
fn configuration_that_would_start_quietly_wrong_is_refused_with_what_to_write_instead() {
    let hash = bcrypt::hash("secret", 4).unwrap();
    let good = temp_file("good", &format!("ana:{hash}\n"));
    let good = good.to_str().unwrap();
    // The last line would win: which password counts would depend on the order.
    let twice = temp_file("twice", &format!("ana:{hash}\nben:{hash}\nana:{hash}\n"));
    refusal(&["--htpasswd", twice.to_str().unwrap()], &["line 3", "\"ana\" is also on line 1", "one line per user"]);
    // A bcrypt prefix and garbage: nobody could ever log in as ana.
    let garbage = temp_file("garbage", "ana:$2b$04$garbage\n");
    refusal(&["--htpasswd", garbage.to_str().unwrap()], &["\"ana\"", "no password can match", "htpasswd -B"]);
    // Without the user header, the proxy's addresses would be trusted for nothing and nobody logs in.
    refusal(&["--trusted-proxy", "127.0.0.1"], &["--trusted-proxy", "--trusted-user-header NAME", "remove"]);
    refusal(&["--htpasswd", good, "--trusted-proxy", "10.0.0.0/8"], &["--trusted-user-header"]);
    for everything in ["0.0.0.0/0", "::/0"] {
        let args = ["--trusted-user-header", "X-Forwarded-User", "--trusted-proxy", everything];
        refusal(&args, &[everything, "every address", "the authenticating proxy's own addresses"]);
    }
    // htpasswd users have no groups: the flag would let nobody in.
    refusal(&["--htpasswd", good, "--allow-group", "ops"], &["--allow-group ops", "no groups", "--allow-user"]);
}

#[test]
fn metrics_settings_that_would_serve_nobody_or_everybody_are_refused() {
    let hash = bcrypt::hash("secret", 4).unwrap();
    let htpasswd = temp_file("metrics", &format!("ana:{hash}\n"));
    let htpasswd = htpasswd.to_str().unwrap();
    // A documentation address: not loopback, and not one this machine can bind.
    refusal(&["--metrics-listen", "192.0.2.1:0"], &["--metrics-listen 192.0.2.1:0", "loopback", "--metrics-readers"]);
    refusal(&["--metrics-readers", "prometheus"], &["--metrics-readers", "--htpasswd", "--trusted-user-header"]);
    refusal(&["--htpasswd", htpasswd, "--metrics-readers", "group:sre"], &["group:sre", "no groups"]);
    refusal(&["--htpasswd", htpasswd, "--metrics-readers", "team:sre"], &["\"team:sre\"", "group:NAME"]);
}
