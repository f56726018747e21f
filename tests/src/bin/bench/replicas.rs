//! Replicas sharing a cache (`--cache-url`) on Debian's redis-server: the
//! CloudWatch calls of identical concurrent requests spread over 2 and 4
//! replicas, and cached throughput when every answer comes from the shared
//! cache (the replica has no memory of its own), next to one process
//! answering from its memory.

use tlswatch_tests::shared_cache::RedisServer;
use tlswatch_tests::upstream::{Behaviour, TestUpstream};
use tlswatch_tests::{Moto, Tlswatch};

use crate::fleet::{self, DAY_PERIOD as PERIOD};
use crate::load;
use crate::report::{Report, ms};

const REQUESTS: usize = 100;
const CONCURRENCY: [usize; 2] = [1, 16];

pub async fn measure(report: &mut Report) {
    let moto = Moto::start();
    let (start, end) = fleet::one_balancer_for_a_day(&moto).await;
    let target = format!("/api/v1/series?lb={}&period={PERIOD}&from={start}&to={end}", fleet::load_balancer(0));

    let mut rows = Vec::new();
    for replicas in [2, 4] {
        let redis = RedisServer::start();
        let upstream = TestUpstream::start(&moto.endpoint).await;
        // Long enough that every request arrives while the call is in flight.
        upstream.behave(Behaviour::Delay(2_000));
        let url = redis.url();
        let flags = [&fleet::NO_RATE_LIMIT[..], &["--cache-url", &url]].concat();
        let started: Vec<Tlswatch> = (0..replicas).map(|_| Tlswatch::on_endpoint(&upstream.endpoint, &flags)).collect();
        let requests = (0..REQUESTS).map(|index| started[index % replicas].get(&target));
        let answers = futures::future::join_all(requests).await;
        let answered = answers.iter().filter(|(status, _)| *status == 200).count();
        let calls = upstream.get_metric_data_calls();
        report.guard(answered == REQUESTS, format!("{replicas} replicas answered {answered} of {REQUESTS}"));
        report.guard(calls == 1, format!("{REQUESTS} identical requests over {replicas} replicas made {calls} calls"));
        rows.push(vec![format!("{replicas} replicas"), REQUESTS.to_string(), calls.to_string()]);
    }
    report.section(
        "8a. Replicas: one CloudWatch call",
        &format!(
            "{REQUESTS} identical cold requests for the 24 h view of section 1, sent together and spread evenly over \
             replicas sharing one redis-server (Debian's 7.0) with `--cache-url`; CloudWatch (moto behind a \
             counting proxy) takes 2 s to answer, so every request arrives while the first call is in flight. \
             Target: 1 call."
        ),
        &["replicas", "requests", "GetMetricData calls"],
        rows,
    );

    let redis = RedisServer::start();
    let url = redis.url();
    let memory = Tlswatch::on_endpoint(&moto.endpoint, &fleet::NO_RATE_LIMIT);
    let shared_flags = [&fleet::NO_RATE_LIMIT[..], &["--cache-url", &url, "--cache-mib", "0"]].concat();
    let shared = Tlswatch::on_endpoint(&moto.endpoint, &shared_flags);
    let mut rows = Vec::new();
    for (name, tlswatch) in [("one process, its memory", &memory), ("shared cache only (no memory)", &shared)] {
        let (status, body) = tlswatch.get(&target).await;
        assert_eq!(status, 200, "the bench view is served: {body}");
        let address = tlswatch.url.trim_start_matches("http://").to_string();
        for concurrency in CONCURRENCY {
            let (requests, latencies) = load::run(&address, &target, concurrency).await;
            let per_second = requests as f64 / load::RUN.as_secs_f64();
            let row = [name.to_string(), concurrency.to_string(), format!("{per_second:.0}")];
            rows.push([row.to_vec(), vec![ms(latencies.median()), ms(latencies.p99())]].concat());
        }
    }
    report.section(
        "8b. Replicas: cached throughput through the shared cache",
        &format!(
            "The 24 h view of section 1, cached, asked as in section 2, of one tlswatch answering from its memory and \
             of one started with `--cache-mib 0 --cache-url`, so that every request reads the answer from \
             redis-server on loopback, decodes it and builds the response again. {} s per row.",
            load::RUN.as_secs()
        ),
        &["tlswatch", "concurrent clients", "requests/s", "p50", "p99"],
        rows,
    );
}
