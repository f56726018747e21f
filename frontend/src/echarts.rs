//! The few ECharts calls the charts need: options (built with charming,
//! see `chart_option`) and actions are set, read back and listened to here.
//! ECharts is the global `echarts` that index.html loads from `dist/`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A chart instance.
    #[derive(Clone)]
    pub type Instance;

    #[wasm_bindgen(js_namespace = echarts, js_name = init)]
    pub fn init(element: &web_sys::HtmlElement) -> Instance;

    /// `setOption(option, { notMerge })`.
    #[wasm_bindgen(method, js_name = setOption)]
    pub fn set_option(this: &Instance, option: &JsValue, not_merge: bool);

    #[wasm_bindgen(method, js_name = getOption)]
    pub fn get_option(this: &Instance) -> JsValue;

    #[wasm_bindgen(method, js_name = dispatchAction)]
    pub fn dispatch_action(this: &Instance, action: &JsValue);

    #[wasm_bindgen(method)]
    pub fn on(this: &Instance, event: &str, handler: &js_sys::Function);

    #[wasm_bindgen(method)]
    pub fn resize(this: &Instance);

    /// `convertToPixel(finder, value)`: where an axis value is drawn.
    #[wasm_bindgen(method, js_name = convertToPixel)]
    pub fn convert_to_pixel(this: &Instance, finder: &JsValue, value: f64) -> f64;

    /// The width the chart is drawn at, in CSS pixels.
    #[wasm_bindgen(method, js_name = getWidth)]
    pub fn width(this: &Instance) -> f64;

    #[wasm_bindgen(method, js_name = getHeight)]
    pub fn height(this: &Instance) -> f64;
}

impl Instance {
    /// Sets an option: a chart's (built by `chart_option`), or a change to
    /// it; one that could not be made is reported on the console.
    pub fn set(&self, option: Result<JsValue, String>, not_merge: bool) {
        match option {
            Ok(option) => self.set_option(&option, not_merge),
            Err(err) => leptos::logging::error!("the chart's option was not set: {err}"),
        }
    }

    /// Dispatches an action (`{"type": ..., ...}`), reporting one the page
    /// cannot hand to ECharts on the console.
    pub fn dispatch(&self, action: &serde_json::Value) {
        match to_js(action) {
            Ok(action) => self.dispatch_action(&action),
            Err(err) => leptos::logging::error!("the chart's action was not sent: {err}"),
        }
    }
}

/// A JSON value (an action, a change to an option, a setting charming has
/// no field for) as a JavaScript value: a scalar directly, an array or
/// object through `JSON.parse`.
pub fn to_js(value: &serde_json::Value) -> Result<JsValue, String> {
    use serde_json::Value;
    match value {
        Value::Null => Ok(JsValue::NULL),
        Value::Bool(flag) => Ok(JsValue::from_bool(*flag)),
        Value::String(text) => Ok(JsValue::from_str(text)),
        Value::Number(number) => {
            number.as_f64().map(JsValue::from_f64).ok_or_else(|| format!("{number} is not a JavaScript number"))
        }
        Value::Array(_) | Value::Object(_) => js_sys::JSON::parse(&value.to_string()).map_err(|err| format!("{err:?}")),
    }
}

/// The value range of the first data zoom, in epoch milliseconds.
pub fn zoomed_range(instance: &Instance) -> Option<(f64, f64)> {
    let option = instance.get_option();
    let zooms = js_sys::Reflect::get(&option, &"dataZoom".into()).ok()?;
    let first = js_sys::Reflect::get(&zooms, &0.into()).ok()?;
    let start = js_sys::Reflect::get(&first, &"startValue".into()).ok()?.as_f64()?;
    let end = js_sys::Reflect::get(&first, &"endValue".into()).ok()?.as_f64()?;
    Some((start, end))
}
