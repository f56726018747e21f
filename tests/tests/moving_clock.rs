//! A `now-24h` view refreshed as time moves, against moto: the case the kept
//! final buckets exist for. The proxy's router runs in-process on a
//! simulated clock (as in the bench), reading CloudWatch through the SDK at
//! a counting upstream in front of moto.

use tlswatch_shared::plan::final_boundary;
use tlswatch_tests::in_process::{InProcess, test_credentials};
use tlswatch_tests::upstream::TestUpstream;
use tlswatch_tests::{Moto, datum, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const PERIOD: i64 = 300;

/// The errors put at minute `t`: a pattern that differs bucket to bucket.
fn errors_at(t: i64) -> f64 {
    ((t / 60) % 7 + 1) as f64
}

async fn put_every_minute(moto: &Moto, from: i64, to: i64) {
    let dimensions = [("LoadBalancer", LB)];
    let data = (from..to).step_by(60).map(|t| datum("TargetTLSNegotiationErrorCount", &dimensions, t, errors_at(t)));
    moto.put(data.collect()).await;
}

#[test]
fn a_relative_view_refreshed_as_time_moves_asks_only_for_buckets_that_may_change() {
    // SAFETY: the test runs in its own process (nextest) and no thread runs yet.
    unsafe { test_credentials() };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(refresh_as_time_moves());
}

async fn refresh_as_time_moves() {
    let moto = Moto::start();
    let first_now = (now() / PERIOD) * PERIOD - 3_600 + 90;
    // Data up to past the end of the last view (its last bucket ends after its "now").
    put_every_minute(&moto, first_now - 26 * 3_600, first_now + 3_600 + 600).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let proxy = InProcess::on_endpoint(&upstream.endpoint).await;
    let uri = format!("/api/v1/series?lb={LB}&period={PERIOD}&from=now-24h");

    let mut previous_boundary = None;
    for step in 0..13 {
        let now = first_now + step * 300;
        proxy.set_now(now);
        let (status, body) = proxy.get(&uri).await;
        assert_eq!(status, 200, "{body}");

        // Every bucket holds exactly what was put in it, kept or fetched.
        let (start, end) = (body["start"].as_i64().expect("a start"), body["end"].as_i64().expect("an end"));
        let values = body["series"][0]["values"].as_array().expect("values");
        assert_eq!(values.len() as i64, (end - start) / PERIOD, "step {step}");
        for (index, value) in values.iter().enumerate() {
            let bucket = start + index as i64 * PERIOD;
            let expected: f64 = (bucket..bucket + PERIOD).step_by(60).map(errors_at).sum();
            assert_eq!(value.as_f64(), Some(expected), "step {step}, bucket {bucket}");
        }
        let boundary = final_boundary(now, PERIOD as u32);
        assert_eq!(body["partial_from"], boundary, "step {step}");

        // The first request asks for the whole day; each refresh only from
        // the first bucket that was not final at the previous one.
        let calls = upstream.data_calls();
        assert_eq!(calls.len(), step as usize + 1, "one call per refresh: {calls:?}");
        let call = calls.last().expect("a call");
        assert_eq!(call.end, end);
        match previous_boundary {
            None => assert_eq!(call.start, start, "the first request asks for everything"),
            Some(kept_until) => assert_eq!(call.start, kept_until, "step {step}: only what may have changed"),
        }
        previous_boundary = Some(boundary);
    }
}
