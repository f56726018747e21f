//! tlswatch's pages, leptos apps compiled to WebAssembly: the dashboard
//! and the fleet overview, one bundle each (src/bin/), built by Trunk from
//! index.html and overview.html.
//!
//! The page URL is the view: a page reads it with the same parser the
//! proxy uses (`tlswatch-shared`), asks the API with its canonical query
//! string and draws the answer with ECharts, its options built with
//! charming's types (`chart_option`). The dashboard's first series request
//! leaves before the app starts (boot.js, `preload`).

pub mod api;
pub mod chart_option;
pub mod clipboard;
pub mod components;
pub mod echarts;
pub mod pages;
pub mod preload;
pub mod state;
pub mod time_fmt;

use leptos::prelude::*;
use leptos_router::components::Router;

/// Set when the WebAssembly starts, for time-to-chart measurements: the
/// first series request must have left before it.
const STARTED_MARK: &str = "tlswatch:wasm-started";

/// Starts a page: `page` is mounted inside the router, which keeps the
/// address bar the source of truth.
pub fn start<V: IntoView + 'static>(page: fn() -> V) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(STARTED_MARK);
    }
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(move || view! { <Router>{page()}</Router> });
}
