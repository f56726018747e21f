//! `cargo xtask bench`: measures tlswatch against a local moto server and in
//! headless Chromium, and prints the report (Markdown) that xtask writes to
//! docs/benchmarks.md.
//!
//! Every figure comes from this run: ratios are against a baseline measured
//! in the same run, latencies are medians and p99s over many requests.

mod browser;
mod economy;
mod fleet;
mod fleet_review;
mod load;
mod overhead;
mod overview;
mod probe;
mod replicas;
mod report;
mod review;
mod sizes;

use std::time::Instant;

use report::Report;

fn main() {
    // The in-process proxy of the economy measurement reads AWS credentials
    // from the environment.
    // SAFETY: nothing else runs yet.
    unsafe { tlswatch_tests::in_process::test_credentials() };
    // Sections to run (all when none is named): overhead, load, economy, response, page, review, replicas, probe,
    // overview, fleet-review.
    let only: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|one| one == name);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let started = Instant::now();
    let mut report = Report::new();
    runtime.block_on(async {
        if wanted("overhead") {
            overhead::measure(&mut report).await;
        }
        if wanted("load") {
            load::measure(&mut report).await;
        }
        if wanted("economy") {
            economy::measure(&mut report).await;
        }
        if wanted("response") {
            sizes::measure_response(&mut report).await;
        }
        if wanted("page") {
            browser::measure(&mut report).await;
        }
        if wanted("review") {
            review::measure(&mut report).await;
        }
        if wanted("replicas") {
            replicas::measure(&mut report).await;
        }
        if wanted("probe") {
            probe::measure(&mut report).await;
        }
        if wanted("overview") {
            overview::measure(&mut report).await;
        }
        if wanted("fleet-review") {
            fleet_review::measure(&mut report).await;
        }
    });
    report.note(&format!("The measurements took {:.0} s.", started.elapsed().as_secs_f64()));
    print!("{}", report.markdown());
    if !report.broken().is_empty() {
        eprintln!("bench: {} guard(s) broken:\n- {}", report.broken().len(), report.broken().join("\n- "));
        std::process::exit(1);
    }
}
