//! tlswatch's dashboard, a leptos app compiled to WebAssembly.
//!
//! The page URL is the view: the app reads it with the same parser the proxy
//! uses (`tlswatch-shared`), asks `/api/v1/series` with its canonical query
//! string and draws the answer with ECharts (its option written as JSON).
//! The first of those requests leaves before the app starts (boot.js,
//! `preload`).

/// Set when the WebAssembly starts, for time-to-chart measurements: the
/// first series request must have left before it.
const STARTED_MARK: &str = "tlswatch:wasm-started";

mod api;
mod app;
mod chart_option;
mod components;
mod echarts;
mod preload;
mod state;
mod time_fmt;

fn main() {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(STARTED_MARK);
    }
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
