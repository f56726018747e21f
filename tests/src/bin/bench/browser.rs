//! Page weight and time to chart, in headless Chromium against the release
//! build of tlswatch and its frontend.

use serde_json::Value;
use tlswatch_tests::browser::{eval, wait_until, with_browser};
use tlswatch_tests::{Moto, Tlswatch, built_frontend};

use crate::fleet::{self, Series};
use crate::report::{Report, kib};

/// Navigations per view: the first with the browser cache as the earlier
/// views left it (empty for the first view of an origin), the rest warm.
const RUNS: usize = 8;
/// The viewport the time to chart is measured in.
const VIEWPORT: (u32, u32) = (1280, 900);
const DRAWN: &str = "performance.getEntriesByName('tlswatch:chart-drawn')";
/// The link of the issue that set the target: one load balancer of the demo
/// source, the last 24 h at 5 min.
const DEMO_LINK: &str = "lb=app/payments-alb/3e9c1f0a7b2d4c68&from=now-24h";

/// When one navigation reached each step, in ms from its start.
#[derive(Clone, Copy)]
struct Steps {
    /// The last static file (page, scripts, stylesheet, `.wasm`) in.
    static_files: f64,
    /// The WebAssembly started (`tlswatch:wasm-started`).
    boot: f64,
    /// The first `/api/v1/series` request sent.
    sent: f64,
    /// Its answer in.
    answer: f64,
    /// The chart's option built, before ECharts draws it (`tlswatch:option-built`).
    built: f64,
    /// The chart drawn (`tlswatch:chart-drawn`).
    chart: f64,
}

/// Reads the steps of the page's navigation from its performance entries.
const STEPS: &str = "(() => {
    const resources = performance.getEntriesByType('resource');
    const path = e => new URL(e.name).pathname;
    const statics = resources.filter(e => !path(e).startsWith('/api/'));
    const series = resources.filter(e => path(e) === '/api/v1/series').sort((a, b) => a.startTime - b.startTime)[0];
    const mark = name => performance.getEntriesByName(name)[0]?.startTime ?? -1;
    return [
        Math.max(performance.getEntriesByType('navigation')[0].responseEnd, ...statics.map(e => e.responseEnd)),
        mark('tlswatch:wasm-started'),
        series ? (series.requestStart || series.startTime) : -1,
        series ? series.responseEnd : -1,
        mark('tlswatch:option-built'),
        mark('tlswatch:chart-drawn'),
    ];
})()";

pub async fn measure(report: &mut Report) {
    let dist = built_frontend();
    page_weight_of_files(report, &dist);

    let moto = Moto::start();
    let end = fleet::aligned_now(300);
    let start = end - 24 * 3_600;
    fleet::put(&moto, &[Series { lb: 0, tg: None }], start, end, 300, 2).await;
    // A view names at most 20 load balancers: the 75 series are target groups.
    let wide: Vec<Series> = (0..75).map(|tg| Series { lb: 1, tg: Some(tg) }).collect();
    fleet::put(&moto, &wide, start, end, 60, 30).await;
    let dist_flag = ["--dist", &dist.to_string_lossy()];
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &[&dist_flag[..], &fleet::PATIENT_WITH_MOTO[..]].concat());
    let demo = Tlswatch::demo_with_frontend();
    let views = [
        (
            "24 h at 5 min: 1 series × 288 points",
            format!("{}/?lb={}&period=300&from={start}&to={end}", tlswatch.url, fleet::load_balancer(0)),
        ),
        (
            "the link of issue 16 on the demo source (24 h at 5 min: 1 series × 288 points)",
            format!("{}/?{DEMO_LINK}", demo.url),
        ),
        (
            "24 h at 1 min: 75 series × 1,440 points (108,000)",
            format!("{}/?lb={}&by=tg&top=75&period=60&from={start}&to={end}", tlswatch.url, fleet::load_balancer(1)),
        ),
    ];
    // The answers are cached first: this measures the page, not moto.
    for (_, url) in &views {
        let (base, query) = url.split_once("/?").expect("a view's URL");
        let server = if base == demo.url { &demo } else { &tlswatch };
        let (status, body) = server.get(&format!("/api/v1/series?{query}")).await;
        assert_eq!(status, 200, "{body}");
    }

    let measured = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
    let out = measured.clone();
    with_browser(|client| async move {
        set_viewport(&client, VIEWPORT).await;
        let mut timings = Vec::new();
        let mut transferred = Vec::new();
        for (index, (name, url)) in views.iter().enumerate() {
            let mut steps = Vec::new();
            for run in 0..RUNS {
                client.goto("about:blank").await.expect("a blank page");
                client.goto(url).await.expect("the dashboard");
                wait_until(&client, &format!("{DRAWN}.length > 0")).await;
                let read = eval(&client, STEPS).await;
                let at = |i: usize| read[i].as_f64().expect("a time");
                steps.push(Steps {
                    static_files: at(0),
                    boot: at(1),
                    sent: at(2),
                    answer: at(3),
                    built: at(4),
                    chart: at(5),
                });
                if index == 0 && run == 0 {
                    transferred = loaded_resources(&client).await;
                }
            }
            timings.push((name.to_string(), steps));
        }
        *out.lock().expect("not poisoned") = (timings, transferred);
    })
    .await;
    let (timings, transferred) = std::mem::take(&mut *measured.lock().expect("not poisoned"));
    report.section(
        "5b. Page weight as the browser loaded it",
        "The first view in a new Chromium profile (Resource Timing: bytes over the wire, and decoded). Chromium \
         accepts brotli, so the static files come from their precompressed `.br` copies; the API answer is \
         compressed on the fly.",
        &["file", "transferred", "decoded"],
        transferred,
    );
    time_to_chart(report, &timings);
}

/// 6: the time to chart of each view, and where it went.
fn time_to_chart(report: &mut Report, timings: &[(String, Vec<Steps>)]) {
    let mut rows = Vec::new();
    let mut splits = Vec::new();
    for (name, steps) in timings {
        let charts: Vec<f64> = steps.iter().map(|s| s.chart).collect();
        let warm = &steps[1..];
        let warm_median = |step: fn(&Steps) -> f64| median(warm.iter().map(step).collect());
        rows.push(vec![
            name.clone(),
            ms(charts[0]),
            ms(median(charts.clone())),
            ms(charts.iter().copied().fold(0.0, f64::max)),
            format!("**{}**", ms(warm_median(|s| s.chart))),
        ]);
        let early = warm.iter().filter(|s| s.sent >= 0.0 && s.sent < s.boot).count();
        splits.push(vec![
            name.clone(),
            ms(warm_median(|s| s.static_files)),
            ms(warm_median(|s| s.boot)),
            ms(warm_median(|s| s.sent)),
            ms(warm_median(|s| s.answer)),
            ms(warm_median(|s| s.built)),
            ms(warm_median(|s| s.chart)),
            format!("{early} of {}", warm.len()),
        ]);
    }
    let (width, height) = VIEWPORT;
    report.section(
        "6. Time to chart",
        &format!(
            "Headless {}, viewport {width} × {height}, from navigation start to the `tlswatch:chart-drawn` mark \
             the page sets after its first `setOption`; answers already cached by tlswatch. {RUNS} navigations \
             per view: the first with the browser cache as the views before left it (empty for the first view \
             of each server), the next {} with the hashed files cached (warm). Targets: a warm median under \
             300 ms for 288 points, under 1 s for 108,000 points.",
            chromium_version(),
            RUNS - 1
        ),
        &["view", "first", "median, all", "slowest", "median, warm"],
        rows,
    );
    report.section(
        "6b. Where the time to chart goes",
        "Medians over the warm navigations of section 6, in ms from navigation start (Resource Timing and the \
         page's marks): the last static file in (page, scripts, stylesheet, `.wasm`); the WebAssembly \
         instantiated (`tlswatch:wasm-started`, the app's first line); the first `/api/v1/series` request \
         sent (by boot.js, before the WebAssembly, when the link is the view the app asks); its answer in; \
         the chart's option built by the page (`tlswatch:option-built`, before ECharts' `setOption`); the \
         chart drawn. The last column counts the navigations whose first series request left before \
         the WebAssembly started.",
        &[
            "view",
            "static files",
            "WASM started",
            "series sent",
            "series answered",
            "option built",
            "chart",
            "sent before WASM",
        ],
        splits,
    );
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn ms(value: f64) -> String {
    format!("{value:.0} ms")
}

/// Sizes the window so that the page's viewport is `width` × `height`:
/// the window's frame, if any, is added to what is asked.
async fn set_viewport(client: &fantoccini::Client, (width, height): (u32, u32)) {
    client.set_window_size(width, height).await.expect("the window resizes");
    let inner = eval(client, "[innerWidth, innerHeight]").await;
    let inner = |i: usize| inner[i].as_u64().unwrap_or(0) as u32;
    let (extra_width, extra_height) = (width.saturating_sub(inner(0)), height.saturating_sub(inner(1)));
    if extra_width > 0 || extra_height > 0 {
        client.set_window_size(width + extra_width, height + extra_height).await.expect("the window resizes");
    }
}

/// Every file of the first view with what crossed the wire and its size decoded.
async fn loaded_resources(client: &fantoccini::Client) -> Vec<Vec<String>> {
    let entries = eval(
        client,
        "[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
            .map(e => [new URL(e.name).pathname, e.transferSize, e.decodedBodySize])",
    )
    .await;
    let mut rows = Vec::new();
    let (mut wire, mut decoded) = (0, 0);
    for entry in entries.as_array().into_iter().flatten() {
        let bytes = |v: &Value| v.as_f64().unwrap_or(0.0) as u64;
        let (name, sent, size) = (entry[0].as_str().unwrap_or("?"), bytes(&entry[1]), bytes(&entry[2]));
        wire += sent;
        decoded += size;
        rows.push(vec![format!("`{name}`"), kib(sent), kib(size)]);
    }
    rows.push(vec!["**total**".into(), format!("**{}**", kib(wire)), format!("**{}**", kib(decoded))]);
    rows
}

/// Most bytes of the dashboard's `.wasm` as served (brotli), charming included.
const DASHBOARD_WASM_BROTLI_LIMIT: u64 = 230 * 1_024;
/// Most bytes of every file a page's first view loads, as served (brotli).
const FIRST_LOAD_BROTLI_LIMIT: u64 = 420 * 1_024;

/// The pages, each its own bundle: its name in the report and its HTML file in dist/.
const PAGES: [(&str, &str); 2] = [("dashboard", "index.html"), ("overview", "overview.html")];

/// 5a: per page, the files of dist/ it loads (the page and every file it
/// names), as stored: raw and their precompressed copies.
fn page_weight_of_files(report: &mut Report, dist: &std::path::Path) {
    let mut files: Vec<String> = std::fs::read_dir(dist)
        .expect("a built dist/")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| !name.ends_with(".br") && !name.ends_with(".gz"))
        .collect();
    files.sort();
    let size = |name: &str| std::fs::metadata(dist.join(name)).map_or(0, |m| m.len());
    let mut rows = Vec::new();
    for (page, html) in PAGES {
        let text = std::fs::read_to_string(dist.join(html)).unwrap_or_else(|err| panic!("dist/{html}: {err}"));
        let loaded: Vec<&String> =
            files.iter().filter(|name| *name == html || text.contains(&format!("/{name}"))).collect();
        let mut totals = [0u64; 3];
        for name in &loaded {
            let sizes = [size(name), size(&format!("{name}.gz")), size(&format!("{name}.br"))];
            assert!(
                sizes[1] > 0 || sizes[0] < 1024,
                "{name} has no precompressed copy: build with `cargo xtask bench`"
            );
            // Small files are compressed on the fly; count them raw.
            let sizes = sizes.map(|s| if s == 0 { sizes[0] } else { s });
            for (total, one) in totals.iter_mut().zip(sizes) {
                *total += one;
            }
            rows.push(vec![page.to_string(), format!("`{name}`"), kib(sizes[0]), kib(sizes[1]), kib(sizes[2])]);
        }
        rows.push(vec![
            page.to_string(),
            "**first load**".into(),
            format!("**{}**", kib(totals[0])),
            format!("**{}**", kib(totals[1])),
            format!("**{}**", kib(totals[2])),
        ]);
        let wasm_brotli: u64 =
            loaded.iter().filter(|name| name.ends_with(".wasm")).map(|name| size(&format!("{name}.br"))).sum();
        assert!(wasm_brotli > 0, "the {page} page ({html}) names no .wasm");
        if page == "dashboard" {
            report.guard(
                wasm_brotli <= DASHBOARD_WASM_BROTLI_LIMIT,
                format!(
                    "the dashboard's .wasm is {} brotli, over {}",
                    kib(wasm_brotli),
                    kib(DASHBOARD_WASM_BROTLI_LIMIT)
                ),
            );
        }
        report.guard(
            totals[2] <= FIRST_LOAD_BROTLI_LIMIT,
            format!("the {page}'s first load is {} brotli, over {}", kib(totals[2]), kib(FIRST_LOAD_BROTLI_LIMIT)),
        );
    }
    report.section(
        "5a. Page weight",
        &format!(
            "Every file each page's first view loads (the page and the files it names in dist/ of the release \
             build: `wasm-opt -Oz`, the trimmed ECharts bundle), raw and as the precompressed copies tlswatch \
             serves. Each page is its own bundle: a dashboard link loads only the dashboard. Guards (the bench \
             fails over them): the dashboard's `.wasm` at most {} brotli, each page's first load at most {} brotli.",
            kib(DASHBOARD_WASM_BROTLI_LIMIT),
            kib(FIRST_LOAD_BROTLI_LIMIT)
        ),
        &["page", "file", "raw", "gzip", "brotli"],
        rows,
    );
}

fn chromium_version() -> String {
    std::process::Command::new(tlswatch_tests::browser::chromium())
        .arg("--version")
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default()
}
