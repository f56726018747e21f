//! The chart without a mouse (issue 15): the focused chart shows its focus,
//! says which keys it takes, walks the buckets with the arrows (tooltip and
//! live region both naming the bucket's time and values), zooms with + and
//! -, writing the range to the URL as the slider does, and hides its tip on
//! Escape. Its legend lists every line without paging, and its shading has
//! edges that stand out from the page.

use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{
    CHART, TOOLTIP_TEXT, chart_option, contrast, eval, wait_for_data, wait_until, with_browser,
};

const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";
const CHECKOUT: &str = "targetgroup/checkout-tls/4b1e8d2c9f0a7365";

/// Presses `key` on whatever has the focus.
async fn press(client: &Client, key: impl Into<char>) {
    let key = key.into();
    let keys =
        KeyActions::new("keys".to_string()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("the key is pressed");
}

/// Focuses the chart once it is drawn, as Tab would.
async fn focus_the_chart(client: &Client) {
    wait_until(client, &format!("{CHART}.getWidth() > 0")).await;
    eval(client, "document.getElementById('chart').focus() ?? true").await;
    assert_eq!(eval(client, "document.activeElement.id").await, "chart");
}

/// `2026-11-28 14:05 UTC`, as the page shows a time in UTC.
async fn shown_in_utc(client: &Client, t: i64) -> String {
    let iso = eval(client, &format!("new Date({t} * 1000).toISOString()")).await;
    let iso = iso.as_str().unwrap();
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

#[tokio::test]
async fn the_arrows_walk_the_buckets_with_the_tooltip_and_a_live_region() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let day = 86_400;
    let start = (tlswatch_tests::now() / day - 2) * day;
    let query = format!("lb={PAYMENTS}&by=tg&period=300&from={start}&to={}", start + 3 * 3_600);
    with_browser(|client| async move {
        client.goto(&format!("{}/?{query}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        focus_the_chart(&client).await;
        // The focus shows, and the chart says which keys it takes.
        let ring = eval(
            &client,
            "(el => [el.matches(':focus-visible'), getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineWidth)])
                (document.getElementById('chart'))",
        )
        .await;
        assert_eq!(ring[0], true, "{ring}");
        assert_eq!(ring[1], "solid", "{ring}");
        assert!(ring[2].as_f64().unwrap() >= 2.0, "{ring}");
        let keys = eval(
            &client,
            "document.getElementById(document.getElementById('chart').getAttribute('aria-describedby')).textContent",
        )
        .await;
        for key in ["Left and Right arrows", "Home and End", "zoom", "Escape"] {
            assert!(keys.as_str().unwrap().contains(key), "{keys}");
        }
        assert_eq!(eval(&client, "document.getElementById('chart-said').textContent").await, "");
        let scrolled = eval(&client, "window.scrollY").await;

        // Right twice: the second bucket.
        press(&client, Key::Right).await;
        press(&client, Key::Right).await;
        let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
        assert_eq!(status, 200, "{body}");
        let series = body["series"].as_array().unwrap();
        assert!(series.len() >= 2, "a breakdown: {body}");
        let t = series[0]["timestamps"][1].as_i64().unwrap();
        wait_until(&client, &format!("document.getElementById('chart-said').dataset.t === '{t}'")).await;
        let values: Vec<String> = series
            .iter()
            .map(|s| match s["values"][1].as_f64() {
                Some(v) => format!("{} {v}", s["label"].as_str().unwrap()),
                None => format!("{} no data", s["label"].as_str().unwrap()),
            })
            .collect();
        let said = eval(&client, "document.getElementById('chart-said').textContent").await;
        let expected = format!("{}: {}", shown_in_utc(&client, t).await, values.join("; "));
        assert!(said.as_str().unwrap().starts_with(&expected), "said {said}, expected {expected}");
        assert_eq!(eval(&client, "document.getElementById('chart-said').getAttribute('role')").await, "status");
        // The tooltip shows the same bucket, on the canvas.
        wait_until(&client, &format!("{TOOLTIP_TEXT}.length > 0")).await;
        let tip = eval(&client, TOOLTIP_TEXT).await;
        for s in series {
            let label = s["label"].as_str().unwrap();
            assert!(tip.as_str().unwrap().contains(label), "{label} not in {tip}");
        }
        let pointer = eval(&client, &format!("{CHART}.getOption().xAxis[0].axisPointer.value")).await;
        assert_eq!(pointer.as_i64(), Some(t * 1_000), "the tooltip's bucket");

        // Left goes back one; End goes to the last, Home to the first.
        press(&client, Key::Left).await;
        let t0 = series[0]["timestamps"][0].as_i64().unwrap();
        wait_until(&client, &format!("document.getElementById('chart-said').dataset.t === '{t0}'")).await;
        press(&client, Key::End).await;
        let last = series[0]["timestamps"].as_array().unwrap().last().unwrap().as_i64().unwrap();
        wait_until(&client, &format!("document.getElementById('chart-said').dataset.t === '{last}'")).await;
        press(&client, Key::Home).await;
        wait_until(&client, &format!("document.getElementById('chart-said').dataset.t === '{t0}'")).await;
        // The keys stayed with the chart: the page did not scroll.
        assert_eq!(eval(&client, "window.scrollY").await, scrolled);

        // Escape hides the tip.
        press(&client, Key::Escape).await;
        wait_until(&client, &format!("{TOOLTIP_TEXT} === ''")).await;
    })
    .await;
}

/// The range a URL's `from` and `to` name, in seconds.
async fn url_range(client: &Client) -> Option<(i64, i64)> {
    let range = eval(
        client,
        "(q => [Date.parse(q.get('from')) / 1000, Date.parse(q.get('to')) / 1000])(new URLSearchParams(location.search))",
    )
    .await;
    Some((range[0].as_f64()? as i64, range[1].as_f64()? as i64))
}

#[tokio::test]
async fn plus_and_minus_zoom_around_the_bucket_and_write_the_range_to_the_url() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-12h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        focus_the_chart(&client).await;
        // The last bucket, then +: the last six hours.
        press(&client, Key::End).await;
        wait_until(&client, "document.getElementById('chart-said').dataset.t").await;
        let last: i64 =
            eval(&client, "Number(document.getElementById('chart-said').dataset.t)").await.as_i64().unwrap();
        press(&client, '+').await;
        wait_until(&client, "/from=\\d{4}-/.test(location.search) && /to=\\d{4}-/.test(location.search)").await;
        let (from, to) = url_range(&client).await.expect("absolute times");
        let hours = |seconds: i64| seconds as f64 / 3_600.0;
        // Half the drawn range (twelve hours, widened to whole buckets).
        assert!((6.0..6.2).contains(&hours(to - from)), "{} hours", hours(to - from));
        assert!(from <= last && last < to, "{from}..{to} holds {last}");
        // The chart draws the zoomed view's answer.
        wait_for_data(&client).await;
        wait_until(&client, &format!("(x => x.max - x.min < 6.5 * 3600e3)({CHART}.getOption().xAxis[0])")).await;

        // Back out with -: twice the range, still around the same bucket.
        assert_eq!(eval(&client, "document.activeElement.id").await, "chart");
        press(&client, '-').await;
        let span = "(q => Date.parse(q.get('to')) - Date.parse(q.get('from')))(new URLSearchParams(location.search))";
        wait_until(&client, &format!("{span} > 7 * 3600e3")).await;
        let (from2, to2) = url_range(&client).await.expect("absolute times");
        let twice = hours(to2 - from2) / hours(to - from);
        assert!((2.0..2.05).contains(&twice), "{} hours after {}", hours(to2 - from2), hours(to - from));
        assert!(from2 <= last && last < to2, "{from2}..{to2} holds {last}");
    })
    .await;
}

#[tokio::test]
async fn shading_has_edges_of_at_least_3_to_1_and_names_its_series() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        // The default view has spikes; checkout-tls's view time in ALARM.
        let mut seen = Vec::new();
        for path in ["/".to_string(), format!("/?lb={PAYMENTS}&tg={CHECKOUT}&from=now-24h")] {
            client.goto(&format!("{}{path}", tlswatch.url)).await.unwrap();
            wait_for_data(&client).await;
            let page = eval(&client, "getComputedStyle(document.body).backgroundColor").await;
            assert!(page == "rgba(0, 0, 0, 0)" || page == "rgb(255, 255, 255)", "the page is white: {page}");
            let areas = chart_option(
                &client,
                ".series.filter(s => s.markArea?.data?.length).flatMap(s => s.markArea.data.map(([start]) => [
                    s.name, start.name,
                    start.itemStyle?.borderColor ?? s.markArea.itemStyle?.borderColor ?? null,
                    start.itemStyle?.borderWidth ?? s.markArea.itemStyle?.borderWidth ?? null]))",
            )
            .await;
            for area in areas.as_array().unwrap() {
                let edge = area[2].as_str().unwrap_or_else(|| panic!("no edge: {area}"));
                assert!(contrast(edge, "#ffffff") >= 3.0, "{area}: {}", contrast(edge, "#ffffff"));
                assert!(area[3].as_f64().unwrap_or(0.0) >= 1.0, "{area}");
                // A spike names its series (as the list of marks and the live region do).
                let name = area[1].as_str().unwrap();
                assert!(name == "in ALARM" || name == format!("spike in {}", area[0].as_str().unwrap()), "{area}");
                seen.push(area[1].as_str().unwrap().to_string());
            }
        }
        // The keyboard hears the shading's name with its series: the
        // demo alarm is still in ALARM at the last bucket.
        let (_, body) = tlswatch.get(&format!("/api/v1/series?lb={PAYMENTS}&tg={CHECKOUT}&from=now-24h")).await;
        let ends = body["annotations"].as_array().unwrap().iter().filter_map(|a| a["t_end"].as_i64()).max();
        assert_eq!(ends, body["end"].as_i64(), "in ALARM to the end: {body}");
        focus_the_chart(&client).await;
        press(&client, Key::End).await;
        wait_until(&client, "document.getElementById('chart-said').textContent.length > 0").await;
        let said = eval(&client, "document.getElementById('chart-said').textContent").await;
        assert!(said.as_str().unwrap().contains("; payments-alb · checkout-tls in ALARM"), "{said}");
        // So does the eye: the tooltip names the time in ALARM, as the list of marks does.
        wait_until(&client, &format!("{TOOLTIP_TEXT}.includes('in ALARM')")).await;

        // And a spike, on the bucket where it is, in the tooltip of the default view.
        let (_, body) = tlswatch.get("/api/v1/series").await;
        let spike = body["annotations"].as_array().unwrap().iter().find(|a| a["kind"] == "spike").cloned();
        let spike = spike.unwrap_or_else(|| panic!("the default view has a spike: {body}"));
        let index = (spike["t"].as_i64().unwrap() - body["start"].as_i64().unwrap()) / body["period"].as_i64().unwrap();
        client.goto(&tlswatch.url).await.unwrap();
        wait_for_data(&client).await;
        let series_index =
            chart_option(&client, &format!(".series.findIndex(s => s.id === {})", spike["series"])).await;
        eval(
            &client,
            &format!(
                "{CHART}.dispatchAction({{type: 'showTip', seriesIndex: {series_index}, dataIndex: {index}}}) ?? true"
            ),
        )
        .await;
        wait_until(&client, &format!("{TOOLTIP_TEXT}.includes('spike')")).await;
        // Away from every mark, the tooltip names none.
        let first = body["start"].as_i64();
        assert!(body["annotations"].as_array().unwrap().iter().all(|a| a["t"].as_i64() != first), "{body}");
        eval(&client, &format!("{CHART}.dispatchAction({{type: 'showTip', seriesIndex: 0, dataIndex: 0}}) ?? true"))
            .await;
        wait_until(&client, &format!("{TOOLTIP_TEXT}.length > 0 && !{TOOLTIP_TEXT}.includes('spike')")).await;
        assert!(seen.iter().any(|name| name.starts_with("spike in ")), "{seen:?}");
        assert!(seen.iter().any(|name| name == "in ALARM"), "{seen:?}");
    })
    .await;
}

#[tokio::test]
async fn the_legend_shows_every_line_without_paging_and_above_the_plot() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        for width in [1280, 390] {
            client.set_window_size(width, 900).await.unwrap();
            client.goto(&format!("{}/?by=tg&top=20&period=3600", tlswatch.url)).await.unwrap();
            wait_for_data(&client).await;
            wait_until(&client, &format!("{CHART}.getWidth() > 0")).await;
            // Laid out at the element's width (the legend follows it).
            wait_until(
                &client,
                &format!("Math.abs({CHART}.getWidth() - document.getElementById('chart').clientWidth) < 1"),
            )
            .await;
            let legend = eval(
                &client,
                &format!(
                    "(chart => {{
                        const view = chart._componentsViews.find(v => v.type.startsWith('legend'));
                        const box = view.group.getBoundingRect();
                        const names = new Set(chart.getOption().series.map(s => s.name));
                        return [view.type, view.getContentGroup().childCount(), names.size,
                            view.group.y + box.y + box.height, chart.getOption().grid[0].top,
                            chart.getHeight() - chart.getOption().grid[0].top - chart.getOption().grid[0].bottom];
                    }})({CHART})"
                ),
            )
            .await;
            assert_eq!(legend[0], "legend.plain", "{legend}");
            assert_eq!(legend[1], legend[2], "every line in the legend: {legend}");
            let (bottom, top) = (legend[3].as_f64().unwrap(), legend[4].as_f64().unwrap());
            assert!(bottom + 16.0 <= top, "the legend ends at {bottom}, the plot starts at {top}");
            // The chart grows by the legend's rows: the plot keeps the
            // height it has under a one-row legend (340 px less 56 and 72).
            let plot = legend[5].as_f64().unwrap();
            assert!(plot >= 212.0, "a plot {plot} px high: {legend}");
            if width == 390 {
                assert!(top > 56.0, "several rows at {width} px: {legend}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn lines_are_shown_and_hidden_from_the_keyboard_in_step_with_the_legend() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&tlswatch.url).await.unwrap();
        wait_for_data(&client).await;
        wait_until(&client, &format!("{CHART}.getWidth() > 0")).await;
        let names = chart_option(&client, ".series.filter(s => !/-(partial|bridge|notes)$/.test(s.id)).map(s => s.name)").await;
        let buttons = eval(
            &client,
            "[...document.querySelectorAll('.line-toggles button')].map(b => [b.textContent, b.getAttribute('aria-pressed')])",
        )
        .await;
        let expected: Vec<serde_json::Value> =
            names.as_array().unwrap().iter().map(|name| serde_json::json!([name, "true"])).collect();
        assert!(expected.len() >= 2, "a breakdown: {names}");
        assert_eq!(buttons, serde_json::Value::from(expected), "one pressed toggle per line, in the legend's order");
        let first = names[0].as_str().unwrap().to_string();
        let selected = |name: &str| format!("{CHART}.getOption().legend[0].selected?.[{name:?}] !== false");

        // Tab to the first toggle and press Space: its line is hidden, and that is said.
        eval(&client, "document.querySelector('.line-toggles button').focus() ?? true").await;
        press(&client, ' ').await;
        wait_until(&client, &format!("!({})", selected(&first))).await;
        let button = "document.querySelector('.line-toggles button')";
        assert_eq!(eval(&client, &format!("{button}.getAttribute('aria-pressed')")).await, "false");
        let said = eval(&client, "document.getElementById('chart-said').textContent").await;
        assert_eq!(said, serde_json::Value::from(format!("{first} hidden")));
        // Enter shows it again.
        press(&client, Key::Enter).await;
        wait_until(&client, &selected(&first)).await;
        assert_eq!(eval(&client, &format!("{button}.getAttribute('aria-pressed')")).await, "true");

        // A click on the canvas legend (ECharts' own toggle) moves the button too.
        eval(&client, &format!("{CHART}.dispatchAction({{type: 'legendToggleSelect', name: {first:?}}}) ?? true")).await;
        wait_until(&client, &format!("{button}.getAttribute('aria-pressed') === 'false'")).await;
        assert_eq!(tlswatch_tests::browser::axe_findings(&client).await, Vec::<String>::new());
    })
    .await;
}
