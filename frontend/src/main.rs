//! tlswatch's dashboard, a leptos app compiled to WebAssembly.
//!
//! The page URL is the view: the app reads it with the same parser the proxy
//! uses (`tlswatch-shared`), asks `/api/v1/series` with its canonical query
//! string and draws the answer with ECharts (its option written as JSON).

mod api;
mod app;
mod components;
mod echarts;
mod state;
mod time_fmt;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
