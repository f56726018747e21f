//! The series request boot.js sends before the app starts: the app takes it
//! only when it is exactly the request the app would send, so a link the page
//! reads leniently (or any view the app would ask differently) never shows
//! an answer to another question.

use tlswatch_shared::View;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The global boot.js leaves the request in: `{ search, answer }`, with
/// `answer` the promise of `{ status, body }` of
/// `fetch('/api/v1/series' + search)`.
const GLOBAL: &str = "tlswatchSeries";

/// The answer boot.js received: its HTTP status and body.
pub struct Preloaded {
    pub status: u16,
    pub body: String,
}

/// The preloaded answer if it answers `/api/v1/series?{query}`; `None` if
/// there is none, it answers another request or it failed to arrive.
/// Taken once, by the first series request: later requests ask afresh.
pub async fn take(query: &str) -> Option<Preloaded> {
    let answer = JsFuture::from(promise(query)?).await.ok()?;
    let field = |name: &str| js_sys::Reflect::get(&answer, &name.into()).ok();
    let status = field("status")?.as_f64()? as u16;
    let body = field("body")?.as_string()?;
    Some(Preloaded { status, body })
}

fn promise(query: &str) -> Option<js_sys::Promise> {
    let window = JsValue::from(web_sys::window()?);
    let key = JsValue::from_str(GLOBAL);
    let preload = js_sys::Reflect::get(&window, &key).ok().filter(JsValue::is_object)?;
    let _ = js_sys::Reflect::delete_property(window.unchecked_ref::<js_sys::Object>(), &key);
    let search = js_sys::Reflect::get(&preload, &"search".into()).ok()?.as_string()?;
    is_the_same_request(&search, query)
        .then(|| js_sys::Reflect::get(&preload, &"answer".into()).ok()?.dyn_into().ok())
        .flatten()
}

/// Whether the proxy reads the address's query string `search` (with its
/// `?`, or empty) as the same view as `query`, the canonical query the app
/// asks: the proxy parses both strictly and answers the view, so the same
/// view is the same answer. Compared as the canonical URL each stands for.
fn is_the_same_request(search: &str, query: &str) -> bool {
    let search = search.strip_prefix('?').unwrap_or(search);
    View::from_query(search).is_ok_and(|view| view.to_query() == query)
}
