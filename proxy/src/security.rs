//! Security headers on every response: `Cache-Control: private, no-store`
//! unless the response set its own (the frontend's files do), and a
//! Content-Security-Policy strict enough that the page runs nothing but its
//! own files: the one inline script Trunk writes into index.html is allowed
//! by its hash, WebAssembly by `'wasm-unsafe-eval'`, and nothing may `eval`.

use axum::http::{HeaderName, HeaderValue, header};
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::set_header::SetResponseHeaderLayer;

/// The Content-Security-Policy for a frontend whose index page is `index_html`.
///
/// Styles come from the page's own stylesheet only: no `'unsafe-inline'`.
/// Nothing needs it: Trunk links the stylesheet rather than inlining it, the
/// components set no `style` attributes (the browser would refuse one: use a
/// class in style.css), and ECharts styles its elements
/// through the CSS object model (which CSP does not govern) and draws its
/// tooltip on the canvas (`renderMode: 'richText'` in the chart's option),
/// since its HTML tooltip is markup with `style` attributes. An inline
/// `<style>` in index.html, should one appear, is allowed by its hash.
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let hashes = |tag| -> String {
        index_html
            .map(|html| inline_elements(html, tag))
            .unwrap_or_default()
            .iter()
            .map(|body| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))))
            .collect()
    };
    let (scripts, styles) = (hashes("script"), hashes("style"));
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'{styles}; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
    )
}

/// The text of every inline `<tag>` element (a script without `src`), as
/// the browser hashes it.
fn inline_elements<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open_tag, close_tag) = (format!("<{tag}"), format!("</{tag}>"));
    let mut bodies = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find(&open_tag) {
        let after_open = &rest[open..];
        let Some(tag_end) = after_open.find('>') else { break };
        let attributes = &after_open[open_tag.len()..tag_end];
        let body_start = &after_open[tag_end + 1..];
        let Some(close) = body_start.find(&close_tag) else { break };
        // `<styles>` is not `<style>`; a script with `src` is not inline.
        let same_tag = attributes.is_empty() || attributes.starts_with(char::is_whitespace);
        if same_tag && !attributes.contains(" src=") {
            bodies.push(&body_start[..close]);
        }
        rest = &body_start[close..];
    }
    bodies
}

/// Answers are kept by no cache unless they say otherwise (the frontend's
/// files do): they are one caller's data, and behind authentication only
/// theirs to see. Nothing is revalidated, so nothing is worth storing.
const NOT_STORED: &str = "private, no-store";

/// One layer per header; each leaves a header a handler set alone.
pub fn layers(csp: &str) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let csp = HeaderValue::from_str(csp).expect("the policy is ASCII");
    [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
        (header::CACHE_CONTROL, HeaderValue::from_static(NOT_STORED)),
    ]
    .into_iter()
    .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, value))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sources a directive of `policy` allows, in order.
    fn sources<'a>(policy: &'a str, directive: &str) -> Vec<&'a str> {
        policy
            .split(';')
            .map(|part| part.split_whitespace().collect::<Vec<_>>())
            .find(|words| words.first() == Some(&directive))
            .map(|words| words[1..].to_vec())
            .unwrap_or_else(|| panic!("no {directive} in {policy}"))
    }

    fn sha256(text: &str) -> String {
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text)))
    }

    #[test]
    fn allows_exactly_the_page_files_wasm_and_the_hashed_inline_elements() {
        let html = "<script src=\"/a.js\"></script><script type=\"module\">\nrun();\n</script>\
                    <style>body{margin:0}</style><styles>no</styles>";
        assert_eq!(inline_elements(html, "script"), vec!["\nrun();\n"]);
        assert_eq!(inline_elements(html, "style"), vec!["body{margin:0}"]);
        let policy = content_security_policy(Some(html));
        assert_eq!(sources(&policy, "script-src"), ["'self'", "'wasm-unsafe-eval'", &sha256("\nrun();\n")]);
        assert_eq!(sources(&policy, "style-src"), ["'self'", &sha256("body{margin:0}")]);
        assert_eq!(sources(&policy, "frame-ancestors"), ["'none'"]);
        assert_eq!(sources(&policy, "default-src"), ["'none'"]);
    }

    #[test]
    fn nothing_may_eval_or_run_inline_code_without_a_hash() {
        for html in [None, Some("<script>go()</script>")] {
            let policy = content_security_policy(html);
            let words: Vec<&str> = policy.split([';', ' ']).collect();
            for relaxation in ["'unsafe-eval'", "'unsafe-inline'", "'unsafe-hashes'", "*", "data:"] {
                let allowed = words.contains(&relaxation);
                // Images may come from data: URLs (the inline favicon).
                let expected = relaxation == "data:";
                assert_eq!(allowed, expected, "{relaxation} in {policy}");
            }
            assert_eq!(sources(&policy, "style-src")[0], "'self'");
        }
    }
}
