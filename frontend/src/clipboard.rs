//! Writing text to the clipboard, for the pages' copy buttons.

use wasm_bindgen_futures::JsFuture;

/// Puts `text` on the clipboard; whether the browser took it (it may
/// refuse without permission or outside a secure context).
pub async fn copy(text: &str) -> bool {
    let clipboard = leptos::prelude::window().navigator().clipboard();
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}
