//! The fleet overview beyond the ranking of accounts (accounts.rs), against
//! moto: each statistic's totals, worst bucket and sparkline as api.md
//! defines them, the client-side metric, a scope served from its last good
//! answer, refused parameters; and on its page, the statistic, range and
//! region filters.

use fantoccini::Locator;
use serde_json::{Value, json};
use tlswatch_tests::browser::{eval, wait_until, with_browser};
use tlswatch_tests::upstream::{Behaviour, GET_METRIC_DATA, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch, datum, now};

const TARGET_METRIC: &str = "TargetTLSNegotiationErrorCount";
const CLIENT_METRIC: &str = "ClientTLSNegotiationErrorCount";
const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const EU_LB: &str = "app/eu-alb/2b3c4d5e6f7a8b9c";
const OTHER_REGION: &str = "eu-west-1";
/// A day is 288 five-minute buckets: the overview's period.
const PERIOD: i64 = 300;
/// Five-minute buckets with errors, each with two datapoints, so that
/// Sum, Maximum, Minimum and Average differ.
const BUCKETS: [(i64, f64, f64); 4] = [(3, 2.0, 6.0), (4, 1.0, 1.0), (10, 9.0, 3.0), (50, 4.0, 4.0)];

/// A settled day that ended an hour ago, on hour boundaries: its query and start.
fn settled_day() -> (String, i64) {
    let end = (now() - 3_600) / 3_600 * 3_600;
    let start = end - 86_400;
    (format!("from={start}&to={end}"), start)
}

async fn put_buckets(moto: &Moto, start: i64) {
    let data = BUCKETS.iter().flat_map(|&(bucket, a, b)| {
        let at = start + bucket * PERIOD;
        [a, b].map(|value| datum(TARGET_METRIC, &[("LoadBalancer", LB)], at, value))
    });
    moto.put(data.collect()).await;
}

/// Each bucket's value under `stat`, as CloudWatch computes it from the two datapoints.
fn bucket_value(stat: &str, a: f64, b: f64) -> f64 {
    match stat {
        "Sum" => a + b,
        "Maximum" => a.max(b),
        "Minimum" => a.min(b),
        _ => (a + b) / 2.0,
    }
}

/// The sparkline api.md promises: runs of `run` buckets combined as the
/// statistic combines, `null` where a run has no value (0 for `Sum`, whose
/// missing datapoints are zero errors).
fn expected_spark(stat: &str, run: i64, points: usize) -> Vec<Value> {
    (0..points as i64)
        .map(|index| {
            let values: Vec<f64> = BUCKETS
                .iter()
                .filter(|(bucket, ..)| bucket / run == index)
                .map(|&(_, a, b)| bucket_value(stat, a, b))
                .collect();
            match (stat, values.as_slice()) {
                ("Sum", values) => json!(values.iter().sum::<f64>()),
                (_, []) => Value::Null,
                ("Maximum", values) => json!(values.iter().copied().fold(f64::MIN, f64::max)),
                ("Minimum", values) => json!(values.iter().copied().fold(f64::MAX, f64::min)),
                (_, values) => json!(values.iter().sum::<f64>() / values.len() as f64),
            }
        })
        .collect()
}

#[tokio::test]
async fn every_statistic_ranks_totals_worst_buckets_and_sparklines_as_documented() {
    let moto = Moto::start();
    let (range, start) = settled_day();
    put_buckets(&moto, start).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    for stat in ["Sum", "Maximum", "Minimum", "Average"] {
        let (status, body) = tlswatch.get(&format!("/api/v1/overview?{range}&stat={stat}")).await;
        assert_eq!(status, 200, "{stat}: {body}");
        assert_eq!((body["start"].as_i64(), body["period"].as_i64()), (Some(start), Some(PERIOD)), "{stat}");
        let row = &body["rows"][0];
        let values: Vec<(i64, f64)> =
            BUCKETS.iter().map(|&(bucket, a, b)| (bucket, bucket_value(stat, a, b))).collect();
        let total: f64 = values.iter().map(|(_, value)| value).sum();
        let (worst_bucket, worst) = values.iter().copied().fold((0, f64::MIN), |w, v| if v.1 > w.1 { v } else { w });
        assert_eq!(row["total"], total, "{stat}: {row}");
        assert_eq!(row["buckets_with_errors"], 4, "{stat}");
        assert_eq!(row["worst"], json!({"t": start + worst_bucket * PERIOD, "value": worst}), "{stat}");
        assert_eq!(row["last_error"], start + 50 * PERIOD, "{stat}");

        let spark = &row["spark"];
        let points = spark["values"].as_array().expect("spark values");
        assert!(points.len() <= 120, "{stat}: at most 120 points, {}", points.len());
        let run = spark["period"].as_i64().unwrap() / PERIOD;
        assert_eq!((spark["start"].as_i64(), run), (Some(start), 3), "{stat}: 288 buckets in runs of 3");
        assert_eq!(points, &expected_spark(stat, run, points.len()), "{stat}");
        assert_eq!((row.get("partial_from"), spark.get("partial_from")), (None, None), "a settled day: {row}");
        let view = row["view"].as_str().unwrap();
        assert!(
            view.contains(&format!("lb={LB}")) && (stat == "Sum" || view.contains(&format!("stat={stat}"))),
            "{view}"
        );
    }
}

#[tokio::test]
async fn a_range_to_now_says_where_buckets_still_fill_as_the_series_answer_does() {
    let moto = Moto::start();
    let now = now();
    let recent = (now - 3_600..now).step_by(60).map(|t| datum(TARGET_METRIC, &[("LoadBalancer", LB)], t, 2.0));
    moto.put(recent.collect()).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get("/api/v1/overview?from=now-24h").await;
    assert_eq!(status, 200, "{body}");
    let row = &body["rows"][0];
    let from = row["partial_from"].as_i64().unwrap_or_else(|| panic!("the last buckets are still filling: {row}"));
    let (status, series) =
        tlswatch.get(&format!("/api/v1/series?{}&period={}", row["view"].as_str().unwrap(), body["period"])).await;
    assert_eq!(status, 200, "{series}");
    assert_eq!(series["partial_from"].as_i64(), Some(from), "as the dashboard's answer says");
    let spark = &row["spark"];
    let spark_from = spark["partial_from"].as_i64().expect("the sparkline's still-filling points");
    let spark_period = spark["period"].as_i64().unwrap();
    assert!(spark_from <= from && from < spark_from + spark_period, "{spark}");
}

#[tokio::test]
async fn the_client_side_metric_ranks_its_own_errors() {
    let moto = Moto::start();
    let (range, start) = settled_day();
    put_buckets(&moto, start).await;
    moto.put(vec![datum(CLIENT_METRIC, &[("LoadBalancer", EU_LB)], start + 600, 40.0)]).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let names = |body: &Value| -> Vec<(String, f64)> {
        let rows = body["rows"].as_array().expect("rows");
        rows.iter()
            .map(|r| (r["load_balancer"]["value"].as_str().unwrap().to_string(), r["total"].as_f64().unwrap()))
            .collect()
    };
    let (status, target) = tlswatch.get(&format!("/api/v1/overview?{range}")).await;
    assert_eq!(status, 200, "{target}");
    assert_eq!(names(&target), [(LB.to_string(), 30.0)]);
    let (status, client) = tlswatch.get(&format!("/api/v1/overview?{range}&metric={CLIENT_METRIC}")).await;
    assert_eq!(status, 200, "{client}");
    assert_eq!(names(&client), [(EU_LB.to_string(), 40.0)]);
    assert!(client["view"].as_str().unwrap().contains(CLIENT_METRIC), "{}", client["view"]);
    assert!(client["rows"][0]["view"].as_str().unwrap().contains(CLIENT_METRIC), "the row's view keeps the metric");
}

#[tokio::test]
async fn a_failing_source_serves_the_last_good_answer_as_an_error_scope() {
    let moto = Moto::start();
    moto.put(vec![datum(TARGET_METRIC, &[("LoadBalancer", LB)], now() - 1_800, 7.0)]).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let tlswatch = Tlswatch::on_endpoint(&upstream.endpoint, &["--cache-ttl", "0.001", "--upstream-attempts", "1"]);
    let (status, fresh) = tlswatch.get("/api/v1/overview?from=now-6h").await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!((fresh["rows"][0]["total"].as_f64(), fresh["scopes"][0]["status"].as_str()), (Some(7.0), Some("ok")));

    upstream.behave_on(GET_METRIC_DATA, Behaviour::Fail);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let calls = upstream.get_metric_data_calls();
    let (status, stale) = tlswatch.get("/api/v1/overview?from=now-6h").await;
    assert_eq!(status, 200, "{stale}");
    assert!(upstream.get_metric_data_calls() > calls, "the fresh answer expired and was asked for again");
    assert_eq!(stale["rows"][0]["total"], 7.0, "the last good rows are kept: {stale}");
    let scope = &stale["scopes"][0];
    assert_eq!(scope["status"], "error", "{scope}");
    let message = scope["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("InternalFailure") && message.contains("read before"),
        "says why and that the rows are older: {message}"
    );
}

#[tokio::test]
async fn refused_overview_parameters_name_the_parameter_and_what_is_accepted() {
    let tlswatch = Tlswatch::start(&["--source", "demo", "--region", "us-east-1"]);
    for (query, param) in [
        ("region=mars-1", "region"),
        ("region=eu-west-1", "region"),
        ("stat=p99", "stat"),
        ("metric=HTTPCode_ELB_502_Count", "metric"),
        ("from=now&to=now-1h", "from"),
        ("lb=app/edge-alb/50dc6c495c0c9188", "lb"),
    ] {
        let (status, body) = tlswatch.get(&format!("/api/v1/overview?{query}")).await;
        assert_eq!((status, body["error"]["param"].as_str()), (400, Some(param)), "{query}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap_or_default().is_empty(), "{query}: {body}");
    }
}

/// The `(name, total)` of each row of the page's table.
const TABLE: &str = "[...document.querySelectorAll('#fleet tbody tr')].map(r => \
    [r.cells[1].textContent, Number(r.querySelector('td[data-value]').dataset.value)])";

#[tokio::test]
async fn the_overview_page_filters_by_statistic_range_and_region_in_its_url() {
    let moto = Moto::start();
    // Two hours ago: inside the last day, outside the last hour.
    let at = (now() - 2 * 3_600) / PERIOD * PERIOD;
    moto.put(vec![
        datum(TARGET_METRIC, &[("LoadBalancer", LB)], at + 30, 2.0),
        datum(TARGET_METRIC, &[("LoadBalancer", LB)], at + 90, 6.0),
    ])
    .await;
    moto.put_in(OTHER_REGION, vec![datum(TARGET_METRIC, &[("LoadBalancer", EU_LB)], at, 5.0)]).await;
    let dist = tlswatch_tests::built_frontend();
    let regions = format!("{},{OTHER_REGION}", tlswatch_tests::REGION);
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &["--region", &regions, "--dist", &dist.to_string_lossy()]);

    with_browser(|client| async move {
        client.goto(&format!("{}/overview", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelectorAll('#fleet tbody tr').length === 2").await;
        assert_eq!(eval(&client, TABLE).await, json!([["edge-alb", 8], ["eu-alb", 5]]));
        // The sparklines end in points still filling, drawn as the dashboard draws them, not as a drop.
        let tails = "[...document.querySelectorAll('#fleet .spark')].map(s => echarts.getInstanceByDom(s)?.getOption()
            .series.filter(line => line.id.endsWith('-partial')).map(line => line.lineStyle.type)[0] ?? null)";
        wait_until(&client, &format!("{tails}.every(type => type !== null)")).await;
        assert_eq!(eval(&client, tails).await, json!(["dashed", "dashed"]));

        let select = |label: &'static str| {
            let client = client.clone();
            async move {
                let path = format!(
                    "//form[@class='overview-filters']//label[starts-with(normalize-space(.), '{label}')]/select"
                );
                client.find(Locator::XPath(&path)).await.unwrap()
            }
        };
        select("Statistic").await.select_by_value("Maximum").await.unwrap();
        wait_until(&client, "location.search.includes('stat=Maximum')").await;
        wait_until(&client, &format!("JSON.stringify({TABLE}) === '[[\"edge-alb\",6],[\"eu-alb\",5]]'")).await;

        client
            .find(Locator::Css(&format!("input[name=region][value={OTHER_REGION}]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_until(&client, &format!("location.search.includes('region={OTHER_REGION}')")).await;
        wait_until(&client, &format!("JSON.stringify({TABLE}) === '[[\"eu-alb\",5]]'")).await;

        select("Range").await.select_by_value("now-1h").await.unwrap();
        wait_until(&client, "location.search.includes('from=now-1h')").await;
        // A load balancer that reported in the last two weeks keeps its row, at 0.
        wait_until(&client, &format!("JSON.stringify({TABLE}) === '[[\"eu-alb\",0]]'")).await;

        // The URL is the view: loaded afresh, it shows the same filters.
        let url = client.current_url().await.unwrap();
        client.goto(url.as_str()).await.unwrap();
        wait_until(&client, &format!("JSON.stringify({TABLE}) === '[[\"eu-alb\",0]]'")).await;
        let ticked =
            eval(&client, "[...document.querySelectorAll('input[name=region]:checked')].map(i => i.value)").await;
        assert_eq!(ticked, json!([OTHER_REGION]));
        let shown = eval(&client, "[...document.querySelectorAll('.overview-filters select')].map(s => s.value)").await;
        assert_eq!(shown, json!(["Maximum", "now-1h", "", "errors"]), "statistic, range, severity (any), order");
    })
    .await;
}

#[tokio::test]
async fn the_demo_is_a_fleet_of_two_accounts_in_two_regions_with_findings_of_their_own() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let (_, catalog) = tlswatch.get("/api/v1/catalog").await;
    let accounts: Vec<(&str, &Value)> = catalog["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| (account["name"].as_str().unwrap(), &account["regions"]))
        .collect();
    let both = json!(["us-east-1", "eu-west-1"]);
    assert_eq!(accounts, [("default", &both), ("retail", &both)], "{catalog}");

    let (status, overview) = tlswatch.get("/api/v1/overview").await;
    assert_eq!(status, 200, "{overview}");
    let scopes = overview["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 4, "{scopes:?}");
    assert!(scopes.iter().all(|scope| scope["status"] == "ok"), "{scopes:?}");
    let codes_of = |name: &str| -> (String, String, String) {
        let row = overview["rows"].as_array().unwrap().iter().find(|row| row["load_balancer"]["name"] == name);
        let row = row.unwrap_or_else(|| panic!("a row of {name}: {overview}"));
        let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
        (text(&row["account"]), text(&row["region"]), row["findings"]["codes"].to_string())
    };
    let (account, region, codes) = codes_of("shop-alb");
    assert_eq!((account.as_str(), region.as_str()), ("retail", "us-east-1"));
    assert!(codes.contains("legacy-client-tls") && codes.contains("plaintext-targets"), "{codes}");
    let (account, region, codes) = codes_of("shop-eu-alb");
    assert_eq!((account.as_str(), region.as_str()), ("retail", "eu-west-1"));
    assert!(codes.contains("health-check-skips-tls") && !codes.contains("legacy-client-tls"), "{codes}");
    let (account, region, codes) = codes_of("payments-alb");
    assert_eq!((account.as_str(), region.as_str()), ("default", "us-east-1"));
    assert!(codes.contains("tls-errors"), "{codes}");
    // Each account's view of its own load balancer: the link of its row.
    let shop = overview["rows"].as_array().unwrap().iter().find(|row| row["load_balancer"]["name"] == "shop-alb");
    let link = shop.unwrap()["view"].as_str().unwrap();
    let (status, series) = tlswatch.get(&format!("/api/v1/series?{link}")).await;
    assert_eq!((status, series["series"][0]["label"].as_str()), (200, Some("shop-alb")), "{series}");
}
