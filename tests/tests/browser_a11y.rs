//! The dashboard's accessibility and usability review (issue 15), in a real
//! browser: a link with one bad parameter keeps the good ones, the wheel
//! scrolls the page, series are told apart without colour, the marks on
//! the chart are text too, and controls neither act too eagerly nor lose
//! the keyboard's place. axe-core checks several views for WCAG A/AA
//! violations.

use fantoccini::{Client, Locator};
use serde_json::Value;
use tlswatch_tests::Tlswatch;
use tlswatch_tests::browser::{control_value, eval, wait_until, with_browser};

const EDGE: &str = "app/edge-alb/50dc6c495c0c9188";

/// Waits for the page to show the figures of a loaded view.
async fn wait_for_data(client: &Client) {
    wait_until(client, "document.querySelector('#summary-buckets') && document.querySelector('.loading.hidden')").await;
}

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

        // The invalid link offers the default view.
        client.goto(&format!("{}{link}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.getElementById('reset-view')").await;
        client.find(Locator::Id("reset-view")).await.unwrap().click().await.unwrap();
        wait_until(&client, "location.search === ''").await;
        wait_for_data(&client).await;
        assert_eq!(control_value(&client, "stat").await, "Sum");
    })
    .await;
}
