//! The few ECharts calls the chart needs: options (JSON, see
//! `components::chart`) are set, read back and listened to here.
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

/// A JSON value as a JavaScript value (through `JSON.parse`, which keeps
/// `null` as `null`: a gap in a line).
pub fn to_js(value: &serde_json::Value) -> JsValue {
    js_sys::JSON::parse(&value.to_string()).unwrap_or(JsValue::NULL)
}

/// A JSON text as a JavaScript value: for options and actions of a few
/// fixed keys, cheaper in the `.wasm` than building them as JSON values.
pub fn parse(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
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
