//! Page weight and time to chart, in headless Chromium against the release
//! build of tlswatch and its frontend.

use serde_json::Value;
use tlswatch_tests::browser::{eval, wait_until, with_browser};
use tlswatch_tests::{Moto, Tlswatch, built_frontend};

use crate::fleet::{self, Series};
use crate::report::{Report, kib};

/// Navigations per view; the first starts with an empty browser cache.
const RUNS: usize = 5;
const DRAWN: &str = "performance.getEntriesByName('tlswatch:chart-drawn')";

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
    let views = [
        (
            "24 h at 5 min: 1 series × 288 points",
            format!("lb={}&period=300&from={start}&to={end}", fleet::load_balancer(0)),
        ),
        (
            "24 h at 1 min: 75 series × 1,440 points (108,000)",
            format!("lb={}&by=tg&top=75&period=60&from={start}&to={end}", fleet::load_balancer(1)),
        ),
    ];
    // The answers are cached first: this measures the page, not moto.
    for (_, query) in &views {
        let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
        assert_eq!(status, 200, "{body}");
    }

    let url = tlswatch.url.clone();
    let measured = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
    let out = measured.clone();
    with_browser(|client| async move {
        let mut rows = Vec::new();
        let mut transferred = Vec::new();
        for (index, (name, query)) in views.iter().enumerate() {
            let mut times = Vec::new();
            for run in 0..RUNS {
                client.goto("about:blank").await.expect("a blank page");
                client.goto(&format!("{url}/?{query}")).await.expect("the dashboard");
                wait_until(&client, &format!("{DRAWN}.length > 0")).await;
                let drawn = eval(&client, &format!("{DRAWN}[0].startTime")).await;
                times.push(drawn.as_f64().expect("a mark time"));
                if index == 0 && run == 0 {
                    transferred = loaded_resources(&client).await;
                }
            }
            let first = times[0];
            times.sort_by(f64::total_cmp);
            rows.push(vec![
                name.to_string(),
                format!("{first:.0} ms"),
                format!("{:.0} ms", times[RUNS / 2]),
                format!("{:.0} ms", times[RUNS - 1]),
            ]);
        }
        *out.lock().expect("not poisoned") = (rows, transferred);
    })
    .await;
    let (rows, transferred) = std::mem::take(&mut *measured.lock().expect("not poisoned"));
    report.section(
        "5b. Page weight as the browser loaded it",
        "The first view in a new Chromium profile (Resource Timing: bytes over the wire, and decoded). Chromium \
         accepts brotli, so the static files come from their precompressed `.br` copies; the API answer is \
         compressed on the fly.",
        &["file", "transferred", "decoded"],
        transferred,
    );
    report.section(
        "6. Time to chart",
        &format!(
            "Headless {}, from navigation start to the `tlswatch:chart-drawn` mark the page sets after \
             its first `setOption`; answers already cached by tlswatch. {RUNS} navigations per view: the first \
             with an empty browser cache, the rest with the hashed files cached. Targets: under 1 s (288 points) \
             and under 2 s (108,000 points).",
            chromium_version()
        ),
        &["view", "first (cold cache)", "median", "slowest"],
        rows,
    );
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

/// Most bytes of the app's `.wasm` as served (brotli).
const WASM_BROTLI_LIMIT: u64 = 200 * 1_024;
/// Most bytes of every file the first view loads, as served (brotli).
const FIRST_LOAD_BROTLI_LIMIT: u64 = 400 * 1_024;

/// 5a: the files of dist/ as stored: raw and their precompressed copies.
fn page_weight_of_files(report: &mut Report, dist: &std::path::Path) {
    let mut names: Vec<String> = std::fs::read_dir(dist)
        .expect("a built dist/")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| !name.ends_with(".br") && !name.ends_with(".gz"))
        .collect();
    names.sort();
    let size = |name: &str| std::fs::metadata(dist.join(name)).map_or(0, |m| m.len());
    let mut totals = [0u64; 3];
    let mut rows = Vec::new();
    for name in &names {
        let sizes = [size(name), size(&format!("{name}.gz")), size(&format!("{name}.br"))];
        assert!(sizes[1] > 0 || sizes[0] < 1024, "{name} has no precompressed copy: build with `cargo xtask bench`");
        // Small files are compressed on the fly; count them raw.
        let sizes = sizes.map(|s| if s == 0 { sizes[0] } else { s });
        for (total, one) in totals.iter_mut().zip(sizes) {
            *total += one;
        }
        rows.push(vec![format!("`{name}`"), kib(sizes[0]), kib(sizes[1]), kib(sizes[2])]);
    }
    rows.push(vec![
        "**first load**".into(),
        format!("**{}**", kib(totals[0])),
        format!("**{}**", kib(totals[1])),
        format!("**{}**", kib(totals[2])),
    ]);
    report.section(
        "5a. Page weight",
        &format!(
            "Every file the first view loads (dist/ of the release build: `wasm-opt -Oz`, the trimmed ECharts \
             bundle), raw and as the precompressed copies tlswatch serves. Guards (the bench fails over them): \
             `.wasm` at most {} brotli, the whole first load at most {} brotli.",
            kib(WASM_BROTLI_LIMIT),
            kib(FIRST_LOAD_BROTLI_LIMIT)
        ),
        &["file", "raw", "gzip", "brotli"],
        rows,
    );
    let wasm_brotli: u64 =
        names.iter().filter(|name| name.ends_with(".wasm")).map(|name| size(&format!("{name}.br"))).sum();
    report.guard(
        wasm_brotli <= WASM_BROTLI_LIMIT,
        format!("the .wasm is {} brotli, over {}", kib(wasm_brotli), kib(WASM_BROTLI_LIMIT)),
    );
    report.guard(
        totals[2] <= FIRST_LOAD_BROTLI_LIMIT,
        format!("the first load is {} brotli, over {}", kib(totals[2]), kib(FIRST_LOAD_BROTLI_LIMIT)),
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
