//! The page: reads the view from the URL and shows its data.

use leptos::prelude::*;
use leptos_router::components::Router;
use leptos_router::hooks::use_location;
use tlswatch_shared::View;

use crate::api;
use crate::components::chart::Chart;
use crate::components::status::{ErrorNotice, ViewSummary, Warnings};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="masthead">
                <h1>"tlswatch"</h1>
                <p class="tagline">"TLS negotiation errors between your load balancers and their targets"</p>
            </header>
            <main>
                <Dashboard/>
            </main>
        </Router>
    }
}

/// The view named by the URL, its data and its chart.
#[component]
fn Dashboard() -> impl IntoView {
    let location = use_location();
    let view = Memo::new(move |_| View::from_query(&location.search.get()));
    let data = LocalResource::new(move || {
        let view = view.get();
        async move {
            match view {
                Ok(view) => api::series(&view.to_query()).await,
                Err(err) => Err(api::ApiFailure { message: err.message, param: Some(err.param) }),
            }
        }
    });

    view! {
        {move || view.get().ok().map(|view| view! { <ViewSummary view/> })}
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || data.get().map(|answer| match answer {
                Ok(response) => view! {
                    <Warnings warnings=response.warnings.clone()/>
                    <Chart response/>
                }.into_any(),
                Err(failure) => view! { <ErrorNotice failure/> }.into_any(),
            })}
        </Suspense>
    }
}
