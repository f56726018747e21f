//! The time-series chart: its option built by `chart_option`, drawn by ECharts.
//! Zooming (drag a box on the plot, the slider, the wheel with Ctrl held, or
//! the plus and minus keys on the focused chart) writes the zoomed range to
//! the URL as absolute times, so a zoom is a view too. The focused chart
//! takes the keyboard: the arrows, Home and End walk the buckets, showing
//! each one's tooltip and saying its values in a live region.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use leptos::html::Div;
use leptos::prelude::*;
use serde_json::json;
use tlswatch_shared::api::SeriesResponse;
use tlswatch_shared::time::{minute_ceil, minute_floor};
use tlswatch_shared::{Statistic, TimeZone};
use wasm_bindgen::prelude::*;

use crate::chart_option::{self, GRID_BOTTOM, LEGEND_ROW, LEGEND_SIDE, STILL_FILLING, grid_top};
use crate::components::line_toggles::LineToggles;
use crate::echarts::{self, Instance};
use crate::state::{use_first_view_settled, use_view_state};
use crate::time_fmt;

/// How long the zoom must rest before it is written to the URL.
const ZOOM_SETTLE: Duration = Duration::from_millis(600);
/// Set once the first chart is drawn, for time-to-chart measurements.
const DRAWN_MARK: &str = "tlswatch:chart-drawn";
/// The mark set when the first chart's option is built, before ECharts
/// draws it: the bench tells the page's own work from ECharts' by it.
const BUILT_MARK: &str = "tlswatch:option-built";

#[component]
pub fn SeriesChart(
    data: Signal<Option<Arc<SeriesResponse>>>,
    tz: Signal<TimeZone>,
    stack: Signal<bool>,
) -> impl IntoView {
    let state = use_view_state();
    let settled = use_first_view_settled();
    let element = NodeRef::<Div>::new();
    let instance = StoredValue::new_local(None::<Instance>);
    let zoom_generation = StoredValue::new(0u64);
    let table_open = RwSignal::new(false);
    // The bucket the keyboard is on (its start), the range the last zoom
    // asked for (until its data comes), and the rows the legend takes.
    let bucket = StoredValue::new(None::<i64>);
    let asked = StoredValue::new(None::<(f64, f64)>);
    let legend_rows = StoredValue::new(1);
    // The lines hidden by the legend or the keyboard's toggles; every new
    // answer is drawn with all of them shown.
    let hidden = RwSignal::new(BTreeSet::<String>::new());

    // Writes a zoomed range to the URL once the zoom rests.
    let write_range = move |start_ms: f64, end_ms: f64| {
        asked.set_value(Some((start_ms, end_ms)));
        let this = zoom_generation.get_value() + 1;
        zoom_generation.set_value(this);
        set_timeout(
            move || {
                if zoom_generation.get_value() != this {
                    return;
                }
                let from = minute_floor((start_ms / 1_000.0) as i64);
                let to = minute_ceil((end_ms / 1_000.0).ceil() as i64);
                if to > from {
                    state.update(|view| view.set_absolute_range(from, to));
                }
            },
            ZOOM_SETTLE,
        );
    };
    let on_zoom = move |instance: &Instance| {
        if let Some((start_ms, end_ms)) = echarts::zoomed_range(instance) {
            write_range(start_ms, end_ms);
        }
    };

    let hide_tip = move || {
        if let Some(chart) = instance.get_value() {
            chart.dispatch(&json!({"type": "hideTip"}));
        }
    };
    // The keyboard's way through the chart: a bucket at a time, and zooming
    // around the bucket it is on.
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let (Some(response), Some(chart)) = (data.get_untracked(), instance.get_value()) else { return };
        let times = response.series.first().map_or(&[][..], |s| &s.timestamps[..]);
        let Some(last) = times.len().checked_sub(1) else { return };
        let at = bucket.get_value().map(|t| times.partition_point(|x| *x < t).min(last));
        let index = match ev.key().as_str() {
            "ArrowRight" => at.map_or(0, |i| (i + 1).min(last)),
            "ArrowLeft" => at.map_or(last, |i| i.saturating_sub(1)),
            "Home" => 0,
            "End" => last,
            "Escape" => return hide_tip(),
            key @ ("+" | "=" | "-" | "_") => {
                ev.prevent_default();
                let factor = if matches!(key, "+" | "=") { 0.5 } else { 2.0 };
                let range = asked.get_value().unwrap_or((response.start as f64 * 1e3, response.end as f64 * 1e3));
                let centre = at.map_or((range.0 + range.1) / 2.0, |i| times[i] as f64 * 1e3);
                let (from, to) = zoomed(range, centre, factor, f64::from(response.period) * 2e3, js_sys::Date::now());
                if from >= response.start as f64 * 1e3 && to <= response.end as f64 * 1e3 {
                    // Within the data: the chart zooms now, and its zoom
                    // event writes the range, as the slider's does.
                    chart
                        .dispatch(&json!({"type": "dataZoom", "dataZoomIndex": 0, "startValue": from, "endValue": to}));
                } else {
                    write_range(from, to);
                }
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        let t = times[index];
        bucket.set_value(Some(t));
        let Ok(finder) = echarts::to_js(&json!({"xAxisIndex": 0})) else { return };
        let x = chart.convert_to_pixel(&finder, t as f64 * 1e3);
        let y = (grid_top(legend_rows.get_value()) as f64 + chart.height() - GRID_BOTTOM as f64) / 2.0;
        chart.dispatch(&json!({"type": "showTip", "x": x, "y": y}));
        say(Some(t), &say_bucket(&response, index, tz.get_untracked()));
    };

    Effect::new(move |_| {
        let Some(response) = data.get() else { return };
        let tz = tz.get();
        let stack = stack.get();
        let Some(div) = element.get() else { return };
        let rows = fit_legend(&div, &response, legend_rows);
        // A new answer: a new range, values the live region no longer says.
        asked.set_value(None);
        say(None, "");
        let chart = instance.get_value().unwrap_or_else(|| {
            let chart = echarts::init(&div);
            let for_handler = chart.clone();
            let handler = Closure::<dyn Fn()>::new(move || on_zoom(&for_handler));
            chart.on("datazoom", handler.as_ref().unchecked_ref());
            // The chart lives as long as the page.
            handler.forget();
            let on_legend = Closure::<dyn Fn(JsValue)>::new(move |event: JsValue| hidden.set(unselected(&event)));
            chart.on("legendselectchanged", on_legend.as_ref().unchecked_ref());
            on_legend.forget();
            let (for_legend, legend_div) = (chart.clone(), div.clone());
            // A legend with more or fewer rows at the new width moves the plot.
            let on_width = move || {
                let Some(response) = data.get_untracked() else { return };
                let before = legend_rows.get_value();
                let rows = fit_legend(&legend_div, &response, legend_rows);
                if rows != before {
                    for_legend.set(echarts::to_js(&json!({"grid": {"top": grid_top(rows)}})), false);
                }
            };
            follow_size(&div, chart.clone(), on_width);
            leave_the_wheel_to_the_page(&div);
            instance.set_value(Some(chart.clone()));
            chart
        });
        hidden.set(BTreeSet::new());
        let option = chart_option::series_chart(&response, tz, stack, rows);
        mark_first(BUILT_MARK);
        chart.set(option, true);
        mark_first(DRAWN_MARK);
        settled.set(true);
        // Dragging on the plot selects a range to zoom into. Not needed to
        // see the chart: armed right after it is drawn, not before.
        set_timeout(
            move || {
                chart.dispatch(&json!({
                    "type": "takeGlobalCursor", "key": "dataZoomSelect", "dataZoomSelectActive": true
                }))
            },
            Duration::ZERO,
        );
    });

    view! {
        <div
            id="chart"
            class="chart"
            class:hidden=move || data.with(Option::is_none)
            node_ref=element
            // Keys of its own (see `on_key`): in focus mode for screen readers.
            role="application"
            tabindex="0"
            aria-label=move || data.with(|response| response.as_ref().map(|r| describe(r, tz.get())))
            aria-describedby="chart-keys"
            on:keydown=on_key
            on:blur=move |_| hide_tip()
        ></div>
        <p class="hint" id="chart-keys" class:hidden=move || data.with(Option::is_none)>
            "On the focused chart: Left and Right arrows, Home and End step through the buckets; \
             + and - zoom in and out around the bucket; Escape hides its values."
        </p>
        <LineToggles
            names=Signal::derive(move || data.with(|r| r.as_ref().map(|r| r.series.iter().map(|s| s.label.clone()).collect()).unwrap_or_default()))
            hidden=hidden.into()
            toggle=Callback::new(move |name: String| {
                let Some(chart) = instance.get_value() else { return };
                // ECharts answers with `legendselectchanged` at once, which sets `hidden`.
                chart.dispatch(&json!({"type": "legendToggleSelect", "name": name}));
                let now_hidden = hidden.with_untracked(|hidden| hidden.contains(&name));
                say(None, &format!("{name} {}", if now_hidden { "hidden" } else { "shown" }));
            })
        />
        // Written by `say`, not by leptos, as the keys move.
        <p class="visually-hidden" id="chart-said" role="status"></p>
        {move || data.with(|response| response.as_ref().map(|r| marks(r, tz.get())))}
        // The values drawn, for readers who cannot see the chart, all at
        // once rather than a bucket at a time: built only while open.
        <details class="data" id="data-table" class:hidden=move || data.with(Option::is_none)
            on:toggle=move |_| table_open.update(|open| *open = !*open)>
            <summary>"The chart's data as a table"</summary>
            {move || table_open.get().then(|| data.with(|r| r.as_ref().map(|r| table(r, tz.get()))))}
        </details>
    }
}

/// The names a `legendselectchanged` event says are not selected.
fn unselected(event: &JsValue) -> BTreeSet<String> {
    let Ok(selected) = js_sys::Reflect::get(event, &"selected".into()) else { return BTreeSet::new() };
    let Some(selected) = selected.dyn_ref::<js_sys::Object>() else { return BTreeSet::new() };
    js_sys::Object::entries(selected)
        .iter()
        .filter_map(|entry| {
            let entry: js_sys::Array = entry.dyn_into().ok()?;
            (entry.get(1).as_bool() == Some(false)).then(|| entry.get(0).as_string()).flatten()
        })
        .collect()
}

/// One row per bucket, one column per line.
fn table(response: &SeriesResponse, tz: TimeZone) -> impl IntoView + use<> {
    let head = response.series.iter().map(|s| view! { <th scope="col">{s.label.clone()}</th> }).collect_view();
    let times = response.series.first().map(|s| s.timestamps.clone()).unwrap_or_default();
    let rows = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cells = response
                .series
                .iter()
                .map(|s| {
                    let value = s.values.get(i).copied().flatten();
                    view! { <td class="number">{value.map_or_else(|| "no data".to_string(), |v| v.to_string())}</td> }
                })
                .collect_view();
            view! { <tr><th scope="row" data-t=*t>{time_fmt::show(*t, tz)}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="scroll" tabindex="0" role="region" aria-label="The chart's data">
            <table class="ranking">
                <thead><tr><th scope="col">"Time"</th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The chart's accessible name: what it shows, of what, when.
fn describe(response: &SeriesResponse, tz: TimeZone) -> String {
    let stat = response.series.first().map_or(Statistic::Sum, |s| s.stat);
    let names: Vec<&str> = response.series.iter().map(|s| s.label.as_str()).collect();
    format!(
        "Chart of the {stat} of TLS negotiation errors per {} minutes, {} to {}, {} lines: {}. \
         The summary gives the figures, the list of marks the onsets, spikes and alarms.",
        response.period / 60,
        time_fmt::show(response.start, tz),
        time_fmt::show(response.end, tz),
        names.len(),
        names.join("; ")
    )
}

/// The marks drawn on the chart as text: each with its series and times.
fn marks(response: &SeriesResponse, tz: TimeZone) -> Option<impl IntoView + use<>> {
    use tlswatch_shared::api::AnnotationKind;
    if response.annotations.is_empty() {
        return None;
    }
    let items = response
        .annotations
        .iter()
        .map(|a| {
            let kind = match a.kind {
                AnnotationKind::Onset => "onset",
                AnnotationKind::Spike => "spike",
                AnnotationKind::Alarm => "alarm",
                AnnotationKind::Change => "change",
            };
            let series = response.series.iter().find(|s| s.id == a.series).map_or(&a.series, |s| &s.label).clone();
            let when = match a.t_end {
                Some(end) => format!("{} to {}", time_fmt::show(a.t, tz), time_fmt::show(end, tz)),
                // An alarm's threshold is a level, not a time.
                None if a.kind == AnnotationKind::Alarm => format!("threshold {}", a.value),
                None => time_fmt::show(a.t, tz),
            };
            let text = format!("{series}, {when}: {}", a.text);
            let link = a.link.clone().map(|href| {
                view! { " " <a href=href target="_blank" rel="noopener noreferrer">"CloudTrail event"</a> }
            });
            view! { <li data-kind=kind data-series=series data-t=a.t>{text}{link}</li> }
        })
        .collect_view();
    Some(view! {
        <details class="marks" id="marks">
            <summary>{format!("Marks on the chart ({}): onsets, spikes, alarms and changes", response.annotations.len())}</summary>
            <ul>{items}</ul>
        </details>
    })
}

/// Keeps the wheel without Ctrl from ECharts, which otherwise takes every
/// wheel over the plot (even one it does not zoom with) and stops the page
/// from scrolling: caught on the way down to ECharts' own element, the
/// event scrolls the page as anywhere else. With Ctrl held, it zooms.
fn leave_the_wheel_to_the_page(element: &web_sys::HtmlElement) {
    let stop = Closure::<dyn Fn(web_sys::WheelEvent)>::new(|ev: web_sys::WheelEvent| {
        if !ev.ctrl_key() {
            ev.stop_propagation();
        }
    });
    let _ = element.add_event_listener_with_callback_and_bool("wheel", stop.as_ref().unchecked_ref(), true);
    // The listener lives as long as the page, as the chart does.
    stop.forget();
}

/// Resizes the chart whenever its element changes size. ECharts sizes its
/// canvas from the element only when asked, and the element is laid out
/// after the chart is made (the results are built before they are shown),
/// then follows the window and the page around it. A resize draws the
/// whole chart again, so it is asked only when the size differs from the
/// chart's: the observer's first report, at the size the chart was made
/// with, costs nothing.
/// A new width goes to `on_width` first, which the legend's rows follow.
fn follow_size(element: &web_sys::HtmlElement, chart: Instance, on_width: impl Fn() + 'static) {
    let observed = element.clone();
    let resize = Closure::<dyn Fn()>::new(move || {
        let (width, height) = (observed.client_width(), observed.client_height());
        if f64::from(width) != chart.width() {
            on_width();
        }
        if f64::from(width) != chart.width() || f64::from(height) != chart.height() {
            chart.resize();
        }
    });
    if let Ok(observer) = web_sys::ResizeObserver::new(resize.as_ref().unchecked_ref()) {
        observer.observe(element);
    }
    // The observer and its callback live as long as the page, as the chart does.
    resize.forget();
}

/// Counts the rows the legend takes at the element's width into `rows`,
/// and makes the element taller by the rows past the first, so the plot
/// keeps its height. Returns the rows.
fn fit_legend(element: &web_sys::HtmlElement, response: &SeriesResponse, rows: StoredValue<i32>) -> i32 {
    let count = rows_of_legend(response.series.iter().map(|s| s.label.as_str()), element.client_width());
    rows.set_value(count);
    // Through the CSS object model, which the page's Content-Security-Policy allows.
    let _ = element.style().set_property("--legend-extra", &format!("{}px", (count - 1) * LEGEND_ROW));
    count
}

/// What the live region says (and the bucket it speaks of, for tests).
fn say(t: Option<i64>, text: &str) {
    if let Some(said) = document().get_element_by_id("chart-said") {
        said.set_text_content(Some(text));
        let _ = match t {
            Some(t) => said.set_attribute("data-t", &t.to_string()),
            None => said.remove_attribute("data-t"),
        };
    }
}

/// How many rows the legend takes at `width` pixels, counted as ECharts
/// lays it out (a 25 px symbol, 5 px to the name, 8 px to the next item),
/// with 6.6 px per character of 12 px text, a little wider than most.
fn rows_of_legend<'a>(names: impl Iterator<Item = &'a str>, width: i32) -> i32 {
    // Before the element is laid out, a desktop's width.
    let room = f64::from(if width > 0 { width } else { 1_000 } - 2 * LEGEND_SIDE - 10);
    let (mut rows, mut used) = (1, 0.0);
    for name in names {
        let item = 39.0 + 6.6 * name.chars().count() as f64;
        if used > 0.0 && used + item > room {
            rows += 1;
            used = 0.0;
        }
        used += item;
    }
    rows
}

/// A zoom of `range` (epoch ms) by `factor` around `centre`: never shorter
/// than `shortest`, nor past `now` unless the range already was.
fn zoomed(range: (f64, f64), centre: f64, factor: f64, shortest: f64, now: f64) -> (f64, f64) {
    let half = ((range.1 - range.0) * factor).max(shortest) / 2.0;
    let latest = now.max(range.1);
    let to = (centre + half).min(latest);
    (to - 2.0 * half, to)
}

/// What the live region says of the `index`th bucket: its time, each line's
/// value, and the marks on it, with their series.
fn say_bucket(response: &SeriesResponse, index: usize, tz: TimeZone) -> String {
    use tlswatch_shared::api::AnnotationKind;
    let Some(t) = response.series.first().and_then(|s| s.timestamps.get(index).copied()) else {
        return String::new();
    };
    let label =
        |id: &str| response.series.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.label.clone());
    let mut parts: Vec<String> = response
        .series
        .iter()
        .map(|s| match s.values.get(index).copied().flatten() {
            Some(value) => format!("{} {value}", s.label),
            None => format!("{} no data", s.label),
        })
        .collect();
    parts.extend(response.annotations.iter().filter_map(|a| match (a.kind, a.t_end) {
        (AnnotationKind::Onset, _) if a.t == t => Some(format!("errors started in {}", label(&a.series))),
        (AnnotationKind::Spike, end) if a.t <= t && t <= end.unwrap_or(a.t) => {
            Some(format!("spike in {}", label(&a.series)))
        }
        (AnnotationKind::Alarm, Some(end)) if a.t <= t && t < end => Some(format!("{} in ALARM", label(&a.series))),
        (AnnotationKind::Change, _) if (t..t + i64::from(response.period)).contains(&a.t) => {
            Some(format!("change: {}", a.text))
        }
        _ => None,
    }));
    if response.partial_from.is_some_and(|from| t >= from) {
        parts.push(STILL_FILLING.to_string());
    }
    format!("{}: {}.", time_fmt::show(t, tz), parts.join("; "))
}

/// Sets a performance mark the first time the page reaches it.
fn mark_first(name: &str) {
    if let Some(performance) = window().performance()
        && performance.get_entries_by_name(name).length() == 0
    {
        let _ = performance.mark(name);
    }
}
