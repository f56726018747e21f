//! The dashboard in a real browser on CloudWatch (moto's server), not the
//! demo: what the chart draws must be exactly the values put into CloudWatch.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use serde_json::{Value, json};
use tlswatch_tests::browser::{CHART_OPTION, eval, wait_until, with_browser};
use tlswatch_tests::{Moto, Tlswatch, built_frontend, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const PERIOD: i64 = 300;
const BUCKETS: i64 = 24;

/// `(bucket, second in the bucket, value)`: two values in bucket 2, a run
/// of two buckets, and two values alone between empty buckets.
const PUT: [(i64, i64, f64); 5] = [(1, 30, 3.0), (2, 10, 5.0), (2, 200, 2.0), (7, 0, 1.0), (20, 299, 12.0)];

async fn put(moto: &Moto, start: i64) {
    let data = PUT
        .iter()
        .map(|(bucket, second, value)| {
            MetricDatum::builder()
                .metric_name("TargetTLSNegotiationErrorCount")
                .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
                .timestamp(DateTime::from_secs(start + bucket * PERIOD + second))
                .value(*value)
                .unit(StandardUnit::Count)
                .build()
        })
        .collect();
    moto.client()
        .await
        .put_metric_data()
        .namespace("AWS/ApplicationELB")
        .set_metric_data(Some(data))
        .send()
        .await
        .expect("moto takes the test data");
}

/// What each bucket should show: the sum or the maximum of its values, and
/// where it has none, 0 for a sum and nothing (`null`) for a maximum.
fn expected(start: i64, stat: &str) -> Vec<Value> {
    (0..BUCKETS)
        .map(|bucket| {
            let values: Vec<f64> = PUT.iter().filter(|(b, _, _)| *b == bucket).map(|(_, _, v)| *v).collect();
            let value = match (stat, values.is_empty()) {
                ("Sum", _) => json!(values.iter().sum::<f64>()),
                (_, true) => Value::Null,
                _ => json!(values.iter().copied().fold(f64::MIN, f64::max)),
            };
            json!([(start + bucket * PERIOD) * 1_000, value])
        })
        .collect()
}

/// The chart's first line as `[epoch ms, value]` pairs, numbers as floats.
async fn drawn(client: &fantoccini::Client) -> Vec<Value> {
    let points = eval(client, &format!("{CHART_OPTION}.series[0].data.map(p => p.value ?? p)")).await;
    points
        .as_array()
        .expect("points")
        .iter()
        .map(|p| json!([p[0], p[1].as_f64().map_or(Value::Null, Value::from)]))
        .collect()
}

#[tokio::test]
async fn the_chart_draws_exactly_the_values_put_into_cloudwatch() {
    let moto = Moto::start();
    // Whole hours well in the past: aligned to the period, and every bucket final.
    let start = (now() / 3_600 - 4) * 3_600;
    let end = start + BUCKETS * PERIOD;
    put(&moto, start).await;
    let dist = built_frontend();
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &["--dist", &dist.to_string_lossy()]);
    let range = |t| tlswatch_shared::TimeSpec::At(t).to_string();
    let view = format!("lb={LB}&period={PERIOD}&from={}&to={}", range(start), range(end));
    with_browser(|client| async move {
        client.goto(&format!("{}/?{view}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.querySelector('#summary-total') && document.querySelector('.loading.hidden')")
            .await;
        assert_eq!(drawn(&client).await, expected(start, "Sum"));
        assert_eq!(eval(&client, "document.getElementById('summary-total').dataset.value").await, "23");
        let tails =
            eval(&client, &format!("{CHART_OPTION}.series.filter(s => s.id.endsWith('-partial')).length")).await;
        assert_eq!(tails, 0, "final buckets only: no tail");

        // Maxima leave the empty buckets empty, and the lone values are points.
        client.goto(&format!("{}/?{view}&stat=Maximum", tlswatch.url)).await.unwrap();
        wait_until(&client, &format!("{CHART_OPTION}.yAxis[0].name === 'Maximum'")).await;
        assert_eq!(drawn(&client).await, expected(start, "Maximum"));
        let with_symbols = eval(
            &client,
            &format!("{CHART_OPTION}.series[0].data.filter(p => p.symbol === 'circle').map(p => p.value[0])"),
        )
        .await;
        let alone = [7, 20].map(|bucket| (start + bucket * PERIOD) * 1_000);
        assert_eq!(with_symbols, json!(alone));
    })
    .await;
}

#[tokio::test]
async fn a_failed_view_offers_another_try_that_draws_the_chart_once_cloudwatch_answers() {
    use tlswatch_tests::upstream::{Behaviour, TestUpstream};

    let moto = Moto::start();
    let start = (now() / 3_600 - 4) * 3_600;
    put(&moto, start).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    upstream.behave(Behaviour::Fail);
    let dist = built_frontend();
    let tlswatch =
        Tlswatch::on_endpoint(&upstream.endpoint, &["--dist", &dist.to_string_lossy(), "--upstream-attempts", "1"]);
    let range = |t| tlswatch_shared::TimeSpec::At(t).to_string();
    let view = format!("lb={LB}&period={PERIOD}&from={}&to={}", range(start), range(start + BUCKETS * PERIOD));
    with_browser(|client| async move {
        client.goto(&format!("{}/?{view}", tlswatch.url)).await.unwrap();
        wait_until(&client, "document.getElementById('retry')").await;
        assert!(!eval(&client, "document.querySelector('.error-message').textContent").await.to_string().is_empty());

        upstream.behave(Behaviour::Forward);
        client.find(fantoccini::Locator::Id("retry")).await.unwrap().click().await.unwrap();
        wait_until(&client, "document.getElementById('summary-total')?.dataset.value === '23'").await;
        assert_eq!(drawn(&client).await, expected(start, "Sum"), "the retry drew the answer");
        assert_eq!(eval(&client, "document.getElementById('retry')").await, Value::Null, "the notice is gone");
    })
    .await;
}
