//! Two promises of the dashboard that time and the clipboard keep out of
//! the other browser tests: auto-refresh (`refresh=1m`) reloads a relative
//! view and pauses while the tab is hidden; Copy link puts the view's link
//! on the clipboard.
//!
//! The page's timers are sped up (a minute is 100 ms) by wrapping
//! `setInterval` before the refresh is chosen, and the tab's visibility by
//! overriding `document.visibilityState`: what is tested is the page's own
//! logic, at a pace a test can wait for.

use fantoccini::Locator;
use serde_json::json;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{eval, wait_for_data, wait_until, with_browser};

const PAYMENTS: &str = "app/payments-alb/3e9c1f0a7b2d4c68";

/// Series requests the page has sent since it loaded.
const SERIES_REQUESTS: &str =
    "performance.getEntriesByType('resource').filter(e => new URL(e.name).pathname === '/api/v1/series').length";

/// Wraps `setInterval` so that each timer fires 600 times as often and
/// counts its ticks in `window.ticks`, and lets the test set the tab's
/// visibility through `window.hidden`.
const FAST_TIMERS: &str = "(() => {
    const original = window.setInterval.bind(window);
    window.ticks = 0;
    window.hidden = false;
    window.setInterval = (callback, ms, ...rest) => original(() => { window.ticks++; callback(); }, ms / 600, ...rest);
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => window.hidden ? 'hidden' : 'visible'});
    return true;
})()";

/// A clipboard that keeps what the page writes in `window.copied`:
/// headless Chromium grants the page no clipboard permission.
const CAPTURE_CLIPBOARD: &str = "Object.defineProperty(navigator, 'clipboard', {configurable: true, value: \
    {writeText: text => { window.copied = text; return Promise.resolve(); }}}) && true";

#[tokio::test]
async fn auto_refresh_reloads_a_relative_view_and_pauses_while_the_tab_is_hidden() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        client.goto(&format!("{}/?lb={PAYMENTS}&from=now-6h", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        assert_eq!(eval(&client, FAST_TIMERS).await, true);
        let before = eval(&client, SERIES_REQUESTS).await.as_u64().unwrap();

        client.find(Locator::Id("refresh")).await.unwrap().select_by_value("1m").await.unwrap();
        wait_until(&client, "location.search.includes('refresh=1m')").await;
        wait_until(&client, &format!("{SERIES_REQUESTS} >= {} && window.ticks >= 3", before + 3)).await;

        // Hidden: the timer still ticks, nothing is asked.
        eval(&client, "window.hidden = true").await;
        let ticks = eval(&client, "window.ticks").await.as_u64().unwrap();
        let hidden_at = eval(&client, SERIES_REQUESTS).await.as_u64().unwrap();
        wait_until(&client, &format!("window.ticks >= {}", ticks + 5)).await;
        assert_eq!(eval(&client, SERIES_REQUESTS).await, json!(hidden_at), "no reload while the tab is hidden");

        // Visible again: reloads resume.
        eval(&client, "window.hidden = false").await;
        wait_until(&client, &format!("{SERIES_REQUESTS} >= {}", hidden_at + 2)).await;

        // Off: the timer is gone.
        client.find(Locator::Id("refresh")).await.unwrap().select_by_value("off").await.unwrap();
        wait_until(&client, "!location.search.includes('refresh=')").await;
        let stopped_ticks = eval(&client, "window.ticks").await.as_u64().unwrap();
        let stopped_at = eval(&client, SERIES_REQUESTS).await.as_u64().unwrap();
        // A timer of its own, at the sped-up pace, as the clock to wait on.
        eval(&client, "window.setInterval(() => {}, 60000) && true").await;
        wait_until(&client, &format!("window.ticks >= {}", stopped_ticks + 5)).await;
        assert_eq!(eval(&client, SERIES_REQUESTS).await, json!(stopped_at), "refresh off: no more reloads");
    })
    .await;
}

#[tokio::test]
async fn copy_link_puts_the_views_link_on_the_clipboard() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        let view = format!("lb={PAYMENTS}&from=now-6h&stat=Maximum");
        client.goto(&format!("{}/?{view}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        eval(&client, CAPTURE_CLIPBOARD).await;
        client.find(Locator::Id("copy-link")).await.unwrap().click().await.unwrap();
        wait_until(&client, "typeof window.copied === 'string'").await;
        let copied = eval(&client, "window.copied").await;
        assert_eq!(copied, eval(&client, "location.href").await, "the link is the page's own URL");
        let url = url::Url::parse(copied.as_str().unwrap()).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        for (key, value) in [("lb", PAYMENTS), ("from", "now-6h"), ("stat", "Maximum")] {
            assert!(pairs.contains(&(key.to_string(), value.to_string())), "{key}={value} in {url}");
        }
        wait_until(&client, "document.querySelector('.share-note').textContent.includes('Link copied.')").await;

        // A clipboard that refuses: the link is shown to copy by hand.
        eval(
            &client,
            "Object.defineProperty(navigator, 'clipboard', {configurable: true, value: {writeText: () => \
             Promise.reject(new Error('denied'))}}) && true",
        )
        .await;
        client.find(Locator::Id("copy-link")).await.unwrap().click().await.unwrap();
        wait_until(
            &client,
            "document.querySelector('.share-note').textContent.includes('Copy this link: ' + location.href)",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_alarm_dialog_shows_the_views_alarms_in_the_form_its_link_names() {
    let tlswatch = Tlswatch::demo_with_frontend();
    with_browser(|client| async move {
        let view = format!("lb={PAYMENTS}&from=now-6h");
        client.goto(&format!("{}/?{view}", tlswatch.url)).await.unwrap();
        wait_for_data(&client).await;
        client.find(Locator::Id("alarm-for-view")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search.includes('alarm=terraform')").await;
        wait_until(&client, "!!document.querySelector('#alarm-dialog .alarm-text')").await;
        let shown = eval(&client, "document.querySelector('#alarm-dialog .alarm-text').textContent").await;
        let answer = tlswatch.response(&format!("/api/v1/alarm?{view}&format=terraform")).await.text().await.unwrap();
        assert_eq!(shown.as_str().unwrap(), answer, "the page shows what the API writes");
        assert!(answer.contains("resource \"aws_cloudwatch_metric_alarm\""), "{answer}");
        assert_eq!(tlswatch_tests::browser::axe_findings(&client).await, Vec::<String>::new(), "the open dialog");

        // Another form, in the URL too; and the link opens the dialog on it.
        client.find(Locator::Id("alarm-form")).await.unwrap().select_by_value("cloudformation").await.unwrap();
        wait_until(&client, "location.search.includes('alarm=cloudformation')").await;
        wait_until(
            &client,
            "(document.querySelector('#alarm-dialog .alarm-text')?.textContent ?? '').includes('AWS::CloudWatch::Alarm')",
        )
        .await;
        client.refresh().await.unwrap();
        wait_until(
            &client,
            "(document.querySelector('#alarm-dialog .alarm-text')?.textContent ?? '').includes('AWS::CloudWatch::Alarm')",
        )
        .await;

        // Copy hands the clipboard the text shown.
        eval(&client, CAPTURE_CLIPBOARD).await;
        client.find(Locator::Id("copy-alarm")).await.unwrap().click().await.unwrap();
        wait_until(&client, "window.copied === document.querySelector('#alarm-dialog .alarm-text').textContent").await;

        // Escape closes it, and the link no longer names it.
        eval(&client, "document.getElementById('alarm-form').focus() ?? true").await;
        client.active_element().await.unwrap().send_keys(&fantoccini::key::Key::Escape.to_string()).await.unwrap();
        wait_until(&client, "!location.search.includes('alarm=') && !document.getElementById('alarm-dialog')").await;
    })
    .await;
}
