//! The page: the URL is the view. Every control writes a new view to the
//! address bar (so back and forward walk through views), and everything shown
//! is derived from the address bar.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::NavigateOptions;
use leptos_router::components::Router;
use leptos_router::hooks::{use_location, use_navigate};
use tlswatch_shared::api::SeriesResponse;
use tlswatch_shared::{TimeZone, View};

use crate::api::{self, ApiFailure};
use crate::components::chart::SeriesChart;
use crate::components::form::ViewForm;
use crate::components::help::HelpPanel;
use crate::components::status::{DemoBadge, ErrorNotice, LoadingNote, Warnings};
use crate::components::summary::{RankingTable, SummaryFigures};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Dashboard/>
        </Router>
    }
}

/// Everything the components share about the current view.
#[derive(Clone, Copy)]
pub struct ViewState {
    /// The view the URL names, or why it is not one.
    pub view: Memo<Result<View, tlswatch_shared::ViewError>>,
    /// Writes a view to the URL.
    pub set_view: Callback<View>,
}

impl ViewState {
    /// The view, or the default one while the URL is not a view.
    pub fn current(&self) -> View {
        self.view.get().unwrap_or_default()
    }

    /// Applies `change` to the current view and writes the result to the URL.
    pub fn update(&self, change: impl FnOnce(&mut View)) {
        let mut view = self.current();
        change(&mut view);
        self.set_view.run(view);
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let view = Memo::new(move |_| View::from_query(&location.search.get()));
    let set_view = Callback::new(move |next: View| {
        let query = next.to_query();
        let url = if query.is_empty() { "/".to_string() } else { format!("/?{query}") };
        navigate(&url, NavigateOptions { scroll: false, ..Default::default() });
    });
    let state = ViewState { view, set_view };
    provide_context(state);

    // What the API is asked: the canonical data view, or the raw query when
    // the URL is not a view, so the API's own message is what the user reads.
    let api_query = Memo::new(move |_| match view.get() {
        Ok(view) => data_view(view).to_query(),
        Err(_) => location.search.get().trim_start_matches('?').to_string(),
    });
    let data = RwSignal::new(None::<SeriesResponse>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let loading = RwSignal::new(false);
    let generation = StoredValue::new(0u64);
    let load = move |query: String| {
        let this = generation.get_value() + 1;
        generation.set_value(this);
        loading.set(true);
        spawn_local(async move {
            let answer = api::series(&query).await;
            // A newer request has started since: its answer wins.
            if generation.get_value() != this {
                return;
            }
            loading.set(false);
            match answer {
                Ok(response) => {
                    failure.set(None);
                    data.set(Some(response));
                }
                Err(err) => {
                    failure.set(Some(err));
                    data.set(None);
                }
            }
        });
    };
    Effect::new(move |_| load(api_query.get()));
    auto_refresh(state, move || load(api_query.get_untracked()));

    let catalog = LocalResource::new(api::catalog);
    provide_context(catalog);
    let tz = Signal::derive(move || state.current().tz);
    let stack = Signal::derive(move || state.current().stack);

    view! {
        <header class="masthead">
            <div>
                <h1>"tlswatch"</h1>
                <p class="tagline">"TLS negotiation errors between your load balancers and their targets"</p>
            </div>
            <Suspense fallback=|| ()>
                {move || catalog.get().and_then(Result::ok).map(|catalog| view! { <DemoBadge source=catalog.source/> })}
            </Suspense>
        </header>
        <main class="layout">
            <ViewForm failure=failure.into()/>
            <section class="results" aria-label="Results">
                <LoadingNote loading=loading.into()/>
                {move || failure.get().map(|failure| view! { <ErrorNotice failure/> })}
                {move || data.get().map(|response| view! { <Warnings warnings=response.warnings/> })}
                <SummaryFigures data=data.into() tz/>
                <SeriesChart data=data.into() tz stack/>
                <RankingTable data=data.into() tz/>
                <HelpPanel/>
            </section>
        </main>
    }
}

/// The view without what only changes how the page shows it: what the API is asked.
pub fn data_view(view: View) -> View {
    View { tz: TimeZone::default(), refresh: Default::default(), stack: false, format: Default::default(), ..view }
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
