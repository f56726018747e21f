//! Cached throughput: a keep-alive HTTP/1.1 load generator (hyper) against
//! a view tlswatch has cached, at several concurrencies.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tlswatch_tests::{Moto, Tlswatch};

use crate::fleet::{self, DAY_PERIOD as PERIOD};
use crate::report::{Latencies, Report, ms};

const CONCURRENCY: [usize; 3] = [1, 16, 64];
const WARM_UP: Duration = Duration::from_millis(500);
pub const RUN: Duration = Duration::from_secs(4);

pub async fn measure(report: &mut Report) {
    let moto = Moto::start();
    let (start, end) = fleet::one_balancer_for_a_day(&moto).await;
    let tlswatch = Tlswatch::on_endpoint(&moto.endpoint, &fleet::NO_RATE_LIMIT);
    let address = tlswatch.url.trim_start_matches("http://").to_string();
    let target = format!("/api/v1/series?lb={}&period={PERIOD}&from={start}&to={end}", fleet::load_balancer(0));
    let (status, body) = tlswatch.get(&target).await;
    assert_eq!(status, 200, "the bench view is served: {body}");

    let mut rows = Vec::new();
    for concurrency in CONCURRENCY {
        let (requests, latencies) = run(&address, &target, concurrency).await;
        let per_second = requests as f64 / RUN.as_secs_f64();
        rows.push(vec![
            concurrency.to_string(),
            format!("{per_second:.0}"),
            ms(latencies.median()),
            ms(latencies.p99()),
        ]);
    }
    report.section(
        "2. Cached throughput",
        &format!(
            "The 24 h view of section 1 (a {} byte JSON answer), cached, asked over keep-alive HTTP/1.1 connections \
             (one per concurrent client) by a hyper load generator running on the same {} cores as tlswatch, for \
             {} s after {} ms of warm-up. Target: 20,000 requests/s with p99 under 5 ms.",
            body.to_string().len(),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            RUN.as_secs(),
            WARM_UP.as_millis()
        ),
        &["concurrent clients", "requests/s", "p50", "p99"],
        rows,
    );
}

/// Requests answered during `RUN` and their latencies.
pub async fn run(address: &str, target: &str, concurrency: usize) -> (usize, Latencies) {
    let started = Instant::now();
    let measuring_from = started + WARM_UP;
    let until = measuring_from + RUN;
    let workers = (0..concurrency).map(|_| {
        let (address, target) = (address.to_string(), target.to_string());
        tokio::spawn(async move { client(&address, &target, measuring_from, until).await })
    });
    let mut latencies = Vec::new();
    for worker in futures::future::join_all(workers).await {
        latencies.extend(worker.expect("the worker ran"));
    }
    (latencies.len(), Latencies::new(latencies))
}

/// One connection asking for `target` again and again until `until`.
async fn client(address: &str, target: &str, measuring_from: Instant, until: Instant) -> Vec<Duration> {
    let stream = tokio::net::TcpStream::connect(address).await.expect("tlswatch accepts");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("an HTTP/1.1 connection");
    tokio::spawn(connection);
    let mut latencies = Vec::new();
    loop {
        let sent = Instant::now();
        if sent >= until {
            return latencies;
        }
        let request = hyper::Request::get(target)
            .header(hyper::header::HOST, address)
            .body(Empty::<Bytes>::new())
            .expect("a request");
        let response = sender.send_request(request).await.expect("an answer");
        assert_eq!(response.status(), 200, "cached answers are served");
        response.into_body().collect().await.expect("a body");
        if sent >= measuring_from {
            latencies.push(sent.elapsed());
        }
    }
}
