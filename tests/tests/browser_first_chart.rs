//! The first chart of a shared link, in headless Chromium against the built
//! `tlswatch` on the demo source: its series request leaves before the
//! WebAssembly starts (boot.js) and is used only when it is the request the
//! app would send; the catalog and the pickers' choices are asked beside it;
//! what the chart does not need waits; dense views are sampled. How long it
//! all takes is the bench's to measure (`cargo xtask bench page`), not these
//! tests'.

use fantoccini::Client;
use serde_json::Value;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{CHART_LINES, CHART_OPTION, eval, wait_for_data, with_browser};

const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";

/// The page's requests to `path` in the order they started, as
/// `[query string, start, end]` (ms from navigation start).
async fn requests(client: &Client, path: &str) -> Vec<(String, f64, f64)> {
    let entries = eval(
        client,
        &format!(
            "performance.getEntriesByType('resource')
                .filter(e => new URL(e.name).pathname === '{path}')
                .sort((a, b) => a.startTime - b.startTime)
                .map(e => [new URL(e.name).search, e.startTime, e.responseEnd])"
        ),
    )
    .await;
    entries
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| (e[0].as_str().unwrap_or_default().to_string(), e[1].as_f64().unwrap(), e[2].as_f64().unwrap()))
        .collect()
}

/// When the page set the mark `name`, in ms from navigation start.
async fn mark(client: &Client, name: &str) -> f64 {
    let at = eval(client, &format!("performance.getEntriesByName('{name}')[0]?.startTime ?? null")).await;
    at.as_f64().unwrap_or_else(|| panic!("no {name} mark"))
}

#[tokio::test]
async fn a_shared_link_asks_for_its_series_before_the_app_starts_and_draws_that_answer() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-24h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;

        // One series request, sent before the WebAssembly started: the
        // app drew the answer boot.js asked for rather than asking again.
        let series = requests(&client, "/api/v1/series").await;
        assert_eq!(series.len(), 1, "{series:?}");
        let started = mark(&client, "tlswatch:wasm-started").await;
        assert!(
            series[0].1 < started,
            "the series request left at {} ms, the app started at {started} ms",
            series[0].1
        );
        assert_eq!(series[0].0, format!("?lb={PAYMENTS}&from=now-24h"));

        // The catalog and the pickers' choices are asked when the app
        // starts, beside the series: the choices do not wait for the
        // catalog's answer to build the form, nor the chart for either.
        let drawn = mark(&client, "tlswatch:chart-drawn").await;
        let catalog = requests(&client, "/api/v1/catalog").await;
        let dimensions = requests(&client, "/api/v1/dimensions").await;
        assert_eq!((catalog.len(), dimensions.len()), (1, 1), "{catalog:?} {dimensions:?}");
        assert!(catalog[0].1 < drawn && dimensions[0].1 < drawn, "{catalog:?} {dimensions:?}, drawn at {drawn} ms");

        // The review, under the chart, is asked once the chart is drawn.
        let review = requests(&client, "/api/v1/review").await;
        assert_eq!(review.len(), 1, "{review:?}");
        assert!(review[0].1 >= drawn, "the review was asked at {} ms, before the chart ({drawn} ms)", review[0].1);
    })
    .await;
}

#[tokio::test]
async fn a_preloaded_answer_to_another_request_is_never_drawn() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        // The same view written in another order is the same request.
        client.goto(&format!("{}/?from=now-24h&lb={PAYMENTS}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(requests(&client, "/api/v1/series").await.len(), 1);

        // A link whose query asks the API something else than the chart
        // needs: `format=csv` answers CSV, `tz=local` only changes how the
        // page shows times. The app asks its own request and draws that.
        for extra in ["format=csv", "tz=local"] {
            client.goto(&format!("{}/?lb={PAYMENTS}&from=now-24h&{extra}", tlswatch.url)).await.unwrap();
            wait_for_data(&client).await;
            let series = requests(&client, "/api/v1/series").await;
            assert_eq!(series.len(), 2, "{extra}: {series:?}");
            assert_eq!(series[0].0, format!("?lb={PAYMENTS}&from=now-24h&{extra}"));
            assert!(series[1].0.contains(&format!("lb={PAYMENTS}")) && !series[1].0.contains(extra), "{series:?}");
            assert_eq!(eval(&client, "document.querySelector('.error') === null").await, Value::Bool(true), "{extra}");
            assert_eq!(eval(&client, &format!("{CHART_LINES}.length")).await, Value::from(1), "{extra}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_chart_is_drawn_without_animation_and_dense_lines_are_sampled() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&by=tg&period=60&from=now-24h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(eval(&client, &format!("{CHART_OPTION}.animation")).await, Value::Bool(false));
        // Every line keeps its shape and its spikes when it has more
        // buckets than the plot has pixels.
        let lines = eval(&client, &format!("{CHART_LINES}.map(s => [s.data.length, s.sampling])")).await;
        let lines = lines.as_array().expect("a list");
        assert!(lines.len() > 1, "{lines:?}");
        for line in lines {
            assert!(line[0].as_u64().unwrap() > 1_000, "{line}");
            assert_eq!(line[1], "lttb", "{line}");
        }
    })
    .await;
}
