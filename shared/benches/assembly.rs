//! Micro-benchmarks of the work tlswatch does per answer: reading a view
//! from its query string, and assembling a 100,800-point series (70 days at
//! one minute) into the grid, summary and annotations the API returns.
//!
//! `cargo bench -p tlswatch-shared` (part of `cargo xtask bench`).

use divan::{Bencher, black_box};
use tlswatch_shared::annotate::{onset, spikes};
use tlswatch_shared::answer::{Answered, assemble};
use tlswatch_shared::api::Series;
use tlswatch_shared::grid::fill_grid;
use tlswatch_shared::summary::summarize;
use tlswatch_shared::{Dimensions, Fill, Metric, Plan, Query, View};

fn main() {
    divan::main();
}

/// A shared link of a busy dashboard: five load balancers, a breakdown, every option.
const QUERY: &str = "metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount\
    &lb=app/payments-alb/3e9c1f0a7b2d4c68&lb=app/edge-alb/50dc6c495c0c9188&lb=app/grpc-alb/0a1b2c3d4e5f6071\
    &lb=app/search-alb/8f7e6d5c4b3a2910&lb=app/admin-alb/1122334455667788&by=az&top=20&stat=Sum&period=300\
    &from=2026-11-20T00:00:00Z&to=2026-11-28T00:00:00Z&region=eu-west-1&tz=local&refresh=1m&rate=on&stack=on";

const POINTS: i64 = 100_800;
const PERIOD: u32 = 60;

fn plan() -> Plan {
    Plan { start: 0, end: POINTS * i64::from(PERIOD), period: PERIOD, warnings: Vec::new() }
}

/// Sparse errors (about one bucket in seven), a burst, and a sustained failure
/// over the last tenth: what the detectors look for.
fn datapoints() -> Vec<(i64, f64)> {
    (0..POINTS)
        .filter(|i| i % 7 == 0 || *i > POINTS * 9 / 10 || (50_000..50_005).contains(i))
        .map(|i| {
            let value = if (50_000..50_005).contains(&i) { 400.0 } else { (i % 5 + 1) as f64 };
            (i * i64::from(PERIOD), value)
        })
        .collect()
}

fn series() -> Series {
    let plan = plan();
    Series {
        id: "m0".into(),
        label: "payments-alb".into(),
        metric: Metric::TargetTlsNegotiationErrorCount,
        stat: tlswatch_shared::Statistic::Sum,
        dimensions: Default::default(),
        timestamps: plan.timestamps().collect(),
        values: fill_grid(&plan, datapoints(), Fill::Zero),
        per_thousand: None,
    }
}

#[divan::bench]
fn parse_view() -> View {
    View::from_query(black_box(QUERY)).expect("a valid view")
}

#[divan::bench]
fn write_canonical_query(bencher: Bencher) {
    let view = View::from_query(QUERY).expect("a valid view");
    bencher.bench(|| black_box(&view).to_query());
}

#[divan::bench]
fn fill_grid_100800(bencher: Bencher) {
    let (plan, points) = (plan(), datapoints());
    bencher.with_inputs(|| points.clone()).bench_values(|points| fill_grid(&plan, points, Fill::Zero));
}

#[divan::bench]
fn spikes_100800(bencher: Bencher) {
    let series = series();
    bencher.bench(|| spikes(black_box(&series.values)));
}

#[divan::bench]
fn onset_100800(bencher: Bencher) {
    let series = series();
    bencher.bench(|| onset(black_box(&series.values)));
}

#[divan::bench]
fn summary_100800(bencher: Bencher) {
    let series = [series()];
    bencher.bench(|| summarize(black_box(&series)));
}

/// The whole answer of one series, as the API sends it: grid, summary,
/// onset (once) and spikes.
#[divan::bench]
fn assemble_100800(bencher: Bencher) {
    let view = View::from_query("lb=app/payments-alb/3e9c1f0a7b2d4c68&period=60").expect("a valid view");
    let dims = Dimensions::from_pairs([("LoadBalancer", "app/payments-alb/3e9c1f0a7b2d4c68")]).expect("dimensions");
    let errors = [Query { metric: Metric::TargetTlsNegotiationErrorCount, dims }];
    let datapoints = [datapoints()];
    // Every bucket final, as in a range that ended long ago.
    let now = plan().end + 86_400;
    bencher.bench(|| {
        let answered = Answered { datapoints: &datapoints, ..Answered::default() };
        assemble(black_box(&view), &plan(), now, &errors, answered)
    });
}
