//! The time-series chart: an ECharts option written as JSON, drawn by ECharts.
//! Zooming (drag a box on the plot, the slider, or the wheel with Ctrl held) writes
//! the zoomed range to the URL as absolute times, so a zoom is a view too.

use std::sync::Arc;
use std::time::Duration;

use leptos::html::Div;
use leptos::prelude::*;
use tlswatch_shared::api::{Series, SeriesResponse};
use tlswatch_shared::time::{minute_ceil, minute_floor};
use tlswatch_shared::{Statistic, TimeSpec, TimeZone};
use wasm_bindgen::prelude::*;

use crate::echarts::{self, Instance};
use crate::state::{use_first_view_settled, use_view_state};
use crate::time_fmt;

/// How long the zoom must rest before it is written to the URL.
const ZOOM_SETTLE: Duration = Duration::from_millis(600);
/// Set once the first chart is drawn, for time-to-chart measurements.
const DRAWN_MARK: &str = "tlswatch:chart-drawn";

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

    let on_zoom = move |instance: &Instance| {
        let Some((start_ms, end_ms)) = echarts::zoomed_range(instance) else { return };
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
                    state.update(|view| {
                        view.from = TimeSpec::At(from);
                        view.to = TimeSpec::At(to);
                    });
                }
            },
            ZOOM_SETTLE,
        );
    };

    Effect::new(move |_| {
        let Some(response) = data.get() else { return };
        let tz = tz.get();
        let stack = stack.get();
        let Some(div) = element.get() else { return };
        let chart = instance.get_value().unwrap_or_else(|| {
            let chart = echarts::init(&div);
            let for_handler = chart.clone();
            let handler = Closure::<dyn Fn()>::new(move || on_zoom(&for_handler));
            chart.on("datazoom", handler.as_ref().unchecked_ref());
            // The chart lives as long as the page.
            handler.forget();
            follow_size(&div, chart.clone());
            leave_the_wheel_to_the_page(&div);
            instance.set_value(Some(chart.clone()));
            chart
        });
        chart.set_option(&echarts::to_js(&option(&response, tz, stack)), true);
        if let Some(performance) = window().performance()
            && performance.get_entries_by_name(DRAWN_MARK).length() == 0
        {
            let _ = performance.mark(DRAWN_MARK);
        }
        settled.set(true);
        // Dragging on the plot selects a range to zoom into. Not needed to
        // see the chart: armed right after it is drawn, not before.
        set_timeout(
            move || {
                chart.dispatch_action(&echarts::to_js(&serde_json::json!({
                    "type": "takeGlobalCursor", "key": "dataZoomSelect", "dataZoomSelectActive": true
                })))
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
            role="img"
            aria-label=move || data.with(|response| response.as_ref().map(|r| describe(r, tz.get())))
        ></div>
        {move || data.with(|response| response.as_ref().map(|r| marks(r, tz.get())))}
        // The values drawn, for readers who cannot see the chart or use its
        // mouse-only tooltip: built only while open.
        <details class="data" id="data-table" class:hidden=move || data.with(Option::is_none)
            on:toggle=move |_| table_open.update(|open| *open = !*open)>
            <summary>"The chart's data as a table"</summary>
            {move || table_open.get().then(|| data.with(|r| r.as_ref().map(|r| table(r, tz.get()))))}
        </details>
    }
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
    use tlswatch_shared::annotate::AnnotationKind;
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
            };
            let series = response.series.iter().find(|s| s.id == a.series).map_or(&a.series, |s| &s.label).clone();
            let when = match a.t_end {
                Some(end) => format!("{} to {}", time_fmt::show(a.t, tz), time_fmt::show(end, tz)),
                // An alarm's threshold is a level, not a time.
                None if a.kind == AnnotationKind::Alarm => format!("threshold {}", a.value),
                None => time_fmt::show(a.t, tz),
            };
            let text = format!("{series}, {when}: {}", a.text);
            view! { <li data-kind=kind data-series=series data-t=a.t>{text}</li> }
        })
        .collect_view();
    Some(view! {
        <details class="marks" id="marks">
            <summary>{format!("Marks on the chart ({}): onsets, spikes and alarms", response.annotations.len())}</summary>
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
fn follow_size(element: &web_sys::HtmlElement, chart: Instance) {
    let observed = element.clone();
    let resize = Closure::<dyn Fn()>::new(move || {
        let (width, height) = (observed.client_width(), observed.client_height());
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

/// The ECharts option of a response: one line per series on a time axis,
/// plus a dashed tail per series over the buckets that are still filling.
///
/// Written as JSON rather than built with charming's types: their
/// serializers cost 13 KB of the `.wasm` (brotli) to write the twenty-odd
/// settings the dashboard uses, and the page's weight is budgeted
/// (docs/benchmarks.md). ECharts' option reference documents every key.
fn option(response: &SeriesResponse, tz: TimeZone, stack: bool) -> serde_json::Value {
    use serde_json::json;
    let stat = response.series.first().map_or(Statistic::Sum, |s| s.stat).to_string();
    let first_partial =
        |series: &Series| series.timestamps.partition_point(|t| response.partial_from.is_none_or(|from| *t < from));
    let lines: Vec<_> = response
        .series
        .iter()
        .enumerate()
        .map(|(index, series)| {
            let (colour, dash) = look(index);
            json!({
                "type": "line",
                "id": series.id,
                "name": series.label,
                "itemStyle": {"color": colour},
                "lineStyle": {"color": colour, "type": dash},
                // Only values with no neighbour get a symbol (see `points`).
                "symbol": "none",
                // More buckets than pixels across (a week at 1 min): ECharts
                // keeps the points that shape the line, spikes included.
                "sampling": "lttb",
                "data": points(series, 0..first_partial(series)),
            })
        })
        .collect();
    let mut tooltip = json!({"trigger": "axis"});
    // Drawn on the canvas: HTML tooltips carry inline `style` attributes,
    // which the page's Content-Security-Policy refuses.
    tooltip["renderMode"] = json!("richText");
    // The page's furniture, the same for every view. Dragging on the plot
    // zooms through the (hidden) toolbox's data-zoom feature.
    let mut option = json!({
        "grid": {"left": 56, "right": 24, "top": 56, "bottom": 72},
        "tooltip": tooltip,
        "legend": {"type": "scroll", "top": 8},
        "toolbox": {"show": false, "feature": {"dataZoom": {"yAxisIndex": "none"}}},
        // The wheel scrolls the page; with Ctrl held, it zooms.
        "dataZoom": [
            {"type": "inside", "filterMode": "none", "zoomOnMouseWheel": "ctrl", "moveOnMouseWheel": false},
            {"type": "slider", "filterMode": "none", "bottom": 16}
        ],
        "xAxis": {"type": "time", "min": response.start * 1_000, "max": response.end * 1_000},
        "yAxis": [{"type": "value", "name": stat, "minInterval": 1}],
        "series": lines,
    });
    mark_annotations(&mut option, response);
    put_rates_on_their_own_axis(&mut option, response);
    let Some(lines) = option["series"].as_array_mut() else { return option };
    let tails: Vec<_> = response
        .series
        .iter()
        .zip(lines.iter())
        .flat_map(|(series, line)| partial_tail(series, line, first_partial(series)))
        .collect();
    lines.extend(tails);
    if stack {
        for line in lines {
            // Tails and bridges each stack among themselves: they start
            // where the lines end, so their sums meet the lines' sums.
            let id = line["id"].as_str().unwrap_or_default();
            let stack = if id.ends_with(PARTIAL_ID_SUFFIX) {
                "partial"
            } else if id.ends_with(BRIDGE_ID_SUFFIX) {
                "bridge"
            } else {
                "total"
            };
            line["stack"] = json!(stack);
            line["areaStyle"] = json!({"opacity": 0.35});
        }
    }
    option["useUTC"] = serde_json::Value::Bool(tz == TimeZone::Utc);
    option["animation"] = serde_json::Value::Bool(false);
    option
}

/// Line colours, each at least 3:1 against the page's white (WCAG's
/// contrast for graphics), none the red of the marks.
const PALETTE: [&str; 8] = ["#2451b3", "#b35900", "#1e7b3c", "#c2185b", "#7b3fb0", "#00798c", "#9c7a00", "#4d5766"];
/// Dash patterns (on, off, ... in pixels; empty is solid), so lines are
/// told apart without colour.
const DASHES: [&[u8]; 8] = [&[], &[8, 4], &[2, 3], &[12, 3, 3, 3], &[5, 5], &[16, 4], &[2, 7], &[8, 3, 2, 3]];

/// The colour and dash of the `index`th line: every line of the first 64
/// differs from every other in colour, dash or both, and the first eight
/// in both.
fn look(index: usize) -> (&'static str, serde_json::Value) {
    let colour = PALETTE[index % PALETTE.len()];
    let dash = DASHES[(index + index / PALETTE.len()) % DASHES.len()];
    (colour, if dash.is_empty() { serde_json::json!("solid") } else { serde_json::json!(dash) })
}

/// What the tooltip says of a bucket CloudWatch may still add to.
const STILL_FILLING: &str = "still filling";
/// The id of a series' partial tail is the series' id with this suffix.
const PARTIAL_ID_SUFFIX: &str = "-partial";
/// The id of the dashed bridge from a series' last final bucket to its tail.
const BRIDGE_ID_SUFFIX: &str = "-bridge";

/// The buckets in `range` as `[epoch ms, value]`. A value with no value on
/// either side would be a line of zero length, invisible without a symbol:
/// those, and only those, get one, so dense lines stay clean.
fn points(series: &Series, range: std::ops::Range<usize>) -> Vec<serde_json::Value> {
    let has_value = |i: usize| series.values.get(i).is_some_and(Option::is_some);
    range
        .map(|i| {
            let point = serde_json::json!([series.timestamps[i] * 1_000, series.values[i]]);
            let alone = has_value(i) && !(i > 0 && has_value(i - 1)) && !has_value(i + 1);
            if alone { serde_json::json!({"value": point, "symbol": "circle", "symbolSize": 6}) } else { point }
        })
        .collect()
}

/// The buckets from `first_partial` on, which CloudWatch may still add to:
/// hollow points on a dashed line, whose tooltip says they are still
/// filling, and a dashed bridge to them from the last final bucket. Both
/// have the line's name, so the legend shows and hides them with it; the
/// bridge has no tooltip, so the tooltip lists each bucket once.
fn partial_tail(series: &Series, line: &serde_json::Value, first_partial: usize) -> Vec<serde_json::Value> {
    use serde_json::json;
    let len = series.timestamps.len();
    if first_partial >= len {
        return Vec::new();
    }
    let y_axis = line.get("yAxisIndex").cloned().unwrap_or(json!(0));
    let colour = line["lineStyle"]["color"].clone();
    let dash = if series.per_thousand.is_some() { "dotted" } else { "dashed" };
    let point = |i: usize| json!([series.timestamps[i] * 1_000, series.values[i]]);
    let tail = json!({
        "type": "line",
        "id": format!("{}{PARTIAL_ID_SUFFIX}", series.id),
        "name": series.label,
        "yAxisIndex": y_axis,
        "symbol": "emptyCircle",
        "itemStyle": {"color": colour},
        "lineStyle": {"type": dash, "color": colour},
        // Unnamed, so the tooltip shows the note on the value's line.
        "dimensions": [null, null, {"type": "ordinal"}],
        "encode": {"x": 0, "y": 1, "tooltip": [1, 2]},
        "data": (first_partial..len)
            .map(|i| json!([series.timestamps[i] * 1_000, series.values[i], STILL_FILLING]))
            .collect::<Vec<_>>(),
    });
    let bridge = first_partial.checked_sub(1).map(|last_final| {
        json!({
            "type": "line",
            "id": format!("{}{BRIDGE_ID_SUFFIX}", series.id),
            "name": series.label,
            "yAxisIndex": y_axis,
            "symbol": "none",
            "lineStyle": {"type": dash, "color": colour},
            "tooltip": {"show": false},
            "silent": true,
            "data": [point(last_final), point(first_partial)],
        })
    });
    std::iter::once(tail).chain(bridge).collect()
}

/// Draws onsets as dashed lines, alarm thresholds as dotted ones and spikes
/// as shaded spans on their series.
/// Labels are plain strings: no formatter functions, which the page's
/// Content-Security-Policy would refuse.
fn mark_annotations(option: &mut serde_json::Value, response: &SeriesResponse) {
    use serde_json::json;
    use tlswatch_shared::annotate::AnnotationKind;
    for (index, series) in response.series.iter().enumerate() {
        let mine = || response.annotations.iter().filter(|a| a.series == series.id);
        let mut lines: Vec<_> = mine()
            .filter(|a| a.kind == AnnotationKind::Onset)
            .map(|a| json!({"xAxis": a.t * 1_000, "name": a.text, "label": {"formatter": "errors started"}}))
            .collect();
        lines.extend(mine().filter(|a| a.kind == AnnotationKind::Alarm && a.t_end.is_none()).map(|a| {
            json!({"yAxis": a.value, "name": a.text, "label": {"formatter": "alarm", "position": "insideStartTop"},
                   "lineStyle": {"type": "dotted", "color": "#b06000"}})
        }));
        let mut spikes: Vec<_> = mine()
            .filter(|a| a.kind == AnnotationKind::Spike)
            .map(|a| {
                let name = format!("spike in {}", series.label);
                json!([{"xAxis": a.t * 1_000, "name": name}, {"xAxis": a.t_end.unwrap_or(a.t) * 1_000}])
            })
            .collect();
        // Periods an alarm spent in ALARM, shaded in the alarm's colour.
        spikes.extend(mine().filter(|a| a.kind == AnnotationKind::Alarm && a.t_end.is_some()).map(|a| {
            json!([
                {"xAxis": a.t * 1_000, "name": "in ALARM", "itemStyle": {"color": "rgba(176, 96, 0, 0.10)"}},
                {"xAxis": a.t_end.unwrap_or(a.t) * 1_000}
            ])
        }));
        let Some(target) = option["series"].get_mut(index) else { continue };
        if !lines.is_empty() {
            target["markLine"] = json!({
                "symbol": ["none", "none"],
                "silent": true,
                "label": {"position": "insideEndTop"},
                "lineStyle": {"type": "dashed", "color": "#a4262c"},
                "data": lines,
            });
        }
        if !spikes.is_empty() {
            target["markArea"] = json!({
                "silent": true,
                "itemStyle": {"color": "rgba(164, 38, 44, 0.12)"},
                "label": {"show": false},
                "data": spikes,
            });
        }
    }
}

/// Rates (per 1,000) are on another scale than counts: a right-hand axis.
fn put_rates_on_their_own_axis(option: &mut serde_json::Value, response: &SeriesResponse) {
    if !response.series.iter().any(|s| s.per_thousand.is_some()) {
        return;
    }
    if let Some(axes) = option["yAxis"].as_array_mut() {
        axes.push(serde_json::json!({"type": "value", "name": "per 1,000", "position": "right"}));
    }
    for (index, series) in response.series.iter().enumerate() {
        if series.per_thousand.is_some()
            && let Some(target) = option["series"].get_mut(index)
        {
            target["yAxisIndex"] = serde_json::Value::from(1);
            target["lineStyle"]["type"] = serde_json::json!("dashed");
        }
    }
}
