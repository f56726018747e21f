//! The built frontend: static files, the fleet overview's page at
//! `/overview`, and the dashboard's page (index.html) for every other
//! navigation so that a shared link (`/?lb=...`) opens the app with its
//! query intact. A missing file is a 404, not the page.
//!
//! Trunk names every asset with a content hash, so those are cached for a
//! year; the index page, which names them, is revalidated on every load.
//! Behind authentication both are `private`: a shared cache (a corporate
//! proxy, a CDN) must not keep what only those who logged in may see.
//! Release builds carry `.br` and `.gz` copies made at build time (at
//! compression levels too slow to spend per request); they are served to
//! browsers that accept them, and anything else is compressed on the fly.

use std::convert::Infallible;
use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any_service};
use tower::{ServiceExt, service_fn};
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

/// Where the fleet overview's page (overview.html) is served.
const OVERVIEW_PATH: &str = "/overview";

/// The pages of the frontend, each its own app, in dist/.
const PAGES: [&str; 2] = ["index.html", "overview.html"];

/// The text of every page the frontend has: what the
/// Content-Security-Policy hashes the inline scripts of.
pub fn pages_html(dist: &Path) -> Option<String> {
    let pages: Vec<String> = PAGES.iter().filter_map(|page| std::fs::read_to_string(dist.join(page)).ok()).collect();
    (!pages.is_empty()).then(|| pages.join("\n"))
}

/// What browsers and shared caches may keep of the frontend's files.
#[derive(Debug, Clone, Copy)]
struct CachePolicy {
    /// Of a file named with its content hash.
    hashed: &'static str,
    /// Of the pages and anything else.
    other: &'static str,
}

/// When nobody logs in: anyone may keep the files.
const PUBLIC: CachePolicy = CachePolicy { hashed: "public, max-age=31536000, immutable", other: "no-cache" };
/// Behind authentication: only the browser may.
const PRIVATE: CachePolicy = CachePolicy { hashed: "private, max-age=31536000, immutable", other: "private, no-cache" };

/// The frontend in `dist`; `authenticated` when only those who log in may
/// read it.
pub fn frontend<S: Clone + Send + Sync + 'static>(dist: Option<&Path>, authenticated: bool) -> MethodRouter<S> {
    match dist.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => {
            let page = |name: &str| ServeFile::new(dir.join(name)).precompressed_br().precompressed_gzip();
            let overview = page("overview.html");
            let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
            let navigations = files.clone().fallback(page("index.html"));
            let pages = service_fn(move |request: Request| {
                let (files, navigations, overview) = (files.clone(), navigations.clone(), overview.clone());
                async move {
                    let path = request.uri().path().to_string();
                    let response = match Wanted::of(&path) {
                        Wanted::Overview => overview.oneshot(request).await?.into_response(),
                        Wanted::Page => navigations.oneshot(request).await?.into_response(),
                        Wanted::File => files.oneshot(request).await?.into_response(),
                        Wanted::CompressedCopy => return Ok(ApiError::FileNotFound(path).into_response()),
                    };
                    if response.status() == StatusCode::NOT_FOUND {
                        return Ok(ApiError::FileNotFound(path).into_response());
                    }
                    Ok::<Response, Infallible>(response)
                }
            });
            let policy = if authenticated { PRIVATE } else { PUBLIC };
            any_service(pages).layer(middleware::from_fn_with_state(policy, cache_control))
        }
        None => any_service(service_fn(|_request| async {
            Ok::<Response, Infallible>(ApiError::FrontendMissing.into_response())
        })),
    }
}

/// What a path of the frontend asks for.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    /// The fleet overview's page.
    Overview,
    /// A navigation (a path without a file extension): the dashboard's page
    /// unless a file has that name, so that any link opens the app.
    Page,
    /// A file by name (it has an extension): that file or a 404, never the
    /// page in its stead.
    File,
    /// A build-time `.br` or `.gz` copy by name: served only in place of its
    /// original to browsers that accept it, never raw.
    CompressedCopy,
}

impl Wanted {
    fn of(path: &str) -> Self {
        let name = path.rsplit('/').next().unwrap_or_default();
        if path == OVERVIEW_PATH {
            Self::Overview
        } else if name.ends_with(".br") || name.ends_with(".gz") {
            Self::CompressedCopy
        } else if name.contains('.') {
            Self::File
        } else {
            Self::Page
        }
    }
}

async fn cache_control(State(policy): State<CachePolicy>, request: Request, next: Next) -> Response {
    let hashed = is_content_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let policy = if hashed { policy.hashed } else { policy.other };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// Whether a file name carries Trunk's content hash: `name-<16 hex digits>.ext`
/// (or `_bg.wasm` after the hash).
fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let Some((_, tail)) = name.rsplit_once('-') else { return false };
    let (hash, rest) = tail.split_at(tail.len().min(16));
    hash.len() == 16
        && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && (rest.starts_with('.') || rest.starts_with("_bg."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_an_extension_are_files_and_compressed_copies_are_not_served_by_name() {
        assert_eq!(Wanted::of("/overview"), Wanted::Overview);
        for page in ["/", "/some/page", "/overview/more"] {
            assert_eq!(Wanted::of(page), Wanted::Page, "{page}");
        }
        for file in ["/x.js", "/style.css", "/index.html", "/a.b/c.wasm"] {
            assert_eq!(Wanted::of(file), Wanted::File, "{file}");
        }
        for copy in ["/app-0123456789abcdef.js.br", "/index.html.gz"] {
            assert_eq!(Wanted::of(copy), Wanted::CompressedCopy, "{copy}");
        }
    }

    #[test]
    fn recognises_trunk_content_hashes() {
        assert!(is_content_hashed("/dashboard-cf631e1cfbce85e8.js"));
        assert!(is_content_hashed("/overview-cf631e1cfbce85e8_bg.wasm"));
        assert!(is_content_hashed("/echarts.min-1f84290721b47fa3.js"));
        assert!(!is_content_hashed("/index.html"));
        assert!(!is_content_hashed("/"));
        assert!(!is_content_hashed("/some/page"));
        assert!(!is_content_hashed("/app-notahashatall00.js"));
    }

    #[tokio::test]
    async fn serves_each_page_at_its_path_and_the_dashboard_elsewhere() {
        use axum::body::Body;
        let dir = std::env::temp_dir().join(format!("tlswatch-web-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "the dashboard").unwrap();
        std::fs::write(dir.join("overview.html"), "the overview").unwrap();
        let router: axum::Router = axum::Router::new().fallback_service(frontend(Some(&dir), false));
        for (path, page) in
            [("/overview?stat=Maximum", "the overview"), ("/?lb=x", "the dashboard"), ("/any", "the dashboard")]
        {
            let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
            let response = router.clone().oneshot(request).await.unwrap();
            assert!(response.status().is_success(), "{path}: {}", response.status());
            assert_eq!(response.headers()[header::CACHE_CONTROL], PUBLIC.other, "{path}");
            let body = axum::body::to_bytes(response.into_body(), 1_024).await.unwrap();
            assert_eq!(body, page, "{path}");
        }
        let pages = pages_html(&dir).unwrap();
        assert!(pages.contains("the dashboard") && pages.contains("the overview"), "{pages}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
