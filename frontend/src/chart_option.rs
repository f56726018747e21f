//! The ECharts options of the page's charts, built from charming's typed
//! option types and serialised once (`serialise`). ECharts' option
//! reference documents every key.
//!
//! charming 0.6 has no field for a few settings the charts need (dash
//! arrays, a point's own symbol, `useUTC`, the tooltip's `renderMode`, the
//! wheel's keys, per-item styles of marks, numeric times of mark areas);
//! the builders collect those as `Untyped` settings beside the typed
//! option, and `serialise` adds them to the serialised value. The hidden
//! toolbox goes the same way: charming's type for it brings the writers of
//! every toolbox feature.

use charming::component::{Axis, DataZoom, DataZoomType, FilterMode, Grid, Legend};
use charming::datatype::{CompositeValue, DataPoint, DataPointItem, NumericValue};
use charming::element::{
    AreaStyle, AxisType, DimensionEncode, ItemStyle, Label, LabelPosition, LineStyle, LineStyleType, MarkArea,
    MarkAreaData, MarkLine, MarkLineData, MarkLineVariant, Sampling, Symbol, Tooltip, Trigger,
};
use charming::series::Line;
use serde::Serialize;
use serde_json::{Value, json};
use tlswatch_shared::api::SeriesResponse;
use tlswatch_shared::api::{Annotation, AnnotationKind};
use tlswatch_shared::overview::Spark;
use tlswatch_shared::{Statistic, TimeZone};
use wasm_bindgen::JsValue;

use crate::echarts;

/// What the tooltip says of a bucket CloudWatch may still add to.
pub const STILL_FILLING: &str = "still filling";
/// The plot's margin below it, for the time axis and the slider.
pub const GRID_BOTTOM: i32 = 72;
/// The legend's margin on either side.
pub const LEGEND_SIDE: i32 = 12;
/// How far apart the legend's rows are: ECharts' 12 px text and 8 px
/// between rows, rounded up.
pub const LEGEND_ROW: i32 = 20;

/// Where the plot starts: below the legend, and the axis names above it.
pub fn grid_top(legend_rows: i32) -> i32 {
    36 + LEGEND_ROW * legend_rows
}

/// The option of the dashboard's chart: one line per series on a time
/// axis (rates on a right-hand axis), each with its partial tail and
/// marks, under a legend of every name, with zooming by the slider, a
/// dragged box or the wheel with Ctrl held.
pub fn series_chart(response: &SeriesResponse, tz: TimeZone, stack: bool, legend_rows: i32) -> Result<JsValue, String> {
    let mut untyped = Untyped::default();
    let stat = response.series.first().map_or(Statistic::Sum, |s| s.stat).to_string();
    let mut chart = LineChart {
        animation: false,
        grid: Grid::new().left(56).right(24).top(grid_top(legend_rows)).bottom(GRID_BOTTOM),
        tooltip: Some(Tooltip::new().trigger(Trigger::Axis)),
        // Every name in sight, on as many rows as it takes: a scrolling
        // legend pages with arrows only a mouse reaches.
        legend: Some(Legend::new().top(8).left(LEGEND_SIDE).right(LEGEND_SIDE)),
        data_zoom: vec![
            DataZoom::new().type_(DataZoomType::Inside).filter_mode(FilterMode::None),
            DataZoom::new().type_(DataZoomType::Slider).filter_mode(FilterMode::None).bottom(16),
        ],
        x_axis: Axis::new().type_(AxisType::Time).min(response.start * 1_000).max(response.end * 1_000),
        y_axis: vec![Axis::new().type_(AxisType::Value).name(stat).min_interval(1.0)],
        series: Vec::new(),
    };
    if response.series.iter().any(|s| s.per_thousand.is_some()) {
        chart.y_axis.push(Axis::new().type_(AxisType::Value).name("per 1,000").position("right"));
    }
    // Every series' line first, then their tails and bridges, drawn over
    // the lines: the series' first line is at the series' index.
    let mut continuations = Vec::new();
    for (index, series) in response.series.iter().enumerate() {
        let first_partial = series.timestamps.partition_point(|t| response.partial_from.is_none_or(|from| *t < from));
        let marks: Vec<&Annotation> = response.annotations.iter().filter(|a| a.series == series.id).collect();
        let spec = LineSpec {
            id: &series.id,
            name: &series.label,
            timestamps: &series.timestamps,
            values: &series.values,
            first_partial,
            look: Look::of_line(index),
            rate: series.per_thousand.is_some(),
            stack,
            marks: &marks,
        };
        let drawn = series_lines(&spec, &mut untyped);
        chart.series.push(drawn.line);
        continuations.extend(drawn.continuation);
    }
    chart.series.extend(continuations);
    // Dragging on the plot zooms through the hidden toolbox's data-zoom
    // feature. Written as JSON: charming's `Toolbox` brings the writers of
    // every toolbox feature (saving images, data views, brushes), a KiB of
    // the `.wasm` for one setting of a toolbox that is never shown.
    untyped.option("", "toolbox", json!({"show": false, "feature": {"dataZoom": {"yAxisIndex": "none"}}}));
    untyped.option("", "useUTC", Value::Bool(tz == TimeZone::Utc));
    // Drawn on the canvas: HTML tooltips carry inline `style` attributes,
    // which the page's Content-Security-Policy refuses.
    untyped.option("/tooltip", "renderMode", json!("richText"));
    // The wheel scrolls the page; with Ctrl held, it zooms.
    untyped.option("/dataZoom/0", "zoomOnMouseWheel", json!("ctrl"));
    untyped.option("/dataZoom/0", "moveOnMouseWheel", Value::Bool(false));
    serialise(&chart, untyped)
}

/// The option of an overview row's trend: its line alone, without axes,
/// drawn by the dashboard's series builder, its still-filling points as the
/// dashboard draws them (dashed and hollow), not as a drop.
pub fn sparkline(spark: &Spark) -> Result<JsValue, String> {
    let mut untyped = Untyped::default();
    let timestamps: Vec<i64> =
        (0..spark.values.len()).map(|i| spark.start + i as i64 * i64::from(spark.period)).collect();
    let spec = LineSpec {
        id: "trend",
        name: "errors",
        timestamps: &timestamps,
        values: &spark.values,
        first_partial: spark.partial_from.map_or(timestamps.len(), |from| timestamps.partition_point(|t| *t < from)),
        look: Look::TREND,
        rate: false,
        stack: false,
        marks: &[],
    };
    let drawn = series_lines(&spec, &mut untyped);
    let chart = LineChart {
        animation: false,
        grid: Grid::new().left(1).right(1).top(2).bottom(2),
        tooltip: None,
        legend: None,
        data_zoom: Vec::new(),
        x_axis: Axis::new().type_(AxisType::Time).show(false),
        y_axis: vec![Axis::new().type_(AxisType::Value).show(false).min(0)],
        series: std::iter::once(drawn.line).chain(drawn.continuation).collect(),
    };
    serialise(&chart, untyped)
}

/// The top level of an option of line charts, of charming's parts.
/// Not charming's `Chart`: serialising that writes every chart type and
/// component charming knows (two dozen series types, 3D axes, maps), which
/// costs the `.wasm` tens of KiB for charts that are only ever lines.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineChart {
    /// Off: charts of the view asked, drawn at once.
    animation: bool,
    grid: Grid,
    #[serde(skip_serializing_if = "Option::is_none")]
    tooltip: Option<Tooltip>,
    #[serde(skip_serializing_if = "Option::is_none")]
    legend: Option<Legend>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    data_zoom: Vec<DataZoom>,
    x_axis: Axis,
    y_axis: Vec<Axis>,
    series: Vec<Line>,
}

/// How a line is drawn.
#[derive(Clone, Copy)]
pub struct Look {
    colour: &'static str,
    /// On, off, ... in pixels; empty is solid.
    dash: &'static [u8],
    width: Option<f64>,
    /// The opacity of the area below the line, if it is shaded.
    area: Option<f64>,
}

/// Line colours, each at least 3:1 against the page's white (WCAG's
/// contrast for graphics), none the red of the marks.
const PALETTE: [&str; 8] = ["#2451b3", "#b35900", "#1e7b3c", "#c2185b", "#7b3fb0", "#00798c", "#9c7a00", "#4d5766"];
/// Dash patterns, so lines are told apart without colour.
const DASHES: [&[u8]; 8] = [&[], &[8, 4], &[2, 3], &[12, 3, 3, 3], &[5, 5], &[16, 4], &[2, 7], &[8, 3, 2, 3]];

impl Look {
    /// An overview row's trend: the red of errors, shaded below.
    const TREND: Look = Look { colour: "#b3261e", dash: &[], width: Some(1.5), area: Some(0.15) };

    /// The `index`th line of the dashboard: every line of the first 64
    /// differs from every other in colour, dash or both, and the first
    /// eight in both.
    fn of_line(index: usize) -> Self {
        let colour = PALETTE[index % PALETTE.len()];
        let dash = DASHES[(index + index / PALETTE.len()) % DASHES.len()];
        Look { colour, dash, width: None, area: None }
    }
}

/// One series to draw, and what is drawn with it.
struct LineSpec<'a> {
    id: &'a str,
    name: &'a str,
    /// Bucket starts, epoch seconds.
    timestamps: &'a [i64],
    values: &'a [Option<f64>],
    /// The first bucket CloudWatch may still add to (the length if none).
    first_partial: usize,
    look: Look,
    /// Per 1,000 requests: on the right-hand axis, dashed.
    rate: bool,
    /// Stacked with the other series (tails and bridges among themselves).
    stack: bool,
    marks: &'a [&'a Annotation],
}

/// A series as drawn: its line, and what continues it over the buckets
/// still filling (its partial tail and the bridge to it).
struct Drawn {
    line: Line,
    continuation: Vec<Line>,
}

/// The id of a series' partial tail is the series' id with this suffix.
const PARTIAL_ID_SUFFIX: &str = "-partial";
/// The id of the dashed bridge from a series' last final bucket to its tail.
const BRIDGE_ID_SUFFIX: &str = "-bridge";
/// The id of the invisible line that names a series' marks in the tooltip.
const NOTES_ID_SUFFIX: &str = "-notes";

/// A whole series: its line over the final buckets, with its marks; then,
/// over the buckets that are still filling, hollow points on a dashed
/// line, whose tooltip says they are still filling, and a dashed bridge to
/// them from the last final bucket. All three have the series' name, so
/// the legend shows and hides them together; the bridge has no tooltip,
/// so the tooltip lists each bucket once.
fn series_lines(spec: &LineSpec, untyped: &mut Untyped) -> Drawn {
    let colour = spec.look.colour;
    let y_axis = if spec.rate { 1.0 } else { 0.0 };
    let mut style = LineStyle::new().color(colour);
    if let Some(width) = spec.look.width {
        style = style.width(width);
    }
    style = match (spec.rate, spec.look.dash) {
        (true, _) => style.type_(LineStyleType::Dashed),
        (false, []) => style.type_(LineStyleType::Solid),
        (false, dash) => {
            untyped.series(spec.id, "/lineStyle", "type", json!(dash));
            style
        }
    };
    let stacked = |line: Line, stack: &str| match (spec.stack, spec.look.area) {
        (true, _) => line.stack(stack).area_style(AreaStyle::new().opacity(0.35)),
        (false, Some(opacity)) => line.area_style(AreaStyle::new().opacity(opacity).color(colour)),
        (false, None) => line,
    };
    let mut line = Line::new()
        .id(spec.id)
        .name(spec.name)
        .y_axis_index(y_axis)
        .item_style(ItemStyle::new().color(colour))
        .line_style(style)
        // Only values with no neighbour get a symbol (see `points`).
        .symbol(Symbol::None)
        // More buckets than pixels across (a week at 1 min): ECharts keeps
        // the points that shape the line, spikes included.
        .sampling(Sampling::Lttb)
        .data(points(spec, untyped));
    if let Some(mark_line) = mark_line(spec, untyped) {
        line = line.mark_line(mark_line);
    }
    if let Some(mark_area) = mark_area(spec, untyped) {
        line = line.mark_area(mark_area);
    }
    let mut drawn = Drawn { line: stacked(line, "total"), continuation: Vec::new() };
    drawn.continuation.extend(notes(spec, y_axis, untyped));

    let len = spec.timestamps.len();
    if spec.first_partial >= len {
        return drawn;
    }
    let dash = if spec.rate { LineStyleType::Dotted } else { LineStyleType::Dashed };
    let tail_id = format!("{}{PARTIAL_ID_SUFFIX}", spec.id);
    let tail = Line::new()
        .id(tail_id.as_str())
        .name(spec.name)
        .y_axis_index(y_axis)
        .symbol(Symbol::Custom("emptyCircle".into()))
        .item_style(ItemStyle::new().color(colour))
        .line_style(LineStyle::new().type_(dash).color(colour))
        .encode(DimensionEncode::new().x(0).y(1).tooltip(vec![1, 2]))
        .data(
            (spec.first_partial..len)
                .map(|i| {
                    DataPoint::Value(CompositeValue::Array(vec![
                        bucket_time(spec, i),
                        bucket_value(spec, i),
                        STILL_FILLING.into(),
                    ]))
                })
                .collect(),
        );
    // Unnamed, so the tooltip shows the note on the value's line.
    untyped.series(&tail_id, "", "dimensions", json!([null, null, {"type": "ordinal"}]));
    drawn.continuation.push(stacked(tail, "partial"));
    if let Some(last_final) = spec.first_partial.checked_sub(1) {
        let bridge_id = format!("{}{BRIDGE_ID_SUFFIX}", spec.id);
        let bridge = Line::new()
            .id(bridge_id.as_str())
            .name(spec.name)
            .y_axis_index(y_axis)
            .symbol(Symbol::None)
            .line_style(LineStyle::new().type_(dash).color(colour))
            .silent(true)
            // Written empty, for the untyped `show` below.
            .tooltip(Tooltip::new())
            .data(vec![point(spec, last_final), point(spec, spec.first_partial)]);
        untyped.series(&bridge_id, "/tooltip", "show", Value::Bool(false));
        drawn.continuation.push(stacked(bridge, "bridge"));
    }
    drawn
}

/// What the marks list says of each bucket (an onset, a spike, time in
/// ALARM), drawn nowhere and shown by the tooltip: a line of no width with
/// points only on the marked buckets, whose tooltip shows the note alone.
/// ECharts' axis tooltip lists a line only where it has a point as near as
/// any other line's, so the note appears on its buckets and nowhere else.
/// It has the series' name: the legend hides it with its line.
fn notes(spec: &LineSpec, y_axis: f64, untyped: &mut Untyped) -> Option<Line> {
    let note = |t: i64| {
        let notes: Vec<std::borrow::Cow<str>> = spec
            .marks
            .iter()
            .filter_map(|a| match (a.kind, a.t_end) {
                (AnnotationKind::Onset, _) if a.t == t => Some("errors started".into()),
                (AnnotationKind::Spike, end) if a.t <= t && t <= end.unwrap_or(a.t) => Some("spike".into()),
                (AnnotationKind::Alarm, Some(end)) if a.t <= t && t < end => Some("in ALARM".into()),
                (AnnotationKind::Change, _) if bucket_of(spec, a.t) == Some(t) => {
                    Some(format!("change: {}", a.text).into())
                }
                _ => None,
            })
            .collect();
        (!notes.is_empty()).then(|| notes.join("; "))
    };
    let data: Vec<DataPoint> = (0..spec.timestamps.len())
        .filter_map(|i| {
            let note = note(spec.timestamps[i])?;
            Some(DataPoint::Value(CompositeValue::Array(vec![
                bucket_time(spec, i),
                bucket_value(spec, i),
                note.into(),
            ])))
        })
        .collect();
    if data.is_empty() {
        return None;
    }
    let id = format!("{}{NOTES_ID_SUFFIX}", spec.id);
    untyped.series(&id, "", "dimensions", json!([null, null, {"type": "ordinal"}]));
    Some(
        Line::new()
            .id(id.as_str())
            .name(spec.name)
            .y_axis_index(y_axis)
            .symbol(Symbol::None)
            .silent(true)
            .item_style(ItemStyle::new().color(MARK_RED))
            .line_style(LineStyle::new().width(0).opacity(0))
            .encode(DimensionEncode::new().x(0).y(1).tooltip(vec![2]))
            .data(data),
    )
}

/// The start of the bucket that holds `t`, if one does.
fn bucket_of(spec: &LineSpec, t: i64) -> Option<i64> {
    let after = spec.timestamps.partition_point(|start| *start <= t);
    after.checked_sub(1).map(|i| spec.timestamps[i])
}

/// The `i`th bucket's start, epoch ms.
fn bucket_time(spec: &LineSpec, i: usize) -> CompositeValue {
    CompositeValue::Number(NumericValue::Integer(spec.timestamps[i] * 1_000))
}

/// The `i`th bucket's value; `'-'`, ECharts' empty value, where it has
/// none: a gap in the line.
fn bucket_value(spec: &LineSpec, i: usize) -> CompositeValue {
    match spec.values.get(i).copied().flatten() {
        Some(value) => CompositeValue::Number(NumericValue::Float(value)),
        None => CompositeValue::String("-".into()),
    }
}

/// The `i`th bucket as `[epoch ms, value]`.
fn point(spec: &LineSpec, i: usize) -> DataPoint {
    DataPoint::Value(CompositeValue::Array(vec![bucket_time(spec, i), bucket_value(spec, i)]))
}

/// The final buckets. A value with no value on either side would be a
/// line of zero length, invisible without a symbol: those, and only
/// those, get one, so dense lines stay clean.
fn points(spec: &LineSpec, untyped: &mut Untyped) -> Vec<DataPoint> {
    let has_value = |i: usize| i < spec.first_partial && spec.values.get(i).is_some_and(Option::is_some);
    (0..spec.first_partial)
        .map(|i| {
            let alone = has_value(i) && !(i > 0 && has_value(i - 1)) && !has_value(i + 1);
            if !alone {
                return point(spec, i);
            }
            let at = format!("/data/{i}");
            untyped.series(spec.id, &at, "symbol", json!("circle"));
            untyped.series(spec.id, &at, "symbolSize", json!(6));
            DataPoint::Item(DataPointItem::new(CompositeValue::Array(vec![
                bucket_time(spec, i),
                bucket_value(spec, i),
            ])))
        })
        .collect()
}

/// The mark lines' colour, and the shades' edges: the red of errors.
const MARK_RED: &str = "#a4262c";
/// Alarms' colour.
const ALARM_AMBER: &str = "#b06000";
/// Changes' colour (over 3:1 on the page, apart from errors and alarms).
const CHANGE_SLATE: &str = "#3d5a80";

/// Onsets as dashed lines, changes as short-dashed ones, alarm thresholds
/// as dotted ones. Labels are
/// plain strings: no formatter functions, which the page's
/// Content-Security-Policy would refuse.
fn mark_line(spec: &LineSpec, untyped: &mut Untyped) -> Option<MarkLine> {
    let of_kind = |kind| spec.marks.iter().filter(move |a| a.kind == kind);
    let mut data: Vec<MarkLineVariant> = of_kind(AnnotationKind::Onset)
        .map(|a| {
            let label = Label::new().formatter("errors started");
            MarkLineVariant::Simple(MarkLineData::new().x_axis(a.t * 1_000).name(a.text.as_str()).label(label))
        })
        .collect();
    // Changes: short dashes in their own colour, labelled at the top.
    for change in of_kind(AnnotationKind::Change) {
        let label = Label::new().formatter("change").position(LabelPosition::InsideStartTop);
        untyped.series(
            spec.id,
            &format!("/markLine/data/{}", data.len()),
            "lineStyle",
            json!({"type": [2, 3], "color": CHANGE_SLATE}),
        );
        data.push(MarkLineVariant::Simple(
            MarkLineData::new().x_axis(change.t * 1_000).name(change.text.as_str()).label(label),
        ));
    }
    for alarm in of_kind(AnnotationKind::Alarm).filter(|a| a.t_end.is_none()) {
        let label = Label::new().formatter("alarm").position(LabelPosition::InsideStartTop);
        untyped.series(
            spec.id,
            &format!("/markLine/data/{}", data.len()),
            "lineStyle",
            json!({"type": "dotted", "color": ALARM_AMBER}),
        );
        data.push(MarkLineVariant::Simple(
            MarkLineData::new().y_axis(alarm.value).name(alarm.text.as_str()).label(label),
        ));
    }
    (!data.is_empty()).then(|| {
        MarkLine::new()
            .symbol(vec![Symbol::None, Symbol::None])
            .silent(true)
            .label(Label::new().position(LabelPosition::InsideEndTop))
            .line_style(LineStyle::new().type_(LineStyleType::Dashed).color(MARK_RED))
            .data(data)
    })
}

/// Spikes as shaded spans, and the periods an alarm spent in ALARM in the
/// alarm's colour. A shade is too light to stand out from the page by
/// itself: its edges are drawn at over 3:1 (WCAG's contrast for
/// graphics), solid for spikes, dashed for time in ALARM.
fn mark_area(spec: &LineSpec, untyped: &mut Untyped) -> Option<MarkArea> {
    let spikes = spec.marks.iter().filter(|a| a.kind == AnnotationKind::Spike);
    let alarms = spec.marks.iter().filter(|a| a.kind == AnnotationKind::Alarm && a.t_end.is_some());
    let mut data = Vec::new();
    for (index, area) in spikes.chain(alarms).enumerate() {
        let name = match area.kind {
            AnnotationKind::Alarm => {
                let style =
                    json!({"color": "rgba(176, 96, 0, 0.10)", "borderColor": ALARM_AMBER, "borderType": "dashed"});
                untyped.series(spec.id, &format!("/markArea/data/{index}/0"), "itemStyle", style);
                "in ALARM".to_string()
            }
            _ => format!("spike in {}", spec.name),
        };
        // charming types a mark area's edges as text; the time axis reads epoch ms.
        for (edge, t) in [(0, area.t), (1, area.t_end.unwrap_or(area.t))] {
            untyped.series(spec.id, &format!("/markArea/data/{index}/{edge}"), "xAxis", json!(t * 1_000));
        }
        data.push((MarkAreaData::new().name(name), MarkAreaData::new()));
    }
    (!data.is_empty()).then(|| {
        MarkArea::new()
            .silent(true)
            .item_style(ItemStyle::new().color("rgba(164, 38, 44, 0.12)").border_color(MARK_RED).border_width(1))
            .label(Label::new().show(false))
            .data(data)
    })
}

/// Settings charming has no typed field for, kept beside the typed option
/// until [`serialise`] adds them: each names the object it goes in (in a
/// series, by the series' id, or in the option itself) by a JSON pointer,
/// and the key and value to set there.
#[derive(Default)]
struct Untyped(Vec<UntypedSetting>);

struct UntypedSetting {
    series: Option<String>,
    at: String,
    key: &'static str,
    value: Value,
}

impl Untyped {
    /// `key: value` in the object at `at` of the option.
    fn option(&mut self, at: &str, key: &'static str, value: Value) {
        self.0.push(UntypedSetting { series: None, at: at.to_string(), key, value });
    }

    /// `key: value` in the object at `at` of the series with this id.
    fn series(&mut self, id: &str, at: &str, key: &'static str, value: Value) {
        self.0.push(UntypedSetting { series: Some(id.to_string()), at: at.to_string(), key, value });
    }
}

/// The option as ECharts reads it: `chart` serialised once (straight to
/// text and through `JSON.parse`, the fastest way into JavaScript for
/// thousands of points), then each untyped setting added where it names.
/// A setting whose place the option lacks (an object charming did not
/// write) is an error, not a setting silently dropped.
fn serialise(chart: &LineChart, untyped: Untyped) -> Result<JsValue, String> {
    let text = serde_json::to_string(chart).map_err(|err| format!("the chart's option cannot be written: {err}"))?;
    let option = js_sys::JSON::parse(&text).map_err(|err| format!("the chart's option cannot be read: {err:?}"))?;
    let get = |object: &JsValue, key: &str| js_sys::Reflect::get(object, &JsValue::from_str(key)).ok();
    // A series' settings come together: the series found for one setting
    // is kept for the next, so a chart of 75 lines with thousands of
    // isolated points does not search the series for each.
    let mut found: Option<(&str, JsValue)> = None;
    for setting in &untyped.0 {
        let missing = || format!("the chart's option has no object at {} to set {} in", setting.at, setting.key);
        let root = match setting.series.as_deref() {
            None => Some(option.clone()),
            Some(id) => match &found {
                Some((found_id, series)) if *found_id == id => Some(series.clone()),
                _ => {
                    let series = get(&option, "series").map(|all| js_sys::Array::from(&all)).and_then(|all| {
                        all.iter().find(|series| get(series, "id").and_then(|id| id.as_string()).as_deref() == Some(id))
                    });
                    found = series.clone().map(|series| (id, series));
                    series
                }
            },
        };
        // A JSON pointer's steps: keys, and indices (an array's keys too).
        let place = setting
            .at
            .split('/')
            .skip(1)
            .try_fold(root.ok_or_else(missing)?, |place, step| get(&place, step).filter(JsValue::is_object))
            .ok_or_else(missing)?;
        js_sys::Reflect::set(&place, &JsValue::from_str(setting.key), &echarts::to_js(&setting.value)?)
            .map_err(|_| missing())?;
    }
    Ok(option)
}
