//! The dashboard in a real browser (headless Chromium) against the built
//! `tlswatch` on the demo source: links restore views, controls write the URL,
//! refused views show the API's message, and "pin time" makes links absolute.

use fantoccini::{Client, Locator};
use serde_json::Value;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{
    CHART, CHART_LINES, CHART_OPTION, TOOLTIP_TEXT, chart_lines, chart_option, control_value, eval,
    open_until_it_agrees_with_the_api, wait_for_data, wait_until, with_browser,
};

const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";

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
        // The summary the page shows is the API's.
        open_until_it_agrees_with_the_api(
            &client,
            &tlswatch,
            &query,
            || page_summary(&client),
            |shown, body| *shown == api_summary(body),
        )
        .await;

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

        // The chart is drawn, with one line of 7 days of hourly buckets
        // (the last ones on its dashed tail, as they are still filling).
        assert_eq!(eval(&client, "!!document.querySelector('#chart canvas')").await, Value::Bool(true));
        let lines = chart_lines(&client, ".map(s => s.name)").await;
        assert_eq!(lines, serde_json::json!(["payments-alb"]));
        let buckets = eval(
            &client,
            &format!("new Set({CHART_OPTION}.series.flatMap(s => s.data.map(p => (p.value ?? p)[0]))).size"),
        )
        .await;
        assert!(buckets.as_u64().unwrap() >= 168, "{buckets}");
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

        // The controls stay the same elements while views load (a mark on one survives).
        eval(&client, "document.getElementById('stat').dataset.mark = 'kept'").await;
        client.find(Locator::Id("stat")).await.unwrap().select_by_value("Average").await.unwrap();
        wait_until(&client, "location.search === '?stat=Average'").await;
        client.find(Locator::Id("period")).await.unwrap().select_by_value("3600").await.unwrap();
        wait_until(&client, "location.search === '?stat=Average&period=3600'").await;
        let box_ = client.find(Locator::Css(&format!("input[name=lb][value=\"{PAYMENTS}\"]"))).await.unwrap();
        box_.click().await.unwrap();
        let expected = format!("?lb={PAYMENTS}&stat=Average&period=3600");
        wait_until(&client, &format!("location.search === '{expected}'")).await;
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "document.getElementById('stat').dataset.mark ?? null").await, "kept");

        client.refresh().await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "location.search").await, Value::from(expected.as_str()));
        assert_eq!(control_value(&client, "stat").await, "Average");
        assert_eq!(control_value(&client, "period").await, "3600");
        let series = chart_lines(&client, ".map(s => s.name)").await;
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
        let why = eval(&client, "document.getElementById(document.getElementById('pin-time').getAttribute('aria-describedby'))?.textContent").await;
        assert_eq!(why, "The range is already pinned to fixed times.", "the disabled button says why");
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
    assert!(policy.contains("; style-src 'self';"), "styles from the page's own files only: {policy}");
    assert!(!policy.contains("'unsafe-eval'") && !policy.contains("'unsafe-inline'"), "{policy}");
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-12h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        // Hovering draws the tooltip; ECharts' HTML tooltip would be markup
        // with inline styles, so the page has it drawn on the canvas.
        eval(&client, &format!("{CHART}.dispatchAction({{type: 'showTip', seriesIndex: 0, dataIndex: 5}}) ?? true"))
            .await;
        wait_until(&client, &format!("{TOOLTIP_TEXT}.includes('payments-alb')")).await;
        let errors = tlswatch_tests::browser::console_errors(&client).await;
        assert!(errors.is_empty(), "console errors under the policy: {errors:#?}");

        // The check can see a violation: an injected inline script is refused.
        eval(&client, "(() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.body.appendChild(s); return true })()").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let errors = tlswatch_tests::browser::console_errors(&client).await;
        assert!(errors.iter().any(|e| e.contains("Content Security Policy")), "{errors:#?}");
        assert_eq!(eval(&client, "window.injected ?? null").await, Value::Null);

        // So is an inline style, as ECharts' HTML tooltip would have.
        eval(
            &client,
            "document.body.insertAdjacentHTML('beforeend', '<p id=\"injected\" style=\"color: rgb(255, 0, 0)\">x</p>') ?? true",
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let errors = tlswatch_tests::browser::console_errors(&client).await;
        assert!(errors.iter().any(|e| e.contains("Content Security Policy") && e.contains("style")), "{errors:#?}");
        let color = eval(&client, "getComputedStyle(document.getElementById('injected')).color").await;
        assert_ne!(color, Value::from("rgb(255, 0, 0)"));
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
        let lines = chart_lines(&client, ".map(s => s.name)").await;
        let lines = lines.as_array().unwrap();
        assert_eq!(lines.len(), 6, "five groups and others: {lines:?}");
        assert_eq!(lines[5], "others (sum of 1)");
        assert_eq!(eval(&client, "document.querySelectorAll('#ranking tr.others').length").await, Value::from(1));
        client.find(Locator::Id("stack")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search === '?by=tg&top=5&period=3600&stack=on'").await;
        wait_until(&client, &format!("{CHART_LINES}.every(s => s.stack === 'total')")).await;
        // The tails of the buckets still filling stack among themselves.
        let tails = chart_option(&client, ".series.filter(s => s.id.endsWith('-partial')).map(s => s.stack)").await;
        assert_eq!(tails, serde_json::json!(vec!["partial"; 6]));
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
        wait_until(&client, &format!("{CHART_LINES}.length === 4")).await;
        let names = chart_lines(&client, ".map(s => s.name)").await;
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
        for kind in ["line", "markLine", "markArea", "dataZoom.slider", "legend.plain"] {
            assert!(views[kind].as_u64() > Some(0), "{kind} drew nothing: {views}");
        }
    })
    .await;
}

/// The partial tail of the first line, in the chart's option: `[t, value,
/// note]` per point; `null` when the chart has none.
const PARTIAL_TAIL: &str = "(tail => tail && tail.data.map(p => p.value ?? p))
    (echarts.getInstanceByDom(document.getElementById('chart')).getOption().series.find(s => s.id === 'm0-partial'))";

#[tokio::test]
async fn buckets_still_filling_are_drawn_apart_and_the_summary_says_so() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let query = format!("lb={PAYMENTS}&from=now-24h");
    with_browser(|client| async move {
        // The page says where the buckets still filling start, as the API does.
        let read = || eval(&client, "document.getElementById('summary-partial')?.dataset.t ?? null");
        let (_, body) = open_until_it_agrees_with_the_api(&client, &tlswatch, &query, read, |shown, body| {
            shown.as_str().and_then(|t| t.parse::<i64>().ok()) == body["partial_from"].as_i64()
        })
        .await;
        let partial_from = body["partial_from"].as_i64().expect("a relative view ends with partial buckets");
        let (start, end, period) =
            (body["start"].as_i64().unwrap(), body["end"].as_i64().unwrap(), body["period"].as_i64().unwrap());
        let grid: Vec<i64> = (start..end).step_by(period as usize).map(|t| t * 1_000).collect();
        let is_partial = |t: &i64| *t >= partial_from * 1_000;

        // The line stops at the last final bucket...
        let line: Vec<i64> = serde_json::from_value(
            chart_option(&client, ".series.find(s => s.id === 'm0').data.map(p => (p.value ?? p)[0])").await,
        )
        .unwrap();
        assert_eq!(line, grid.iter().copied().filter(|t| !is_partial(t)).collect::<Vec<_>>());
        // ...the tail marks exactly the buckets from `partial_from` on...
        let tail = eval(&client, PARTIAL_TAIL).await;
        let tail = tail.as_array().expect("a partial tail");
        let marked: Vec<i64> =
            tail.iter().filter(|p| p[2] == "still filling").map(|p| p[0].as_i64().unwrap()).collect();
        assert_eq!(marked, grid.iter().copied().filter(is_partial).collect::<Vec<_>>());
        assert_eq!(marked.len(), tail.len(), "every point of the tail is still filling");
        // ...and a dashed bridge joins them, without a tooltip of its own.
        let bridge = chart_option(
            &client,
            ".series.filter(s => s.id === 'm0-bridge').map(s => [s.data.map(p => p[0]), s.lineStyle.type, s.tooltip.show])[0]",
        )
        .await;
        let first_partial = partial_from * 1_000;
        assert_eq!(bridge, serde_json::json!([[first_partial - period * 1_000, first_partial], "dashed", false]));
        let style = chart_option(
            &client,
            ".series.filter(s => s.id === 'm0-partial').map(s => [s.name, s.lineStyle.type, s.symbol])[0]",
        )
        .await;
        assert_eq!(style, serde_json::json!(["payments-alb", "dashed", "emptyCircle"]));
        // What the tooltip says over a partial bucket.
        let tail_index = chart_option(&client, ".series.findIndex(s => s.id === 'm0-partial')").await;
        let last = tail.len() - 1;
        eval(
            &client,
            &format!(
                "{CHART}.dispatchAction({{type: 'showTip', seriesIndex: {tail_index}, dataIndex: {last}}}) ?? true"
            ),
        )
        .await;
        wait_until(&client, &format!("{TOOLTIP_TEXT}.includes('still filling')")).await;
        // Over the last final bucket, where the bridge starts, the line is listed once.
        let last_final = line.len() - 1;
        eval(&client, &format!("{CHART}.dispatchAction({{type: 'showTip', seriesIndex: 0, dataIndex: {last_final}}}) ?? true"))
            .await;
        wait_until(&client, &format!("!{TOOLTIP_TEXT}.includes('still filling')")).await;
        let rows = eval(&client, &format!("{TOOLTIP_TEXT}.split('payments-alb').length - 1")).await;
        assert_eq!(rows, 1, "{}", eval(&client, TOOLTIP_TEXT).await);

        let note = eval(&client, "document.getElementById('summary-partial').textContent").await;
        assert!(note.as_str().unwrap().contains("still filling: CloudWatch may still add to"), "{note}");

        // A range that ended long ago is final: no tail, no note.
        let day = 86_400;
        let past = format!("lb={PAYMENTS}&from={}&to={}", (start / day - 3) * day, (start / day - 2) * day);
        client.goto(&format!("{}/?{past}", tlswatch.url)).await.unwrap();
        wait_until(&client, "location.search.includes('from=')").await;
        wait_for_data(&client).await;
        wait_until(&client, &format!("{CHART_OPTION}.xAxis[0].max === {}", (start / day - 2) * day * 1_000)).await;
        assert_eq!(eval(&client, PARTIAL_TAIL).await, Value::Null);
        assert_eq!(eval(&client, "!!document.getElementById('summary-partial')").await, Value::Bool(false));
        let buckets = chart_option(&client, ".series[0].data.length").await;
        assert_eq!(buckets, Value::from(day / 300), "every bucket on the line");
    })
    .await;
}

/// For each series the chart drew (its own model, not the option): the
/// values with no value on either side, and which of them have a visible
/// symbol; and how many symbols are drawn on values that have a neighbour.
/// A point of a line and the same point at the start of its dashed tail
/// count once.
const LONE_VALUES: &str = "(chart => {
    const lines = new Map();
    for (const series of chart.getModel().getSeries()) {
        const data = series.getData();
        const [x, y] = [data.mapDimension('x'), data.mapDimension('y')];
        const points = lines.get(series.name) ?? new Map();
        lines.set(series.name, points);
        for (let i = 0; i < data.count(); i++) {
            const el = data.getItemGraphicEl(i);
            const shown = !!el && !el.ignore && !el.invisible && el.childCount() > 0
                && data.getItemVisual(i, 'symbol') !== 'none' && data.getItemVisual(i, 'symbolSize') > 0;
            const t = data.get(x, i);
            const point = points.get(t) ?? {value: data.get(y, i), shown: false};
            point.shown ||= shown;
            points.set(t, point);
        }
    }
    const report = {lone: 0, lone_hidden: [], crowded: 0};
    for (const [name, points] of lines) {
        const sorted = [...points.entries()].sort((a, b) => a[0] - b[0]).map(entry => entry[1]);
        const has = i => i >= 0 && i < sorted.length && !isNaN(sorted[i].value);
        sorted.forEach((point, i) => {
            if (!has(i)) return;
            if (!has(i - 1) && !has(i + 1)) {
                report.lone++;
                if (!point.shown) report.lone_hidden.push([name, i]);
            } else if (point.shown) {
                report.crowded++;
            }
        });
    }
    return report;
})(echarts.getInstanceByDom(document.getElementById('chart')))";

#[tokio::test]
async fn a_value_between_two_empty_buckets_is_drawn_as_a_point() {
    let tlswatch = Tlswatch::demo_with_frontend();
    // Hourly maxima of a load balancer with scattered errors: gaps around single values.
    let query = "lb=app/edge-alb/50dc6c495c0c9188&stat=Maximum&period=3600&from=now-7d";
    with_browser(|client| async move {
        client.goto(&format!("{}/?{query}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let report = eval(&client, LONE_VALUES).await;
        assert!(report["lone"].as_u64() > Some(0), "the view has values between gaps: {report}");
        assert_eq!(report["lone_hidden"], serde_json::json!([]), "{report}");
        // Values on a drawn line get no symbol, except on the dashed tail
        // (hollow points on the buckets still filling).
        let tail_points = eval(&client, &format!("{PARTIAL_TAIL}.filter(p => p[2] && p[1] !== null).length")).await;
        assert!(report["crowded"].as_u64() <= tail_points.as_u64(), "{report} vs {tail_points}");
    })
    .await;
}

#[tokio::test]
async fn each_metric_choice_is_on_its_own_line_on_a_desktop_screen() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "window.innerWidth").await, Value::from(1280), "the desktop layout");
        let boxes = eval(
            &client,
            "[...document.querySelectorAll('#metric-picker label')].map(label => {
                const box = label.getBoundingClientRect();
                return [label.textContent.trim(), box.top, box.bottom];
            })",
        )
        .await;
        let boxes = boxes.as_array().unwrap();
        assert_eq!(boxes.len(), 2, "{boxes:?}");
        assert_eq!(boxes[0][0], "Target side (load balancer to targets)");
        assert_eq!(boxes[1][0], "Client side (clients to the listener)");
        assert!(boxes[1][1].as_f64().unwrap() >= boxes[0][2].as_f64().unwrap() - 0.5, "one below the other: {boxes:?}");
    })
    .await;
}

#[tokio::test]
async fn while_the_next_view_loads_the_last_chart_stays_and_the_page_says_so() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&period=3600", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        // Choose another statistic and look at the page the moment it says "Loading…".
        let seen = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                const note = document.querySelector('.loading');
                new MutationObserver((_, observer) => {
                    if (note.classList.contains('hidden')) return;
                    observer.disconnect();
                    const chart = document.getElementById('chart');
                    done({
                        axis: chart && echarts.getInstanceByDom(chart).getOption().yAxis[0].name,
                        shown: !!chart && !chart.classList.contains('hidden'),
                        summary: !!document.getElementById('summary-buckets'),
                    });
                }).observe(note, {attributes: true});
                const stat = document.getElementById('stat');
                stat.value = 'Maximum';
                stat.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![],
            )
            .await
            .expect("the page says it is loading");
        assert_eq!(seen, serde_json::json!({"axis": "Sum", "shown": true, "summary": true}));
        wait_until(&client, &format!("{CHART_OPTION}.yAxis[0].name === 'Maximum'")).await;
        wait_for_data(&client).await;
    })
    .await;
}

/// The JavaScript expression of `[drawn width, drawn height, element width,
/// element height]` of the chart.
const CHART_SIZE: &str =
    "(element => (chart => [chart.getWidth(), chart.getHeight(), element.clientWidth, element.clientHeight])
    (echarts.getInstanceByDom(element)))(document.getElementById('chart'))";

#[tokio::test]
async fn the_chart_fills_its_element_and_follows_the_window() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let drawn_at_element_size =
            format!("(([w, h, ew, eh]) => w > 0 && h > 0 && w === ew && h === eh)({CHART_SIZE})");
        wait_until(&client, &drawn_at_element_size).await;
        let wide = eval(&client, CHART_SIZE).await[0].as_u64().unwrap();
        client.set_window_size(1000, 800).await.unwrap();
        wait_until(&client, &format!("{drawn_at_element_size} && {CHART_SIZE}[0] < {wide}")).await;
    })
    .await;
}

#[tokio::test]
async fn links_between_the_overview_and_the_dashboard_add_one_history_entry_each_and_back_and_forward_walk_them() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/overview", tlswatch.url)).await.unwrap();
        let row_link = "document.querySelector('#fleet th[scope=row] a')";
        wait_until(&client, &format!("{row_link} !== null")).await;
        let before = eval(&client, "history.length").await.as_u64().unwrap();
        let href = eval(&client, &format!("{row_link}.getAttribute('href')")).await;
        let href = href.as_str().expect("a link to the row's view").to_string();
        let search = href.trim_start_matches('/').to_string();
        client.find(Locator::Css("#fleet th[scope=row] a")).await.unwrap().click().await.unwrap();
        // A page of its own: the dashboard loads at the row's view, one entry later.
        wait_until(&client, &format!("location.pathname === '/' && location.search === {search:?}")).await;
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "history.length").await.as_u64(), Some(before + 1), "one entry for one link");

        client.back().await.unwrap();
        wait_until(&client, "location.pathname === '/overview'").await;
        wait_until(&client, &format!("{row_link} !== null")).await;
        client.forward().await.unwrap();
        wait_until(&client, &format!("location.pathname === '/' && location.search === {search:?}")).await;
        wait_for_data(&client).await;

        // And back to the overview from the dashboard's masthead.
        client.find(Locator::Css("nav[aria-label=Pages] a")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.pathname === '/overview'").await;
        wait_until(&client, &format!("{row_link} !== null")).await;
        assert_eq!(eval(&client, "history.length").await.as_u64(), Some(before + 2));
        client.back().await.unwrap();
        wait_until(&client, &format!("location.pathname === '/' && location.search === {search:?}")).await;
        wait_for_data(&client).await;
    })
    .await;
}
