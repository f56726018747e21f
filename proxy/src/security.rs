//! Security headers on every response, with a Content-Security-Policy strict
//! enough that the page runs nothing but its own files: the one inline
//! script Trunk writes into index.html is allowed by its hash, WebAssembly by
//! `'wasm-unsafe-eval'`, and nothing may `eval`.

use axum::http::{HeaderName, HeaderValue, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy for a frontend whose index page is `index_html`.
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let hashes: String = index_html
        .map(inline_scripts)
        .unwrap_or_default()
        .iter()
        .map(|script| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script))))
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )
}

/// The text of every inline `<script>` (one without `src`), as the browser hashes it.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut scripts = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after_open = &rest[open..];
        let Some(tag_end) = after_open.find('>') else { break };
        let tag = &after_open[..tag_end];
        let body_start = &after_open[tag_end + 1..];
        let Some(close) = body_start.find("</script>") else { break };
        if !tag.contains(" src=") {
            scripts.push(&body_start[..close]);
        }
        rest = &body_start[close..];
    }
    scripts
}

/// One layer per header; each leaves a header a handler set alone.
pub fn layers(csp: &str) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let csp = HeaderValue::from_str(csp).expect("the policy is ASCII");
    [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
    ]
    .into_iter()
    .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, value))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = "<script src=\"/a.js\"></script><script type=\"module\">\nrun();\n</script>";
        assert_eq!(inline_scripts(html), vec!["\nrun();\n"]);
        let policy = content_security_policy(Some(html));
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest("\nrun();\n"));
        assert!(policy.contains(&format!("'sha256-{expected}'")), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-eval'") || policy.contains("'wasm-unsafe-eval'"));
        assert!(!policy.contains(" 'unsafe-eval'"));
    }
}
