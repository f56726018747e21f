//! Response size: `/api/v1/series` for 5 series × 1,440 points, as sent
//! raw, gzip and brotli.

use tlswatch_tests::{Moto, Tlswatch};

use crate::fleet::{self, Series};
use crate::report::{Report, kb};

pub async fn measure_response(report: &mut Report) {
    let moto = Moto::start();
    let end = fleet::aligned_now(60);
    let start = end - 24 * 3_600;
    let series: Vec<Series> = (0..5).map(|lb| Series { lb, tg: None }).collect();
    fleet::put(&moto, &series, start, end, 60, 3).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let lbs: String = (0..5).map(|lb| format!("lb={}&", fleet::load_balancer(lb))).collect();
    let url = format!("{}/api/v1/series?{lbs}period=60&from={start}&to={end}", tlswatch.url);
    let http = reqwest::Client::new();
    let mut rows = Vec::new();
    for encoding in ["identity", "gzip", "br"] {
        let response = http.get(&url).header("accept-encoding", encoding).send().await.expect("tlswatch answers");
        assert_eq!(response.status(), 200);
        let sent = response.headers().get("content-encoding").map(|v| v.to_str().unwrap_or("?").to_string());
        assert_eq!(sent.as_deref().unwrap_or("identity"), encoding, "the encoding asked for");
        rows.push(vec![encoding.to_string(), kb(response.bytes().await.expect("a body").len() as u64)]);
    }
    report.section(
        "4. Response size",
        "`GET /api/v1/series` for 5 load balancers at 1 min over 24 h (5 series × 1,440 points, errors in about a \
         third of the minutes), as tlswatch sends it for each `Accept-Encoding`. Target: under 40 KB compressed.",
        &["encoding", "bytes"],
        rows,
    );
}
