//! Several AWS accounts against moto's server: the proxy's own identity and
//! a role assumed through STS (moto files data put with the role's
//! credentials under the role's account and keeps it apart), in two
//! regions. The overview ranks every load balancer under its account and
//! region; `account=` views see only that account, whose answers are never
//! served to another; readers of one account never see the other; and an
//! account whose role is refused, or whose CloudWatch throttles, is an
//! error scope beside the others.

use serde_json::Value;
use tlswatch_tests::upstream::{Behaviour, GET_METRIC_DATA, TestUpstream};
use tlswatch_tests::{DEFAULT_ACCOUNT_ID, Moto, Tlswatch, basic, datum, now, temp_file};

const METRIC: &str = "TargetTLSNegotiationErrorCount";
const OTHER_REGION: &str = "eu-west-1";
const PAYMENTS_ID: &str = "111111111111";
const PAYMENTS_ROLE: &str = "arn:aws:iam::111111111111:role/tlswatch-reader";
const LEGACY_ROLE: &str = "arn:aws:iam::222222222222:role/tlswatch-reader";
/// In both accounts, with different data: a cache keyed without the
/// account would serve one account's answer for the other.
const SHARED_LB: &str = "app/shared-alb/50dc6c495c0c9188";
const EDGE_LB: &str = "app/edge-alb/1a2b3c4d5e6f7a8b";
const EU_LB: &str = "app/eu-alb/2b3c4d5e6f7a8b9c";
const PAY_LB: &str = "app/pay-alb/3c4d5e6f7a8b9c0d";

/// A six-hour range that ended an hour ago, on five-minute boundaries
/// (moto labels buckets from the end of the range): its query and start.
fn range() -> (String, i64) {
    let end = (now() - 3_600) / 300 * 300;
    let start = end - 6 * 3_600;
    (format!("from={start}&to={end}"), start)
}

/// One datapoint of `lb` per value, a quarter of an hour apart from ten minutes after `start`.
async fn put_errors(moto: &Moto, role: Option<&str>, region: &str, lb: &str, start: i64, values: &[f64]) {
    let data = values
        .iter()
        .enumerate()
        .map(|(bucket, &value)| datum(METRIC, &[("LoadBalancer", lb)], start + 600 + bucket as i64 * 900, value))
        .collect();
    match role {
        Some(role) => moto.put_as(role, region, data).await,
        None => moto.put_in(region, data).await,
    }
}

/// Two accounts (default and payments) in two regions, each with data.
async fn two_accounts(moto: &Moto, start: i64) {
    put_errors(moto, None, tlswatch_tests::REGION, SHARED_LB, start, &[3.0, 4.0]).await;
    put_errors(moto, None, tlswatch_tests::REGION, EDGE_LB, start, &[5.0]).await;
    put_errors(moto, None, OTHER_REGION, EU_LB, start, &[1.0]).await;
    put_errors(moto, Some(PAYMENTS_ROLE), tlswatch_tests::REGION, SHARED_LB, start, &[30.0, 20.0]).await;
    put_errors(moto, Some(PAYMENTS_ROLE), OTHER_REGION, PAY_LB, start, &[12.0, 8.0, 0.0]).await;
}

/// `(account, region, load balancer name, total)` of each overview row, in order.
fn ranking(overview: &Value) -> Vec<(String, String, String, f64)> {
    overview["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&row["account"]),
                text(&row["region"]),
                text(&row["load_balancer"]["name"]),
                row["total"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn row(account: &str, region: &str, name: &str, total: f64) -> (String, String, String, f64) {
    (account.to_string(), region.to_string(), name.to_string(), total)
}

/// The errors a series view answers, added up.
fn series_total(body: &Value) -> f64 {
    body["series"][0]["values"].as_array().expect("values").iter().filter_map(Value::as_f64).sum()
}

#[tokio::test]
async fn every_account_and_region_is_ranked_and_kept_apart() {
    let moto = Moto::start();
    let (range, start) = range();
    two_accounts(&moto, start).await;
    let regions = format!("{},{OTHER_REGION}", tlswatch_tests::REGION);
    let payments = format!("payments={PAYMENTS_ROLE}");
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &["--region", &regions, "--account", &payments]);

    let (status, overview) = tlswatch.get(&format!("/api/v1/overview?{range}")).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        ranking(&overview),
        [
            row("payments", "us-east-1", "shared-alb", 50.0),
            row("payments", "eu-west-1", "pay-alb", 20.0),
            row("default", "us-east-1", "shared-alb", 7.0),
            row("default", "us-east-1", "edge-alb", 5.0),
            row("default", "eu-west-1", "eu-alb", 1.0),
        ]
    );
    let scopes = overview["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 4, "{scopes:?}");
    assert!(scopes.iter().all(|scope| scope["status"] == "ok"), "{scopes:?}");
    let top = &overview["rows"][0];
    assert_eq!(top["buckets_with_errors"], 2);
    assert_eq!(top["worst"]["value"], 30.0);
    // Each row links to its load balancer's view in its account and region.
    let link = top["view"].as_str().unwrap();
    assert!(link.ends_with("&account=payments&region=us-east-1"), "{link}");
    let (status, linked) = tlswatch.get(&format!("/api/v1/series?{link}")).await;
    assert_eq!((status, series_total(&linked)), (200, 50.0), "{linked}");

    // Filters: one account; one region.
    let (_, payments_only) = tlswatch.get(&format!("/api/v1/overview?{range}&account=payments")).await;
    assert!(ranking(&payments_only).iter().all(|(account, ..)| account == "payments"));
    assert_eq!(ranking(&payments_only).len(), 2);
    let (_, europe) = tlswatch.get(&format!("/api/v1/overview?{range}&region={OTHER_REGION}")).await;
    assert_eq!(
        ranking(&europe),
        [row("payments", "eu-west-1", "pay-alb", 20.0), row("default", "eu-west-1", "eu-alb", 1.0)]
    );

    // The same view in each account, twice each: the second answers come from
    // the cache, and each account keeps its own.
    let view = format!("/api/v1/series?lb={SHARED_LB}&{range}");
    for _ in 0..2 {
        let (status, own) = tlswatch.get(&view).await;
        assert_eq!((status, series_total(&own)), (200, 7.0), "{own}");
        let (status, assumed) = tlswatch.get(&format!("{view}&account=payments")).await;
        assert_eq!((status, series_total(&assumed)), (200, 50.0), "{assumed}");
    }
    let (_, listed) = tlswatch.get("/api/v1/dimensions?account=payments").await;
    let names: Vec<&str> =
        listed["load_balancers"].as_array().unwrap().iter().map(|lb| lb["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["shared-alb"], "payments has only shared-alb in us-east-1");

    // The catalog: both accounts, their IDs (the own one once STS answered).
    let mut catalog = Value::Null;
    for _ in 0..50 {
        catalog = tlswatch.get("/api/v1/catalog").await.1;
        if catalog["accounts"][0]["account_id"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(catalog["default_account"], "default");
    assert_eq!(catalog["accounts"][0]["account_id"], DEFAULT_ACCOUNT_ID, "{catalog}");
    assert_eq!(catalog["accounts"][1]["name"], "payments");
    assert_eq!(catalog["accounts"][1]["account_id"], PAYMENTS_ID);
    assert_eq!(catalog["accounts"][1]["regions"], serde_json::json!(["us-east-1", "eu-west-1"]));

    // An account that is not configured is refused, naming `account`.
    let (status, refused) = tlswatch.get(&format!("{view}&account=nope")).await;
    assert_eq!((status, refused["error"]["param"].as_str()), (403, Some("account")), "{refused}");
}

/// What a caller sees: the accounts in the catalog, the accounts of the
/// overview's scopes, and the status of a view of each account.
async fn seen_by(tlswatch: &Tlswatch, headers: &[(&str, String)]) -> (Vec<String>, Vec<String>, Vec<u16>) {
    let (range, _) = range();
    let names = |list: &Value, field: &str| -> Vec<String> {
        let mut names: Vec<String> =
            list.as_array().unwrap().iter().map(|item| item[field].as_str().unwrap().to_string()).collect();
        names.dedup();
        names
    };
    let (_, catalog) = tlswatch.get_as("/api/v1/catalog", headers).await;
    let (_, overview) = tlswatch.get_as(&format!("/api/v1/overview?{range}"), headers).await;
    let mut statuses = Vec::new();
    for account in ["default", "payments"] {
        let (status, body) =
            tlswatch.get_as(&format!("/api/v1/series?lb={SHARED_LB}&{range}&account={account}"), headers).await;
        if status == 403 {
            assert_eq!(body["error"]["param"], "account", "{body}");
        }
        statuses.push(status);
    }
    (names(&catalog["accounts"], "name"), names(&overview["scopes"], "account"), statuses)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

#[tokio::test]
async fn a_reader_of_one_account_never_sees_the_other_in_either_authentication_mode() {
    let moto = Moto::start();
    let (_, start) = range();
    two_accounts(&moto, start).await;
    let accounts = temp_file(
        "accounts.toml",
        &format!(
            "[[account]]\nname = \"payments\"\nrole_arn = \"{PAYMENTS_ROLE}\"\nusers = [\"ana\"]\ngroups = [\"payments-sre\"]\n\
             [[account]]\nname = \"default\"\nusers = [\"ben\"]\ngroups = [\"platform\"]\n"
        ),
    );
    let accounts = accounts.to_str().unwrap();
    let both = (strings(&["default", "payments"]), strings(&["default", "payments"]), vec![200, 200]);
    let payments_only = (strings(&["payments"]), strings(&["payments"]), vec![403, 200]);
    let default_only = (strings(&["default"]), strings(&["default"]), vec![200, 403]);

    let hash = bcrypt::hash("secret", 4).unwrap();
    let htpasswd = temp_file("htpasswd", &format!("ana:{hash}\nben:{hash}\ncy:{hash}\n"));
    let with_passwords =
        Tlswatch::on_endpoint(&moto.endpoint, &["--accounts", accounts, "--htpasswd", htpasswd.to_str().unwrap()]);
    let as_user = |user: &str| [("authorization", basic(user, "secret"))];
    assert_eq!(seen_by(&with_passwords, &as_user("ana")).await, payments_only);
    assert_eq!(seen_by(&with_passwords, &as_user("ben")).await, default_only);
    assert_reads_nothing(&with_passwords, &as_user("cy")).await;

    let behind_proxy = Tlswatch::on_endpoint(
        &moto.endpoint,
        &["--accounts", accounts, "--trusted-user-header", "X-Forwarded-User", "--trusted-proxy", "127.0.0.1/32"],
    );
    let as_member =
        |user: &str, groups: &str| [("x-forwarded-user", user.to_string()), ("x-forwarded-groups", groups.to_string())];
    assert_eq!(seen_by(&behind_proxy, &as_member("dee", "payments-sre")).await, payments_only);
    assert_eq!(seen_by(&behind_proxy, &as_member("eve", "platform, payments-sre")).await, both);
    assert_eq!(seen_by(&behind_proxy, &as_member("ana", "")).await, payments_only, "users count in this mode too");
    let (status, refused) =
        behind_proxy.get_as("/api/v1/overview?account=payments", &as_member("fay", "platform")).await;
    assert_eq!((status, refused["error"]["param"].as_str()), (403, Some("account")), "{refused}");
}

/// A caller who may read no account gets a clear 403 from the catalog, the
/// overview and a view that names no account, none of which names an account.
async fn assert_reads_nothing(tlswatch: &Tlswatch, headers: &[(&str, String)]) {
    let (range, _) = range();
    for path in ["/api/v1/catalog".to_string(), format!("/api/v1/overview?{range}"), format!("/api/v1/series?{range}")]
    {
        let (status, body) = tlswatch.get_as(&path, headers).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("you may read no account"), "{path}: {message}");
        for name in ["default", "payments", "legacy"] {
            assert!(!body.to_string().contains(name), "{path} names {name}: {body}");
        }
    }
}

#[tokio::test]
async fn without_the_own_identity_the_catalog_names_only_what_the_caller_may_read() {
    let moto = Moto::start();
    let (range, start) = range();
    put_errors(&moto, Some(PAYMENTS_ROLE), tlswatch_tests::REGION, SHARED_LB, start, &[30.0, 20.0]).await;
    put_errors(&moto, Some(LEGACY_ROLE), tlswatch_tests::REGION, SHARED_LB, start, &[2.0]).await;
    // payments comes first: the default of views for those who may read it.
    let accounts = temp_file(
        "restricted-accounts.toml",
        &format!(
            "own_identity = false\n\
             [[account]]\nname = \"payments\"\nrole_arn = \"{PAYMENTS_ROLE}\"\nusers = [\"ana\"]\n\
             [[account]]\nname = \"legacy\"\nrole_arn = \"{LEGACY_ROLE}\"\nusers = [\"ben\"]\n"
        ),
    );
    let hash = bcrypt::hash("secret", 4).unwrap();
    let htpasswd = temp_file("restricted-htpasswd", &format!("ana:{hash}\nben:{hash}\ncy:{hash}\n"));
    let tlswatch = Tlswatch::on_endpoint(
        &moto.endpoint,
        &["--accounts", accounts.to_str().unwrap(), "--htpasswd", htpasswd.to_str().unwrap()],
    );
    let as_user = |user: &str| [("authorization", basic(user, "secret"))];

    let (status, catalog) = tlswatch.get_as("/api/v1/catalog", &as_user("ben")).await;
    assert_eq!(status, 200, "{catalog}");
    assert_eq!(catalog["default_account"], "legacy", "ben's default is the first account he may read");
    assert!(!catalog.to_string().contains("payments"), "{catalog}");
    let (status, view) = tlswatch.get_as(&format!("/api/v1/series?lb={SHARED_LB}&{range}"), &as_user("ben")).await;
    assert_eq!((status, series_total(&view)), (200, 2.0), "a view without account= reads legacy for ben: {view}");
    let (_, catalog) = tlswatch.get_as("/api/v1/catalog", &as_user("ana")).await;
    assert_eq!(catalog["default_account"], "payments");

    assert_reads_nothing(&tlswatch, &as_user("cy")).await;
}

#[tokio::test]
async fn a_refused_role_and_a_throttled_account_are_error_scopes_beside_the_rest() {
    let moto = Moto::start();
    let (range, start) = range();
    two_accounts(&moto, start).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave_for_account("AssumeRole", "222222222222", Behaviour::AccessDenied);
    upstream.behave_for_account(GET_METRIC_DATA, PAYMENTS_ID, Behaviour::Throttle);
    let (payments, legacy) = (format!("payments={PAYMENTS_ROLE}"), format!("legacy={LEGACY_ROLE}"));
    let tlswatch = Tlswatch::on_endpoint(
        &upstream.endpoint,
        &["--account", &payments, "--account", &legacy, "--upstream-attempts", "1"],
    );

    let (status, overview) = tlswatch.get(&format!("/api/v1/overview?{range}")).await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        ranking(&overview),
        [row("default", "us-east-1", "shared-alb", 7.0), row("default", "us-east-1", "edge-alb", 5.0)]
    );
    let scope = |account: &str| {
        overview["scopes"].as_array().unwrap().iter().find(|scope| scope["account"] == account).cloned().unwrap()
    };
    assert_eq!(scope("default")["status"], "ok");
    let throttled = scope("payments");
    assert_eq!(throttled["status"], "error");
    assert!(throttled["message"].as_str().unwrap().contains("CloudWatch throttled"), "{throttled}");
    let throttled_calls = [("operation", "GetMetricData"), ("kind", "upstream_throttled"), ("account", "payments")];
    assert_eq!(
        tlswatch.metric("tlswatch_upstream_errors_total", &throttled_calls).await,
        1.0,
        "/metrics names the account"
    );
    let refused = scope("legacy");
    assert_eq!(refused["status"], "error");
    let message = refused["message"].as_str().unwrap();
    assert!(message.contains(LEGACY_ROLE) && message.contains("AccessDenied"), "{message}");

    // A view of the refused account says why, and never leaks credentials.
    let (status, body) = tlswatch.get(&format!("/api/v1/series?lb={SHARED_LB}&{range}&account=legacy")).await;
    assert_eq!(status, 502, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(LEGACY_ROLE), "{body}");
    assert!(!body.to_string().contains("testing"), "no secret in {body}");
}

#[tokio::test]
async fn the_overview_page_ranks_the_fleet_and_shows_the_failing_scope() {
    use tlswatch_tests::browser::{axe_findings, eval, wait_until, with_browser};

    let moto = Moto::start();
    let (range, start) = range();
    two_accounts(&moto, start).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave_for_account("AssumeRole", "222222222222", Behaviour::AccessDenied);
    let (payments, legacy) = (format!("payments={PAYMENTS_ROLE}"), format!("legacy={LEGACY_ROLE}"));
    let dist = tlswatch_tests::built_frontend();
    let tlswatch = Tlswatch::on_endpoint(
        &upstream.endpoint,
        &["--account", &payments, "--account", &legacy, "--upstream-attempts", "1", "--dist", &dist.to_string_lossy()],
    );
    let (_, answer) = tlswatch.get(&format!("/api/v1/overview?{range}")).await;
    let expected: Vec<String> =
        ranking(&answer).into_iter().map(|(account, _, name, _)| format!("{name} {account}")).collect();
    assert_eq!(expected, ["shared-alb payments", "shared-alb default", "edge-alb default"]);

    with_browser(|client| async move {
        // A link with a bad parameter says which, and leads back to the default overview.
        client.goto(&format!("{}/overview?stat=p99", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('.error-message')").await;
        let message = eval(&client, "document.querySelector('.error-message').textContent").await;
        assert!(message.as_str().unwrap().contains("`stat`"), "{message}");
        client.find(fantoccini::Locator::Id("reset-overview")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search === '' && document.querySelector('#fleet, .no-errors')").await;

        client.goto(&format!("{}/overview?{range}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('#fleet tbody tr') && document.querySelector('.failing-scope')").await;
        let shown = eval(
            &client,
            "[...document.querySelectorAll('#fleet tbody tr')].map(r => r.cells[1].textContent + ' ' + r.cells[2].textContent)",
        )
        .await;
        assert_eq!(shown, serde_json::json!(expected), "the page ranks as the API does");
        let totals = eval(&client, "[...document.querySelectorAll('#fleet td[data-value]')].map(c => Number(c.dataset.value))").await;
        assert_eq!(totals, serde_json::json!([50, 7, 5]));
        let failing = eval(&client, "[...document.querySelectorAll('.failing-scope')].map(s => s.dataset.account + ' ' + s.textContent)").await;
        let failing = failing.as_array().unwrap();
        assert_eq!(failing.len(), 1, "{failing:?}");
        let text = failing[0].as_str().unwrap();
        assert!(text.starts_with("legacy ") && text.contains(LEGACY_ROLE), "{text}");
        let drawn = eval(&client, "[...document.querySelectorAll('#fleet .spark')].filter(s => echarts.getInstanceByDom(s)).length").await;
        assert_eq!(drawn, 3, "every row has its sparkline");
        assert_eq!(axe_findings(&client).await, Vec::<String>::new());

        // Ticking an account narrows the overview to it, in the URL too.
        client.find(fantoccini::Locator::Css("input[name=account][value=payments]")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search.includes('account=payments') && document.querySelectorAll('#fleet tbody tr').length === 1").await;
        let narrowed = eval(&client, "document.querySelector('#fleet tbody tr').cells[2].textContent").await;
        assert_eq!(narrowed, "payments");

        // A row opens its load balancer's view in its account.
        client.find(fantoccini::Locator::Css("#fleet tbody tr a")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.pathname === '/' && document.querySelector('#summary-total')").await;
        let url = client.current_url().await.unwrap();
        assert!(url.query().unwrap_or_default().contains("account=payments"), "{url}");
        wait_until(&client, "document.getElementById('summary-total').dataset.value === '50'").await;

        // The dashboard's account picker shows the view's account; picking
        // another leaves the load balancers of the first behind.
        assert_eq!(tlswatch_tests::browser::control_value(&client, "account").await, "payments");
        client.find(fantoccini::Locator::Id("account")).await.unwrap().select_by_value("default").await.unwrap();
        wait_until(&client, "location.search.includes('account=default') && !location.search.includes('lb=')").await;
    })
    .await;
}

#[test]
fn bad_account_configuration_is_refused_at_start_with_what_was_wrong() {
    let missing = std::env::temp_dir().join("tlswatch-no-such-accounts.toml");
    let unknown_key = temp_file("typo.toml", "[[account]]\nname = \"payments\"\nrole = \"arn\"\n");
    let payments = format!("payments={PAYMENTS_ROLE}");
    // On CloudWatch at a loopback port nobody listens on: a refusal that
    // regressed would fail its calls there, not reach AWS.
    let closed = tlswatch_tests::closed_endpoint();
    let on_cloudwatch = ["--listen", "127.0.0.1:0", "--source", "cloudwatch", "--endpoint-url", &closed];
    // An empty reader list reads as "nobody" to some and "everybody" to others: refused with the fix.
    let no_users = temp_file(
        "no-users.toml",
        &format!("[[account]]\nname = \"payments\"\nrole_arn = \"{PAYMENTS_ROLE}\"\nusers = []\n"),
    );
    let no_groups = temp_file("no-groups.toml", "[[account]]\nname = \"default\"\ngroups = []\n");
    let cases: [(Vec<&str>, &str); 8] = [
        ([&on_cloudwatch[..], &["--accounts", no_users.to_str().unwrap()]].concat(), "account payments: `users = []`"),
        ([&on_cloudwatch[..], &["--accounts", no_users.to_str().unwrap()]].concat(), "remove the key"),
        ([&on_cloudwatch[..], &["--accounts", no_groups.to_str().unwrap()]].concat(), "account default: `groups = []`"),
        ([&on_cloudwatch[..], &["--accounts", no_groups.to_str().unwrap()]].concat(), "nobody could read it"),
        ([&on_cloudwatch[..], &["--accounts", missing.to_str().unwrap()]].concat(), "--accounts: cannot read"),
        ([&on_cloudwatch[..], &["--accounts", unknown_key.to_str().unwrap()]].concat(), "unknown field `role`"),
        ([&on_cloudwatch[..], &["--account", "payments=arn:aws:iam::1:role/x"]].concat(), "is not a role ARN"),
        (vec!["--listen", "127.0.0.1:0", "--source", "demo", "--account", &payments], "need --source cloudwatch"),
    ];
    for (args, expected) in cases {
        let (ok, stderr) = tlswatch_tests::run_to_exit(&args);
        assert!(!ok, "{args:?} must not start");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
