//! The dashboard's accessibility and usability review (issue 15), in a real
//! browser: a link with one bad parameter keeps the good ones, the wheel
//! scrolls the page, series are told apart without colour, the marks on
//! the chart are text too, and controls neither act too eagerly nor lose
//! the keyboard's place. axe-core checks several views for WCAG A/AA
//! violations.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions, WheelAction, WheelActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::Value;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{
    CHART, chart_lines, contrast, control_value, eval, open_until_it_agrees_with_the_api, wait_for_data, wait_until,
    with_browser,
};

const EDGE: &str = "app/edge-alb/50dc6c495c0c9188";
const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";

#[tokio::test]
async fn an_invalid_link_keeps_its_valid_parameters_in_the_controls_and_the_next_url() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let (status, body) = tlswatch.get("/api/v1/series?period=7").await;
    assert_eq!(status, 400);
    let message = body["error"]["message"].as_str().unwrap().to_string();
    let link = format!("/?lb={EDGE}&by=az&stat=Maximum&period=7&from=now-7d");
    with_browser(|client| async move {
        client.goto(&format!("{}{link}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('.error-message')").await;
        // The valid parameters are in the controls...
        let lb_box = format!("document.querySelector('input[name=lb][value=\"{EDGE}\"]')");
        wait_until(&client, &format!("{lb_box}?.checked")).await;
        assert_eq!(control_value(&client, "stat").await, "Maximum");
        assert_eq!(control_value(&client, "by").await, "az");
        assert_eq!(control_value(&client, "range").await, "now-7d");
        // ...the one error is beside its field, named once...
        let alert = eval(&client, "document.querySelector('[role=alert] .error-message').textContent").await;
        assert_eq!(alert, Value::from(message.as_str()));
        assert_eq!(message.matches("period").count(), 1, "{message}");
        let beside = eval(&client, "document.getElementById('period-error').textContent").await;
        assert_eq!(beside, Value::from(message.as_str()));
        let period = eval(
            &client,
            "['aria-invalid', 'aria-describedby'].map(a => document.getElementById('period').getAttribute(a))",
        )
        .await;
        assert_eq!(period, serde_json::json!(["true", "period-error"]));
        // ...and nothing offers to share or download a view that is not one.
        let sharing = eval(
            &client,
            "[document.getElementById('copy-link').disabled, document.getElementById('pin-time').disabled,
              document.getElementById('download-csv').hasAttribute('href')]",
        )
        .await;
        assert_eq!(sharing, serde_json::json!([true, true, false]));

        // The next change keeps every valid parameter.
        client.find(Locator::Id("tz")).await.unwrap().select_by_value("local").await.unwrap();
        let next = format!("?lb={EDGE}&by=az&stat=Maximum&from=now-7d&tz=local");
        wait_until(&client, &format!("location.search === '{next}'")).await;
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "!!document.getElementById('period-error')").await, Value::Bool(false));
        assert_eq!(eval(&client, "document.getElementById('period').hasAttribute('aria-invalid')").await, false);
        let csv = eval(&client, "document.getElementById('download-csv').getAttribute('href')").await;
        assert_eq!(csv, Value::from(format!("/api/v1/series?lb={EDGE}&by=az&stat=Maximum&from=now-7d&format=csv")));

        // The invalid link offers the rest of its view...
        client.goto(&format!("{}{link}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.getElementById('drop-invalid')").await;
        client.find(Locator::Id("drop-invalid")).await.unwrap().click().await.unwrap();
        let rest = format!("?lb={EDGE}&by=az&stat=Maximum&from=now-7d");
        wait_until(&client, &format!("location.search === '{rest}'")).await;
        wait_for_data(&client).await;

        // ...and the default view.
        client.goto(&format!("{}{link}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.getElementById('reset-view')").await;
        client.find(Locator::Id("reset-view")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search === ''").await;
        wait_for_data(&client).await;
        assert_eq!(control_value(&client, "stat").await, "Sum");
    })
    .await;
}

/// The chart's element's centre, in viewport pixels, once the chart is in view.
async fn chart_centre(client: &Client) -> (i64, i64) {
    let centre = eval(
        client,
        "(r => [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)])
            (document.getElementById('chart').getBoundingClientRect())",
    )
    .await;
    (centre[0].as_i64().unwrap(), centre[1].as_i64().unwrap())
}

fn wheel_at((x, y): (i64, i64), delta_y: i64) -> WheelActions {
    WheelActions::new("wheel".to_string()).then(WheelAction::Scroll { duration: None, x, y, delta_x: 0, delta_y })
}

#[tokio::test]
async fn the_wheel_over_the_chart_scrolls_the_page_and_zooms_only_with_ctrl() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.set_window_size(1280, 700).await.unwrap();
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-12h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        wait_until(&client, "document.documentElement.scrollHeight > window.innerHeight + 300").await;
        wait_until(&client, &format!("{CHART}.getWidth() > 0")).await;
        // The summary's sentence on the change before the onset arrives after
        // the chart, one line above it: measured once it is there.
        wait_until(&client, "document.querySelector('#summary-onset-change')").await;
        // The wheel beside the chart scrolls the page (and warms the input up)...
        client.perform_actions(wheel_at((20, 300), 100)).await.unwrap();
        wait_until(&client, "window.scrollY > 0").await;
        // (A wheel gesture ends when the wheel rests.)
        tokio::time::sleep(Duration::from_millis(500)).await;
        // ...and so does the wheel over it, which the chart leaves to the page.
        let before = eval(&client, "window.scrollY").await.as_f64().unwrap();
        let zoom = format!("{CHART}.getOption().dataZoom.map(z => [z.start, z.end, z.startValue, z.endValue])");
        let zoom_before = eval(&client, &zoom).await;
        let centre = chart_centre(&client).await;
        assert!(centre.1 > 0 && centre.1 < 700, "the chart is in view: {centre:?}");
        client.perform_actions(wheel_at(centre, 200)).await.unwrap();
        // The page scrolled: the wheel event has been dispatched, and ECharts
        // zooms while it is (synchronously), so its zoom would show by now.
        wait_until(&client, &format!("window.scrollY > {before}")).await;
        assert_eq!(eval(&client, &zoom).await, zoom_before, "ECharts never saw the wheel: nothing zoomed");
        assert_eq!(eval(&client, "location.search").await, Value::from(format!("?lb={PAYMENTS}&from=now-12h")));

        // With Ctrl held, the wheel zooms (and the zoom is a view).
        let centre = chart_centre(&client).await;
        let keys = KeyActions::new("keys".to_string())
            .then(KeyAction::Down { value: Key::Control.into() })
            .pause(Duration::from_millis(0))
            .then(KeyAction::Up { value: Key::Control.into() });
        let wheel = WheelActions::new("wheel".to_string()).pause(Duration::from_millis(0)).then(WheelAction::Scroll {
            duration: None,
            x: centre.0,
            y: centre.1,
            delta_x: 0,
            delta_y: -300,
        });
        client.perform_actions(fantoccini::actions::Actions::from(keys).and(wheel)).await.unwrap();
        wait_until(&client, "/from=\\d{4}-/.test(location.search) && /to=\\d{4}-/.test(location.search)").await;
    })
    .await;
}

#[tokio::test]
async fn series_are_told_apart_without_colour_and_others_are_marked_in_the_ranking() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?by=tg&top=20&period=3600", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let styles = chart_lines(&client, ".map(s => [s.name, s.lineStyle?.color, JSON.stringify(s.lineStyle?.type)])").await;
        let styles = styles.as_array().unwrap();
        assert!(styles.len() >= 6, "a breakdown with many lines: {styles:?}");
        let mut seen = std::collections::BTreeSet::new();
        for style in styles {
            let colour = style[1].as_str().unwrap_or_else(|| panic!("no colour: {style}"));
            assert!(contrast(colour, "#ffffff") >= 3.0, "{style}: {}", contrast(colour, "#ffffff"));
            assert!(seen.insert((colour.to_string(), style[2].to_string())), "colour and dash repeat: {style}");
        }
        // The first lines differ in dash too, not in colour alone.
        let dashes: std::collections::BTreeSet<String> = styles.iter().take(4).map(|s| s[2].to_string()).collect();
        assert_eq!(dashes.len(), 4, "{styles:?}");
        // A partial tail keeps its line's colour.
        let tails = eval(
            &client,
            &format!(
                "(all => all.filter(s => s.id.endsWith('-partial')).every(t =>
                    t.lineStyle.color === all.find(s => s.id === t.id.replace('-partial', '')).lineStyle.color))
                    ({CHART}.getOption().series)"
            ),
        )
        .await;
        assert_eq!(tails, Value::Bool(true));

        // The ranking says in words which rows are summed as others.
        client.find(Locator::Id("top")).await.unwrap().select_by_value("5").await.unwrap();
        wait_until(&client, "location.search === '?by=tg&top=5&period=3600'").await;
        wait_until(&client, "document.querySelectorAll('#ranking tbody tr').length === 6").await;
        let column = eval(
            &client,
            "[...document.querySelectorAll('#ranking tbody tr')].map(r => [r.classList.contains('others'), r.cells[r.cells.length - 1].textContent])",
        )
        .await;
        for row in column.as_array().unwrap() {
            let expected = if row[0] == Value::Bool(true) { "in others" } else { "drawn" };
            assert_eq!(row[1], expected, "{column}");
        }
        let header = eval(&client, "[...document.querySelectorAll('#ranking thead th')].pop().textContent").await;
        assert_eq!(header, "On the chart");
    })
    .await;
}

#[tokio::test]
async fn the_marks_on_the_chart_are_listed_with_their_series_and_times() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let query = format!("lb={PAYMENTS}&tg=targetgroup/checkout-tls/4b1e8d2c9f0a7365&from=now-24h");
    with_browser(|client| async move {
        // The list of marks is the API's annotations (they move with the clock).
        let read = || {
            eval(
                &client,
                // Changes come from /api/v1/changes, not the series (browser_review tests them).
                "[...document.querySelectorAll('#marks li:not([data-kind=change])')]\
                    .map(li => [li.dataset.kind, li.dataset.series, li.dataset.t])",
            )
        };
        let expected = |body: &Value| -> Value {
            let label = |id: &Value| {
                body["series"].as_array().unwrap().iter().find(|s| &s["id"] == id).unwrap()["label"].clone()
            };
            let marks = body["annotations"].as_array().unwrap().iter();
            Value::from(
                marks
                    .map(|a| serde_json::json!([a["kind"], label(&a["series"]), a["t"].to_string()]))
                    .collect::<Vec<_>>(),
            )
        };
        let (listed, _) = open_until_it_agrees_with_the_api(&client, &tlswatch, &query, read, |listed, body| {
            *listed == expected(body)
        })
        .await;
        assert!(!listed.as_array().unwrap().is_empty(), "the demo view has marks");
        // An alarm's threshold is listed with its level, not a time.
        let threshold =
            eval(&client, "[...document.querySelectorAll('#marks li[data-kind=alarm]')].map(li => li.textContent)")
                .await;
        assert!(threshold.to_string().contains("threshold 50"), "{threshold}");
        // The onset in the summary names its series, and the chart's name says what it shows.
        let onset = eval(&client, "document.getElementById('summary-onset').textContent").await;
        assert!(onset.as_str().unwrap().contains("checkout-tls"), "{onset}");
        let name = eval(&client, "document.getElementById('chart').getAttribute('aria-label')").await;
        let name = name.as_str().unwrap();
        assert!(name.contains("payments-alb · checkout-tls") && name.contains("Sum"), "{name}");
    })
    .await;
}

#[tokio::test]
async fn the_last_metric_cannot_be_unchecked() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let target = "input[name=metric][value=TargetTLSNegotiationErrorCount]";
        // Counted on window, after the page's own handlers (on the box or delegated).
        eval(&client, "window.metricChanges = 0, window.addEventListener('change', () => window.metricChanges++)")
            .await;
        client.find(Locator::Css(target)).await.unwrap().click().await.unwrap();
        wait_until(&client, "window.metricChanges === 1").await;
        // Two frames more, for whatever the handler set in motion to render.
        eval(
            &client,
            "window.framed = false, requestAnimationFrame(() => requestAnimationFrame(() => window.framed = true))",
        )
        .await;
        wait_until(&client, "window.framed").await;
        let boxes = eval(&client, "[...document.querySelectorAll('input[name=metric]')].map(b => b.checked)").await;
        assert_eq!(boxes, serde_json::json!([true, false]));
        assert_eq!(eval(&client, "location.search").await, "?from=now-3h");
    })
    .await;
}

#[tokio::test]
async fn quick_arrow_presses_in_a_select_make_one_history_entry_and_one_api_call() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let before = eval(&client, "history.length").await.as_u64().unwrap();
        let calls = "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/series')).length";
        let calls_before = eval(&client, calls).await.as_u64().unwrap();
        let stat = client.find(Locator::Id("stat")).await.unwrap();
        assert_eq!(control_value(&client, "stat").await, "Sum");
        let down = char::from(Key::Down).to_string();
        stat.send_keys(&down.repeat(3)).await.unwrap();
        wait_until(&client, "location.search.includes('stat=')").await;
        let stat_now = control_value(&client, "stat").await;
        assert_ne!(stat_now, "Sum");
        // The call for the statistic the presses ended on has been answered:
        // any call for one on the way would have been made before it.
        wait_until(
            &client,
            &format!(
                "performance.getEntriesByType('resource').some(e => e.name.includes('/api/v1/series') \
                    && e.name.includes('stat={stat_now}') && e.responseEnd > 0)"
            ),
        )
        .await;
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "location.search").await, Value::from(format!("?stat={stat_now}&from=now-3h")));
        assert_eq!(eval(&client, "history.length").await.as_u64().unwrap(), before + 1);
        assert_eq!(eval(&client, calls).await.as_u64().unwrap(), calls_before + 1);
    })
    .await;
}

#[tokio::test]
async fn an_incomplete_custom_range_says_so_and_enter_applies_a_complete_one() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        client.find(Locator::Id("range")).await.unwrap().select_by_value("custom").await.unwrap();
        wait_until(&client, "!document.querySelector('.custom-range').classList.contains('hidden')").await;
        let label = eval(&client, "document.querySelector('label[for=from]').textContent").await;
        assert!(label.as_str().unwrap().contains("UTC"), "{label}");
        eval(&client, "(el => { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.getElementById('from'))").await;
        client.find(Locator::Id("apply-range")).await.unwrap().click().await.unwrap();
        wait_until(&client, "document.getElementById('range-error')?.textContent.length > 0").await;
        assert_eq!(eval(&client, "document.getElementById('from').getAttribute('aria-invalid')").await, "true");
        assert_eq!(eval(&client, "location.search").await, "?from=now-3h");

        // A complete range, applied with Enter.
        eval(&client, "(el => { el.value = '2026-01-02T03:00'; el.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.getElementById('from'))").await;
        eval(&client, "(el => { el.value = '2026-01-02T05:00'; el.dispatchEvent(new Event('input', {bubbles: true})); return true })(document.getElementById('to'))").await;
        let enter = char::from(Key::Enter).to_string();
        client.find(Locator::Id("to")).await.unwrap().send_keys(&enter).await.unwrap();
        wait_until(&client, "location.search === '?from=2026-01-02T03:00:00Z&to=2026-01-02T05:00:00Z'").await;
        assert_eq!(eval(&client, "!!document.getElementById('range-error')").await, Value::Bool(false));
    })
    .await;
}

#[tokio::test]
async fn pin_time_keeps_the_focus_on_a_visible_control() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        client.find(Locator::Id("pin-time")).await.unwrap().click().await.unwrap();
        wait_until(&client, "/from=\\d{4}-/.test(location.search)").await;
        let focused = eval(
            &client,
            "(el => [el.id, el !== document.body && !el.disabled && el.getClientRects().length > 0])(document.activeElement)",
        )
        .await;
        assert_eq!(focused, serde_json::json!(["copy-link", true]));
    })
    .await;
}

/// axe-core's WCAG A/AA rules on the views the review covered, at desktop
/// and phone widths: no violation, and no ARIA value it cannot confirm.
#[tokio::test]
async fn axe_core_finds_no_violation_on_the_dashboards_views() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        let views = [
            ("the default view", "/".to_string()),
            ("a breakdown", "/?by=tg&period=3600".to_string()),
            ("a sparse Maximum view", format!("/?lb={EDGE}&stat=Maximum&period=3600&from=now-7d")),
        ];
        let mut findings = Vec::new();
        for (width, height) in [(1280, 800), (390, 800)] {
            client.set_window_size(width, height).await.unwrap();
            let inner = eval(&client, "window.innerWidth").await.as_u64().unwrap() as u32;
            assert!(inner <= width && inner > width - 100, "{inner} px wide at {width}");
            for (name, path) in &views {
                client.goto(&format!("{}{path}", tlswatch.url)).await.unwrap();
                wait_for_data(&client).await;
                wait_until(&client, "document.querySelector('input[name=lb]')").await;
                // Everything folded away is checked open.
                eval(&client, "document.querySelectorAll('details').forEach(d => d.open = true) ?? true").await;
                wait_until(&client, "document.querySelector('#data-table table')").await;
                let found = tlswatch_tests::browser::axe_findings(&client).await;
                findings.extend(found.into_iter().map(|f| format!("{name} at {width} px: {f}")));
            }
            client.goto(&format!("{}/?lb={EDGE}&by=az&stat=Maximum&period=7&from=now-7d", tlswatch.url)).await.unwrap();
            wait_until(&client, "document.getElementById('period-error')").await;
            let found = tlswatch_tests::browser::axe_findings(&client).await;
            findings.extend(found.into_iter().map(|f| format!("an invalid link at {width} px: {f}")));
        }
        assert!(findings.is_empty(), "{findings:#?}");

        // The check sees what the review found: a description pointing at
        // an element that does not exist, and a button without a name.
        eval(
            &client,
            "document.getElementById('stat').setAttribute('aria-describedby', 'stat-error') ??
             document.body.insertAdjacentHTML('beforeend', '<button id=\"nameless\"></button>') ?? true",
        )
        .await;
        let found = tlswatch_tests::browser::axe_findings(&client).await;
        assert!(found.iter().any(|f| f.starts_with("aria-valid-attr-value: #stat")), "{found:#?}");
        assert!(found.iter().any(|f| f.starts_with("button-name: #nameless")), "{found:#?}");
    })
    .await;
}

#[tokio::test]
async fn the_title_names_the_view_and_the_keyboard_meets_what_the_eye_meets() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&stat=Maximum&from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        let title = eval(&client, "document.title").await;
        assert_eq!(title, "Maximum of errors, payments-alb, now-3h to now · tlswatch");
        assert!(eval(&client, "document.querySelectorAll('h1, h2').length").await.as_u64() >= Some(3));
        // The end of loading is in a live region, out of sight but not hidden from screen readers.
        let note = eval(
            &client,
            "(note => [note.getAttribute('role'), note.textContent.trim(), getComputedStyle(note).display,
                note.getBoundingClientRect().width <= 1])(document.querySelector('.loading'))",
        )
        .await;
        let figures = eval(&client, "document.getElementById('summary-buckets').textContent").await;
        let said = format!("View loaded: errors in {} buckets.", figures.as_str().unwrap());
        assert_eq!(note, serde_json::json!(["status", said, "block", true]));
        // The first Tab reaches the skip link, which leads to the controls.
        let tab = KeyActions::new("keys".to_string())
            .then(KeyAction::Down { value: Key::Tab.into() })
            .then(KeyAction::Up { value: Key::Tab.into() });
        client.perform_actions(tab).await.unwrap();
        let focused = eval(&client, "document.activeElement.outerHTML.slice(0, 80)").await;
        assert!(focused.as_str().unwrap().starts_with("<a class=\"skip-link\""), "{focused}");
        let enter = char::from(Key::Enter).to_string();
        client.active_element().await.unwrap().send_keys(&enter).await.unwrap();
        wait_until(&client, "document.activeElement.id === 'controls'").await;

        // Local times say their offset.
        client.find(Locator::Id("tz")).await.unwrap().select_by_value("local").await.unwrap();
        wait_until(&client, "/ UTC[+-]\\d\\d:\\d\\d$/.test(document.getElementById('summary-last').textContent)").await;

        // On a phone the results are shown first and come first to the keyboard.
        client.set_window_size(390, 800).await.unwrap();
        let order = eval(
            &client,
            "(([results, controls]) => [results.compareDocumentPosition(controls) & Node.DOCUMENT_POSITION_FOLLOWING,
                results.getBoundingClientRect().top < controls.getBoundingClientRect().top])
                ([document.getElementById('results'), document.getElementById('controls')])",
        )
        .await;
        assert_eq!(order, serde_json::json!([4, true]));

        client.goto(&format!("{}/?period=7", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.title === 'Invalid link (period) · tlswatch'").await;
    })
    .await;
}

#[tokio::test]
async fn the_data_table_holds_the_values_of_the_api_answer() {
    let tlswatch = Tlswatch::demo_with_frontend();
    let day = 86_400;
    let start = (tlswatch_tests::now() / day - 2) * day;
    let query = format!(
        "lb={PAYMENTS}&metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount&period=3600&from={start}&to={}",
        start + day
    );
    with_browser(|client| async move {
        client.goto(&format!("{}/?{query}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(eval(&client, "!!document.querySelector('#data-table table')").await, false, "built when opened");
        client.find(Locator::Css("#data-table summary")).await.unwrap().click().await.unwrap();
        wait_until(&client, "document.querySelector('#data-table tbody tr')").await;
        let shown = eval(
            &client,
            "[[...document.querySelectorAll('#data-table thead th')].slice(1).map(th => th.textContent),
              [...document.querySelectorAll('#data-table tbody tr')].map(tr =>
                [Number(tr.cells[0].dataset.t), ...[...tr.cells].slice(1).map(td => td.textContent)])]",
        )
        .await;
        let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
        assert_eq!(status, 200);
        let series = body["series"].as_array().unwrap();
        let labels: Vec<Value> = series.iter().map(|s| s["label"].clone()).collect();
        let rows: Vec<Value> = series[0]["timestamps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut row = vec![t.clone()];
                row.extend(series.iter().map(|s| match s["values"][i].as_f64() {
                    Some(v) => Value::from(v.to_string()),
                    None => Value::from("no data"),
                }));
                Value::from(row)
            })
            .collect();
        assert_eq!(rows.len(), 24);
        assert_eq!(shown, serde_json::json!([labels, rows]));
    })
    .await;
}

#[tokio::test]
async fn the_borders_of_the_controls_have_at_least_3_to_1_contrast() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?from=now-3h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        wait_until(&client, "document.querySelector('input[name=lb]')").await;
        // Every enabled text field, select and button in sight, with its
        // border colour (as #rrggbb) and the background it sits on.
        let borders = eval(
            &client,
            "(hex => [...document.querySelectorAll('select, input:not([type=checkbox]):not([type=radio]), button, a.button')]
                .filter(el => !el.disabled && el.getClientRects().length > 0)
                .map(el => [el.id || el.name || el.textContent, hex(getComputedStyle(el).borderTopColor),
                    hex(getComputedStyle(el.parentElement.closest('.controls, .results, body')).backgroundColor)]))
                (c => (m => m.length === 4 && m[3] === '0' ? '#ffffff'
                    : '#' + m.slice(0, 3).map(n => Number(n).toString(16).padStart(2, '0')).join(''))
                    (c.match(/[\\d.]+/g)))",
        )
        .await;
        let borders = borders.as_array().unwrap();
        assert!(borders.len() >= 8, "{borders:?}");
        for control in borders {
            let (border, background) = (control[1].as_str().unwrap(), control[2].as_str().unwrap());
            assert!(contrast(border, background) >= 3.0, "{control}: {}", contrast(border, background));
        }
    })
    .await;
}
