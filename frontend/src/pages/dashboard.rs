//! The dashboard: the URL is the view. Every control writes a new view to
//! the address bar (so back and forward walk through views), and everything
//! shown is derived from the address bar.

use std::sync::Arc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use tlswatch_shared::change_marks::with_changes;
use tlswatch_shared::dims::readable_name;

use crate::api::{self, ApiFailure, OVERVIEW_PATH};
use crate::components::alarm::AlarmDialog;
use crate::components::chart::SeriesChart;
use crate::components::form::ViewForm;
use crate::components::help::HelpPanel;
use crate::components::masthead::Masthead;
use crate::components::probe::ProbeTargets;
use crate::components::review::ReviewSection;
use crate::components::status::{DemoBadge, ErrorNotice, LoadingNote, Warnings};
use crate::components::summary::{RankingTable, SummaryFigures};
use crate::state::{Failure, ViewState, provide_state, use_first_view_settled};

/// The dashboard: one view of the metrics, as the address bar names it.
#[component]
pub fn Dashboard() -> impl IntoView {
    let (state, catalog) = provide_state();

    // What the API is asked: the canonical data view; nothing while the URL
    // holds an invalid parameter, whose message the page shows instead
    // (the API's own: it reads views with the same parser).
    let api_query = Memo::new(move |_| match state.error.get() {
        None => Ok(state.current().data_only().to_query()),
        Some(err) => Err(ApiFailure { message: err.message, param: Some(err.param) }),
    });
    // The view's series: asked again when the query changes and on refresh.
    // Shared, not copied: every component that shows it reads the one answer.
    let series = LocalResource::new(move || {
        let query = api_query.get();
        async move {
            match query {
                Ok(query) => api::series(&query).await.map(Arc::new),
                Err(failure) => Err(failure),
            }
        }
    });
    // What changed on the TLS path, asked beside the series: the chart is
    // drawn first and gains its change marks when CloudTrail has answered.
    let settled = use_first_view_settled();
    let changes = LocalResource::new(move || {
        let query = api_query.get().ok().filter(|_| settled.get());
        async move {
            match query {
                Some(query) => api::changes(&query).await.ok(),
                None => None,
            }
        }
    });
    auto_refresh(state, move || {
        series.refetch();
        changes.refetch();
    });
    // Read inside the results' Transition (which keeps the last answer on
    // screen while the next loads, and says it is loading)...
    let data = Memo::new(move |_| {
        let response = series.get().and_then(Result::ok)?;
        match changes.get().flatten() {
            Some(found) if !found.changes.is_empty() => {
                Some(Arc::new(with_changes(response.as_ref().clone(), &found.changes)))
            }
            _ => Some(response),
        }
    });
    let data = Signal::from(data);
    // ...and, through a memo, by the form, which must never wait for it.
    let failure = Memo::new(move |_| series.get().and_then(Result::err));
    provide_context(Failure(failure));
    // A view that failed has no chart to wait for (the chart says when it has drawn).
    Effect::new(move |_| {
        if failure.with(Option::is_some) {
            settled.set(true);
        }
    });
    let loading = RwSignal::new(false);

    let tz = Signal::derive(move || state.current().tz);
    let stack = Signal::derive(move || state.current().stack);

    // The tab's title names the view, so tabs, history and bookmarks tell views apart.
    Effect::new(move |_| {
        let title = match state.error.get() {
            Some(err) => format!("Invalid link ({}) · tlswatch", err.param),
            None => {
                let view = state.current();
                let lbs = view.load_balancers.iter().map(|lb| readable_name(lb.as_str())).collect::<Vec<_>>();
                let lbs = if lbs.is_empty() { "all load balancers".to_string() } else { lbs.join(", ") };
                format!("{} of errors, {lbs}, {} to {} · tlswatch", view.stat, view.from, view.to)
            }
        };
        document().set_title(&title);
    });

    view! {
        <a class="skip-link" href="#controls" on:click=|ev| {
            // Focus, not only scroll: the router would take the link as a navigation.
            ev.prevent_default();
            if let Some(controls) = document().get_element_by_id("controls").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = controls.focus();
            }
        }>"Skip to the view's controls"</a>
        <Masthead tagline="TLS negotiation errors between your load balancers and their targets"
            link=(OVERVIEW_PATH, "Fleet overview")>
            <Suspense fallback=|| ()>
                {move || catalog.get().and_then(Result::ok).map(|catalog| view! { <DemoBadge source=catalog.source/> })}
            </Suspense>
        </Masthead>
        // The results come first: on a phone they are shown first, so the
        // keyboard reaches them first too (the grid puts the controls left on
        // wider screens).
        <main class="layout">
            <section class="results" id="results" aria-labelledby="results-heading"
                aria-busy=move || loading.get().then_some("true")>
                <h2 class="visually-hidden" id="results-heading">"Results"</h2>
                <LoadingNote loading=loading.into() data/>
                <Transition set_pending=loading.write_only()>
                    {move || series.get().and_then(Result::err).map(|failure| view! {
                        <ErrorNotice failure retry=Callback::new(move |()| series.refetch())/>
                    })}
                    {move || data.get().map(|response| view! { <Warnings warnings=response.warnings.clone()/> })}
                    <SummaryFigures data tz/>
                    <SeriesChart data tz stack/>
                    <RankingTable data tz/>
                </Transition>
                <AlarmDialog/>
                <ReviewSection><ProbeTargets/></ReviewSection>
                <HelpPanel/>
            </section>
            <ViewForm/>
        </main>
    }
}

/// Reloads a view with a relative range every `refresh` period, skipping
/// ticks while the tab is hidden.
fn auto_refresh(state: ViewState, reload: impl Fn() + Clone + 'static) {
    let handle = StoredValue::new_local(None::<IntervalHandle>);
    Effect::new(move |_| {
        if let Some(old) = handle.get_value() {
            old.clear();
        }
        let view = state.current();
        let relative = view.from.is_relative() || view.to.is_relative();
        let seconds = view.refresh.seconds().filter(|_| relative);
        let reload = reload.clone();
        let next = seconds.and_then(|seconds| {
            set_interval_with_handle(
                move || {
                    let hidden = document().visibility_state() == web_sys::VisibilityState::Hidden;
                    if !hidden {
                        reload();
                    }
                },
                Duration::from_secs(u64::from(seconds)),
            )
            .ok()
        });
        handle.set_value(next);
    });
}
