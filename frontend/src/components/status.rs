//! What the page says about its state: loading, warnings, errors, demo data.

use std::sync::Arc;

use leptos::prelude::*;

use tlswatch_shared::View;
use tlswatch_shared::api::SeriesResponse;

use crate::api::ApiFailure;
use crate::state::{use_failure, use_view_state};

/// Shown while a view loads; the chart stays as it was meanwhile. Once
/// loaded, it is out of sight but still read, so a screen reader hears
/// that the view is there.
#[component]
pub fn LoadingNote(loading: Signal<bool>, data: Signal<Option<Arc<SeriesResponse>>>) -> impl IntoView {
    let said = move || {
        if loading.get() {
            return "Loading…".to_string();
        }
        data.with(|data| match data {
            None => "View loaded.".to_string(),
            Some(r) => {
                let errors = match r.summary.worst {
                    None => "no TLS negotiation errors in this range".to_string(),
                    Some(_) => format!("errors in {} of {} buckets", r.summary.buckets_with_errors, r.summary.buckets),
                };
                let warnings = if r.warnings.is_empty() { "" } else { "; see the warnings" };
                format!("View loaded: {errors}{warnings}.")
            }
        })
    };
    view! {
        <p class="loading" role="status" aria-live="polite" class:hidden=move || !loading.get()>
            {said}
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

/// A view the API refused, a failed call, or an invalid parameter in the
/// URL: the message (which names the parameter), and a way out: for a
/// parameter, the rest of the view or the default view; for a failed call,
/// another try.
#[component]
pub fn ErrorNotice(failure: ApiFailure, retry: Callback<()>) -> impl IntoView {
    let state = use_view_state();
    let invalid_link = !state.is_valid();
    view! {
        <div class="error" role="alert">
            <p class="error-message">{failure.message}</p>
            {if invalid_link {
                view! {
                    <button type="button" id="drop-invalid" on:click=move |_| state.set_view.run(state.current())>
                        "Keep the rest of this view"
                    </button>
                    " "
                    <button type="button" id="reset-view" on:click=move |_| state.set_view.run(View::default())>
                        "Reset to the default view"
                    </button>
                }
                .into_any()
            } else if failure.param.is_none() {
                view! { <button type="button" id="retry" on:click=move |_| retry.run(())>"Try again"</button> }.into_any()
            } else {
                ().into_any()
            }}
        </div>
    }
}

/// The message of the failure beside the control of the parameter it
/// names. Its id is what that control's `aria-describedby` names, and
/// only while it is shown.
#[component]
pub fn FieldError(param: &'static str) -> impl IntoView {
    let failure = use_failure();
    move || {
        failure.get().filter(|failure| failure.param.as_deref() == Some(param)).map(|failure| {
            view! { <p class="field-error" id=format!("{param}-error")>{failure.message}</p> }
        })
    }
}

/// Whether the failure names `param`: for a control's `aria-invalid` and
/// `aria-describedby`.
pub fn names(param: &'static str) -> Signal<bool> {
    let failure = use_failure();
    Signal::derive(move || failure.with(|f| f.as_ref().and_then(|f| f.param.as_deref()) == Some(param)))
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
