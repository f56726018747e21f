//! The time-series chart, drawn by ECharts through charming.

use charming::component::{Axis, Legend, Title};
use charming::datatype::{CompositeValue, DataPoint};
use charming::element::{AxisType, Tooltip, Trigger};
use charming::series::Line;
use charming::{Chart as EChart, WasmRenderer};
use leptos::prelude::*;
use tlswatch_shared::api::SeriesResponse;

const CHART_ID: &str = "chart";
const CHART_HEIGHT: u32 = 420;

/// One line per series on a time axis. An empty answer says so in words.
#[component]
pub fn Chart(response: SeriesResponse) -> impl IntoView {
    let has_errors = response.series.iter().any(|series| series.values.iter().flatten().any(|v| *v > 0.0));
    let empty_note = (!has_errors).then(|| {
        view! { <p class="no-errors" role="status">"No TLS negotiation errors in this range."</p> }
    });
    let chart = build(&response);
    // Draw once the element is in the document.
    Effect::new(move |_| {
        if let Err(err) = WasmRenderer::new_opt(None, Some(CHART_HEIGHT)).render(CHART_ID, &chart) {
            leptos::logging::error!("could not draw the chart: {err:?}");
        }
    });
    view! {
        {empty_note}
        <div id=CHART_ID class="chart" role="img" aria-label="Chart of TLS negotiation errors over time"></div>
    }
}

fn build(response: &SeriesResponse) -> EChart {
    let title = response.series.first().map(|s| format!("{} ({})", s.metric.as_str(), s.stat)).unwrap_or_default();
    let mut chart = EChart::new()
        .title(Title::new().text(title))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().top("bottom"))
        .x_axis(Axis::new().type_(AxisType::Time))
        .y_axis(Axis::new().type_(AxisType::Value).min_interval(1));
    for series in &response.series {
        let data: Vec<DataPoint> = series
            .timestamps
            .iter()
            .zip(&series.values)
            .map(|(t, v)| DataPoint::from(vec![CompositeValue::from(t * 1_000), CompositeValue::from(*v)]))
            .collect();
        chart = chart.series(Line::new().name(series.label.clone()).show_symbol(false).data(data));
    }
    chart
}
