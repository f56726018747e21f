//! What the page says about its state: loading, warnings, errors, demo data.

use leptos::prelude::*;

use crate::api::ApiFailure;

/// Shown while a view loads; the chart stays as it was meanwhile.
#[component]
pub fn LoadingNote(loading: Signal<bool>) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite" class:hidden=move || !loading.get()>
            "Loading…"
        </p>
    }
}

/// The API's warnings (a raised period, partial data), above the chart.
#[component]
pub fn Warnings(warnings: Vec<String>) -> impl IntoView {
    (!warnings.is_empty()).then(|| {
        view! {
            <ul class="warnings" role="status">
                {warnings.into_iter().map(|warning| view! { <li class="warning">{warning}</li> }).collect_view()}
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

/// The API's message beside the control of the parameter it names.
#[component]
pub fn FieldError(param: &'static str, failure: Signal<Option<ApiFailure>>) -> impl IntoView {
    move || {
        failure.get().filter(|failure| failure.param.as_deref() == Some(param)).map(|failure| {
            view! { <p class="field-error" id=format!("{param}-error")>{failure.message}</p> }
        })
    }
}

/// Says so when the proxy serves synthetic data.
#[component]
pub fn DemoBadge(source: String) -> impl IntoView {
    (source == "demo").then(|| {
        view! {
            <span class="badge demo-badge" title="The server runs on built-in synthetic data, not CloudWatch">
                "Demo data"
            </span>
        }
    })
}
