//! The dashboard in a real browser (headless Chromium) against the built
//! `tlswatch` on the demo source: links restore views, controls write the URL,
//! refused views show the API's message, and "pin time" makes links absolute.

use fantoccini::{Client, Locator};
use serde_json::Value;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{CHART_OPTION, chart_option, control_value, eval, wait_until, with_browser};

const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";

/// Waits for the page to show the figures of a loaded view.
async fn wait_for_data(client: &Client) {
    wait_until(client, "document.querySelector('#summary-buckets') && document.querySelector('.loading.hidden')").await;
}

/// The page's summary figures, as the data attributes carry them.
async fn page_summary(client: &Client) -> Value {
    eval(
        client,
        "{
            buckets: Number(document.querySelector('#summary-buckets').dataset.value),
            worst_value: document.querySelector('#summary-worst').dataset.value ?? null,
            worst_t: document.querySelector('#summary-worst').dataset.t ?? null,
            last_t: document.querySelector('#summary-last').dataset.t ?? null
        }",
    )
    .await
}

fn api_summary(body: &Value) -> Value {
    let summary = &body["summary"];
    let text = |v: &Value| if v.is_null() { Value::Null } else { Value::from(v.to_string()) };
    serde_json::json!({
        "buckets": summary["buckets_with_errors"],
        "worst_value": text(&summary["worst"]["value"]).as_str().map(|s| s.trim_end_matches(".0").to_string()),
        "worst_t": text(&summary["worst"]["t"]),
        "last_t": text(&summary["last_error"]),
    })
}

#[tokio::test]
async fn a_shared_link_opens_exactly_that_view() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let query = format!("lb={PAYMENTS}&stat=Maximum&period=3600&from=now-7d");
    with_browser(|client| async move {
        // The last bucket fills as minutes pass: compare within one minute, retrying once.
        let mut attempts = 0;
        loop {
            attempts += 1;
            client.goto(&format!("{}/?{query}", tlswatch.url)).await.unwrap();
            wait_for_data(&client).await;
            let shown = page_summary(&client).await;
            let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
            assert_eq!(status, 200);
            if shown == api_summary(&body) {
                break;
            }
            assert!(attempts < 3, "page {shown} vs API {}", api_summary(&body));
        }

        assert_eq!(control_value(&client, "stat").await, "Maximum");
        assert_eq!(control_value(&client, "period").await, "3600");
        assert_eq!(control_value(&client, "range").await, "now-7d");
        let metrics =
            eval(&client, "[...document.querySelectorAll('input[name=metric]')].map(b => [b.value, b.checked])").await;
        assert_eq!(
            metrics,
            serde_json::json!([["TargetTLSNegotiationErrorCount", true], ["ClientTLSNegotiationErrorCount", false]])
        );
        let checked =
            eval(&client, &format!("document.querySelector('input[name=lb][value=\"{PAYMENTS}\"]').checked")).await;
        assert_eq!(checked, Value::Bool(true));
        let unchecked =
            eval(&client, "[...document.querySelectorAll('input[name=lb]')].filter(b => b.checked).length").await;
        assert_eq!(unchecked, Value::from(1));

        // The chart is drawn, with one line of 7 days of hourly buckets.
        assert_eq!(eval(&client, "!!document.querySelector('#chart canvas')").await, Value::Bool(true));
        let lines = chart_option(&client, ".series.map(s => [s.name, s.data.length])").await;
        let lines = lines.as_array().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0][0], "payments-alb");
        assert!(lines[0][1].as_u64().unwrap() >= 168, "{lines:?}");
        assert_eq!(eval(&client, "!!document.querySelector('.demo-badge')").await, Value::Bool(true));
    })
    .await;
}

#[tokio::test]
async fn changing_a_control_writes_the_url_and_a_reload_restores_the_view() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;

        client.find(Locator::Id("stat")).await.unwrap().select_by_value("Average").await.unwrap();
        wait_until(&client, "location.search === '?stat=Average'").await;
        client.find(Locator::Id("period")).await.unwrap().select_by_value("3600").await.unwrap();
        wait_until(&client, "location.search === '?stat=Average&period=3600'").await;
        let box_ = client.find(Locator::Css(&format!("input[name=lb][value=\"{PAYMENTS}\"]"))).await.unwrap();
        box_.click().await.unwrap();
        let expected = format!("?lb={PAYMENTS}&stat=Average&period=3600");
        wait_until(&client, &format!("location.search === '{expected}'")).await;
        wait_for_data(&client).await;

        client.refresh().await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "location.search").await, Value::from(expected.as_str()));
        assert_eq!(control_value(&client, "stat").await, "Average");
        assert_eq!(control_value(&client, "period").await, "3600");
        let series = chart_option(&client, ".series.map(s => s.name)").await;
        assert_eq!(series, serde_json::json!(["payments-alb"]));

        // Back walks through the views.
        client.back().await.unwrap();
        wait_until(&client, "location.search === '?stat=Average&period=3600'").await;
        wait_until(&client, "document.getElementById('period').value === '3600'").await;
        wait_until(&client, "![...document.querySelectorAll('input[name=lb]')].some(b => b.checked)").await;
    })
    .await;
}

#[tokio::test]
async fn a_refused_view_shows_the_api_message() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let (status, body) = tlswatch.get("/api/v1/series?period=61").await;
    assert_eq!(status, 400);
    let message = body["error"]["message"].as_str().unwrap().to_string();
    with_browser(|client| async move {
        client.goto(&format!("{}/?period=61", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('.error-message')").await;
        let shown = client.find(Locator::Css(".error-message")).await.unwrap().text().await.unwrap();
        assert_eq!(shown, message);
        let beside_field = client.find(Locator::Id("period-error")).await.unwrap().text().await.unwrap();
        assert_eq!(beside_field, message);
        assert_eq!(
            eval(&client, "document.getElementById('chart').classList.contains('hidden')").await,
            Value::Bool(true)
        );
    })
    .await;
}

#[tokio::test]
async fn pin_time_turns_a_relative_range_into_absolute_times() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        client.find(Locator::Id("pin-time")).await.unwrap().click().await.unwrap();
        wait_until(&client, "/from=\\d{4}-/.test(location.search) && /to=\\d{4}-/.test(location.search)").await;
        let search = eval(&client, "location.search").await;
        let view = tlswatch_shared::View::from_query(search.as_str().unwrap()).expect("a valid view");
        let (tlswatch_shared::TimeSpec::At(from), tlswatch_shared::TimeSpec::At(to)) = (view.from, view.to) else {
            panic!("not absolute: {search}");
        };
        assert_eq!(to - from, 3 * 3_600, "{search}");
        assert!((tlswatch_tests::now() - to).abs() < 300, "pinned at about now: {search}");
        assert_eq!(eval(&client, "document.getElementById('pin-time').disabled").await, Value::Bool(true));
        wait_for_data(&client).await;
    })
    .await;
}

#[tokio::test]
async fn zooming_the_chart_writes_the_zoomed_range_to_the_url() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let (_, body) = tlswatch.get("/api/v1/series?from=now-12h").await;
    let start = body["start"].as_i64().unwrap();
    let (zoom_from, zoom_to) = (start + 3 * 3_600 + 17, start + 5 * 3_600 + 17);
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-12h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        eval(
            &client,
            &format!(
                "echarts.getInstanceByDom(document.getElementById('chart'))
                    .dispatchAction({{type: 'dataZoom', dataZoomIndex: 0, startValue: {}, endValue: {}}}) ?? true",
                zoom_from * 1_000,
                zoom_to * 1_000
            ),
        )
        .await;
        wait_until(&client, "/from=\\d{4}-/.test(location.search) && /to=\\d{4}-/.test(location.search)").await;
        let search = eval(&client, "location.search").await;
        let view = tlswatch_shared::View::from_query(search.as_str().unwrap()).expect("a valid view");
        // Whole minutes around the zoomed span.
        assert_eq!(view.from, tlswatch_shared::TimeSpec::At(zoom_from / 60 * 60), "{search}");
        assert_eq!(view.to, tlswatch_shared::TimeSpec::At((zoom_to / 60 + 1) * 60), "{search}");
        wait_for_data(&client).await;
    })
    .await;
}

#[tokio::test]
async fn the_time_zone_toggle_is_remembered_in_the_url() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let use_utc = format!("{CHART_OPTION}.useUTC");
        assert_eq!(eval(&client, &use_utc).await, Value::Bool(true));
        assert!(
            eval(&client, "document.getElementById('summary-last').textContent")
                .await
                .as_str()
                .unwrap()
                .ends_with("UTC")
        );
        client.find(Locator::Id("tz")).await.unwrap().select_by_value("local").await.unwrap();
        wait_until(&client, "location.search === '?from=now-3h&tz=local'").await;
        wait_until(&client, &format!("{use_utc} === false")).await;
        client.refresh().await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(control_value(&client, "tz").await, "local");
    })
    .await;
}

#[tokio::test]
async fn the_page_runs_under_its_content_security_policy_without_violations() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let page = reqwest::get(format!("{}/", tlswatch.url)).await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{policy}");
    assert!(!policy.contains(" 'unsafe-eval'") && !policy.contains("script-src 'self' 'unsafe-inline'"), "{policy}");
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-12h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        // Hovering draws the tooltip, which ECharts builds from HTML.
        eval(
            &client,
            "echarts.getInstanceByDom(document.getElementById('chart'))
                .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 5}) ?? true",
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let errors = tlswatch_tests::browser::console_errors(&client).await;
        assert!(errors.is_empty(), "console errors under the policy: {errors:#?}");

        // The check can see a violation: an injected inline script is refused.
        eval(&client, "(() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.body.appendChild(s); return true })()").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let errors = tlswatch_tests::browser::console_errors(&client).await;
        assert!(errors.iter().any(|e| e.contains("Content Security Policy")), "{errors:#?}");
        assert_eq!(eval(&client, "window.injected ?? null").await, Value::Null);
    })
    .await;
}

#[tokio::test]
async fn an_onset_is_marked_and_the_csv_download_matches_the_view() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let query = format!("lb={PAYMENTS}&tg=targetgroup/checkout-tls/4b1e8d2c9f0a7365&from=now-24h");
    let (_, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
    let onset = body["summary"]["onset"].as_i64().expect("the demo's onset");
    with_browser(|client| async move {
        client.goto(&format!("{}/?{query}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let shown = eval(&client, "document.getElementById('summary-onset').dataset.t").await;
        assert_eq!(shown, Value::from(onset.to_string()));
        let marked = chart_option(&client, ".series[0].markLine.data[0].xAxis").await;
        assert_eq!(marked.as_i64(), Some(onset * 1_000));
        let shaded = chart_option(&client, ".series[0].markArea.data.map(pair => [pair[0].name, pair[0].xAxis])").await;
        assert_eq!(shaded, serde_json::json!([["in ALARM", onset * 1_000]]), "the demo alarm's ALARM period");
        let threshold =
            chart_option(&client, ".series[0].markLine.data.find(line => line.yAxis !== undefined).yAxis").await;
        assert_eq!(threshold, Value::from(50));
        let href = eval(&client, "document.getElementById('download-csv').getAttribute('href')").await;
        let canonical = tlswatch_shared::View::from_query(&query).unwrap().to_query();
        assert_eq!(href, Value::from(format!("/api/v1/series?{canonical}&format=csv")));
        let help = eval(&client, "document.getElementById('help').textContent").await;
        assert!(help.as_str().unwrap().contains("does not validate target certificates"));
    })
    .await;
}

#[tokio::test]
async fn a_breakdown_draws_the_top_groups_and_ranks_them_all() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?period=3600", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        client.find(Locator::Id("by")).await.unwrap().select_by_value("tg").await.unwrap();
        wait_until(&client, "location.search === '?by=tg&period=3600'").await;
        client.find(Locator::Id("top")).await.unwrap().select_by_value("5").await.unwrap();
        wait_until(&client, "location.search === '?by=tg&top=5&period=3600'").await;
        wait_until(&client, "document.querySelectorAll('#ranking tbody tr').length === 6").await;
        let first = eval(&client, "document.querySelector('#ranking tbody th').textContent").await;
        assert_eq!(first, Value::from("payments-alb · checkout-tls"));
        let lines = chart_option(&client, ".series.map(s => s.name)").await;
        let lines = lines.as_array().unwrap();
        assert_eq!(lines.len(), 6, "five groups and others: {lines:?}");
        assert_eq!(lines[5], "others (sum of 1)");
        assert_eq!(eval(&client, "document.querySelectorAll('#ranking tr.others').length").await, Value::from(1));
        client.find(Locator::Id("stack")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search === '?by=tg&top=5&period=3600&stack=on'").await;
        wait_until(&client, &format!("{CHART_OPTION}.series.every(s => s.stack === 'total')")).await;
    })
    .await;
}

#[tokio::test]
async fn both_sides_and_rates_are_shown_together() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&period=3600", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let client_side = "input[name=metric][value=ClientTLSNegotiationErrorCount]";
        client.find(Locator::Css(client_side)).await.unwrap().click().await.unwrap();
        wait_until(
            &client,
            "location.search.includes('metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount')",
        )
        .await;
        client.find(Locator::Id("rate")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search.endsWith('&rate=on')").await;
        wait_until(&client, &format!("{CHART_OPTION}.series.length === 4")).await;
        let names = chart_option(&client, ".series.map(s => s.name)").await;
        assert_eq!(
            names,
            serde_json::json!([
                "target · payments-alb",
                "client · payments-alb",
                "target · payments-alb per 1,000 requests",
                "client · payments-alb per 1,000 new connections"
            ])
        );
        assert_eq!(chart_option(&client, ".yAxis.length").await, Value::from(2));
        assert_eq!(chart_option(&client, ".series[2].yAxisIndex").await, Value::from(1));
    })
    .await;
}

/// The page loads a trimmed ECharts (frontend/echarts.js), where a chart
/// type or component the options name but the bundle lacks is silently
/// not drawn. This view sets every kind the dashboard uses.
#[tokio::test]
async fn every_kind_of_chart_element_the_dashboard_sets_is_drawn() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let query = format!("lb={PAYMENTS}&tg=targetgroup/checkout-tls/4b1e8d2c9f0a7365&from=now-24h");
    with_browser(|client| async move {
        client.goto(&format!("{}/?{query}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        // Components ECharts does not know are dropped from its option.
        let components = eval(
            &client,
            &format!(
                "['grid', 'tooltip', 'legend', 'toolbox', 'dataZoom', 'markLine', 'markArea']
                    .filter(key => !({CHART_OPTION}[key]?.length))"
            ),
        )
        .await;
        assert_eq!(components, serde_json::json!([]), "components missing from the bundle");
        let zooms = chart_option(&client, ".dataZoom.map(zoom => zoom.type)").await;
        assert_eq!(zooms, serde_json::json!(["inside", "slider"]));
        // What each component and chart view drew (ECharts' own bookkeeping).
        let views = eval(
            &client,
            "(chart => Object.fromEntries([...chart._componentsViews, ...chart._chartsViews]
                .map(view => [view.type, view.group.childCount()])))
                (echarts.getInstanceByDom(document.getElementById('chart')))",
        )
        .await;
        for kind in ["tooltip", "toolbox", "dataZoom.inside", "dataZoom.select"] {
            assert!(views.get(kind).is_some(), "no {kind} in {views}");
        }
        for kind in ["line", "markLine", "markArea", "dataZoom.slider", "legend.scroll"] {
            assert!(views[kind].as_u64() > Some(0), "{kind} drew nothing: {views}");
        }
    })
    .await;
}
