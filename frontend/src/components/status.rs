//! What the page says about the view: its parameters, warnings and errors.

use leptos::prelude::*;
use tlswatch_shared::View;

use crate::api::ApiFailure;

/// The load balancers, statistic and period of the view, in words.
#[component]
pub fn ViewSummary(view: View) -> impl IntoView {
    let balancers = if view.load_balancers.is_empty() {
        "all load balancers".to_string()
    } else {
        view.load_balancers.iter().map(|lb| lb.name().to_string()).collect::<Vec<_>>().join(", ")
    };
    view! {
        <dl class="view-summary">
            <dt>"Metric"</dt><dd class="metric">{view.metric.as_str()}</dd>
            <dt>"Load balancers"</dt><dd class="load-balancers">{balancers}</dd>
            <dt>"Statistic"</dt><dd class="stat">{view.stat.to_string()}</dd>
            <dt>"Period"</dt><dd class="period">{period_text(&view)}</dd>
            <dt>"Range"</dt><dd class="range">{format!("{} to {}", view.from, view.to)}</dd>
        </dl>
    }
}

fn period_text(view: &View) -> String {
    match view.period {
        tlswatch_shared::Period::Auto => "automatic".to_string(),
        tlswatch_shared::Period::Seconds(seconds) if seconds % 3_600 == 0 => format!("{} h", seconds / 3_600),
        tlswatch_shared::Period::Seconds(seconds) => format!("{} min", seconds / 60),
    }
}

/// The API's warnings, above the chart.
#[component]
pub fn Warnings(warnings: Vec<String>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <ul class="warnings" role="status">
                {warnings.into_iter().map(|warning| view! { <li>{warning}</li> }).collect_view()}
            </ul>
        }
    })
}

/// A view the API refused, or a failed call: the API's own message.
#[component]
pub fn ErrorNotice(failure: ApiFailure) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            {failure.param.map(|param| view! { <strong class="error-param">{param}</strong>": " })}
            <span class="error-message">{failure.message}</span>
        </div>
    }
}
