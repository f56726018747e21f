//! Test data in moto: load balancers and target groups reporting
//! TargetTLSNegotiationErrorCount, put in batches the way ALBs would.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::Moto;

pub const METRIC: &str = "TargetTLSNegotiationErrorCount";

/// The name of load balancer `index`.
pub fn load_balancer(index: usize) -> String {
    format!("app/bench-alb-{index:03}/{index:016x}")
}

/// The name of target group `index` of a load balancer.
pub fn target_group(lb: usize, index: usize) -> String {
    format!("targetgroup/bench-tg-{lb:03}-{index}/{:016x}", lb * 16 + index)
}

/// A series: its dimensions in the order tlswatch asks for them.
pub struct Series {
    pub lb: usize,
    pub tg: Option<usize>,
}

/// Puts one datapoint every `step` seconds in `[start, end)` for every series
/// in `series`, on a deterministic sparse pattern (`every`-th step errs).
pub async fn put(moto: &Moto, series: &[Series], start: i64, end: i64, step: i64, every: u64) {
    let client = moto.client().await;
    let mut data = Vec::new();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for one in series {
        for t in (start..end).step_by(step as usize) {
            // xorshift: a fixed, irregular pattern of error counts.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if !state.is_multiple_of(every) {
                continue;
            }
            let mut datum = MetricDatum::builder()
                .metric_name(METRIC)
                .dimensions(Dimension::builder().name("LoadBalancer").value(load_balancer(one.lb)).build());
            if let Some(tg) = one.tg {
                datum =
                    datum.dimensions(Dimension::builder().name("TargetGroup").value(target_group(one.lb, tg)).build());
            }
            data.push(datum.timestamp(DateTime::from_secs(t)).value((state % 20 + 1) as f64).build());
        }
    }
    // PutMetricData takes at most 1,000 datapoints.
    for batch in data.chunks(1_000) {
        client
            .put_metric_data()
            .namespace("AWS/ApplicationELB")
            .set_metric_data(Some(batch.to_vec()))
            .send()
            .await
            .expect("moto takes the bench data");
    }
}

/// tlswatch flags: no per-client rate limit (one client sends everything here).
pub const NO_RATE_LIMIT: [&str; 2] = ["--rate-limit", "100000000"];
/// tlswatch flags: moto takes tens of seconds over hundreds of queries or
/// thousands of datapoints, where CloudWatch takes well under one.
pub const PATIENT_WITH_MOTO: [&str; 4] = ["--upstream-timeout", "300", "--upstream-attempt-timeout", "300"];

/// The period of [`one_balancer_for_a_day`].
pub const DAY_PERIOD: i64 = 300;

/// Load balancer 0 reporting every [`DAY_PERIOD`] over the last day: the range, aligned.
pub async fn one_balancer_for_a_day(moto: &Moto) -> (i64, i64) {
    let end = aligned_now(DAY_PERIOD);
    let start = end - 24 * 3_600;
    put(moto, &[Series { lb: 0, tg: None }], start, end, DAY_PERIOD, 1).await;
    (start, end)
}

/// `now`, floored to `period`.
pub fn aligned_now(period: i64) -> i64 {
    tlswatch_tests::now().div_euclid(period) * period
}
