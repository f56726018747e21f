//! `/api/v1/dimensions` against a real CloudWatch-compatible server: every
//! load balancer, target group and zone that reported the metric, across
//! ListMetrics pages.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::{Moto, Tlswatch, now};

fn dimension(name: &str, value: &str) -> Dimension {
    Dimension::builder().name(name).value(value).build()
}

fn lb(index: usize) -> String {
    format!("app/alb-{index:02}/{:016x}", 0x50dc_6c49_5c0c_0000_u64 + index as u64)
}

fn tg(index: usize) -> String {
    format!("targetgroup/tg-{index:02}/{:016x}", 0x73e2_d6bc_24d8_0000_u64 + index as u64)
}

#[tokio::test]
async fn lists_every_balancer_target_group_and_zone_across_pages() {
    const BALANCERS: usize = 26;
    const GROUPS_PER_BALANCER: usize = 20;
    let moto = Moto::start();
    let client = moto.client().await;
    let at = DateTime::from_secs(now() - 3_600);
    let datum = |metric: &str, dims: Vec<Dimension>| {
        MetricDatum::builder().metric_name(metric).set_dimensions(Some(dims)).timestamp(at).value(1.0).build()
    };
    // 26 balancers, 520 balancer-group pairs, 2 zones: more than one ListMetrics page (500).
    let mut data = Vec::new();
    for b in 0..BALANCERS {
        data.push(datum("TargetTLSNegotiationErrorCount", vec![dimension("LoadBalancer", &lb(b))]));
        for g in 0..GROUPS_PER_BALANCER {
            data.push(datum(
                "TargetTLSNegotiationErrorCount",
                vec![dimension("LoadBalancer", &lb(b)), dimension("TargetGroup", &tg(b * GROUPS_PER_BALANCER + g))],
            ));
        }
    }
    for zone in ["us-east-1a", "us-east-1b"] {
        data.push(datum(
            "TargetTLSNegotiationErrorCount",
            vec![dimension("LoadBalancer", &lb(0)), dimension("AvailabilityZone", zone)],
        ));
    }
    // Noise tlswatch must leave out: another metric, and a dimension value that is no ALB.
    data.push(datum("ClientTLSNegotiationErrorCount", vec![dimension("LoadBalancer", "app/other/0000000000000001")]));
    data.push(datum("TargetTLSNegotiationErrorCount", vec![dimension("LoadBalancer", "net/nlb/0000000000000001")]));
    for chunk in data.chunks(150) {
        client
            .put_metric_data()
            .namespace("AWS/ApplicationELB")
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await
            .expect("moto takes the test data");
    }

    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get("/api/v1/dimensions").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["metric"], "TargetTLSNegotiationErrorCount");
    assert_eq!(body["region"], "us-east-1");
    let balancers = body["load_balancers"].as_array().unwrap();
    assert_eq!(balancers.len(), BALANCERS);
    assert_eq!(balancers[0]["value"], lb(0));
    assert_eq!(balancers[0]["name"], "alb-00");
    let groups = body["target_groups"].as_array().unwrap();
    assert_eq!(groups.len(), BALANCERS * GROUPS_PER_BALANCER, "all pages were read");
    let last = groups.iter().find(|g| g["value"] == tg(519)).expect("the last group");
    assert_eq!(last["load_balancer"], lb(25));
    assert_eq!(last["name"], "tg-519");
    assert_eq!(body["availability_zones"], serde_json::json!(["us-east-1a", "us-east-1b"]));

    let (status, client_side) = tlswatch.get("/api/v1/dimensions?metric=ClientTLSNegotiationErrorCount").await;
    assert_eq!(status, 200);
    assert_eq!(client_side["load_balancers"][0]["value"], "app/other/0000000000000001");

    let (status, refused) = tlswatch.get("/api/v1/dimensions?region=eu-west-1").await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["param"], "region");
}

#[tokio::test]
async fn a_target_group_under_two_load_balancers_is_listed_once_per_load_balancer() {
    let moto = Moto::start();
    let at = now() - 3_600;
    let group = tg(7);
    let data = [lb(1), lb(2)].map(|balancer| {
        tlswatch_tests::datum(
            "TargetTLSNegotiationErrorCount",
            &[("LoadBalancer", &balancer), ("TargetGroup", &group)],
            at,
            1.0,
        )
    });
    moto.put(data.to_vec()).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let (status, body) = tlswatch.get("/api/v1/dimensions").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["target_groups"],
        serde_json::json!([
            {"value": group, "name": "tg-07", "load_balancer": lb(1)},
            {"value": group, "name": "tg-07", "load_balancer": lb(2)},
        ])
    );
    let balancers: Vec<&str> =
        body["load_balancers"].as_array().unwrap().iter().filter_map(|b| b["value"].as_str()).collect();
    assert_eq!(balancers, [lb(1), lb(2)], "both load balancers, from their target groups' series alone");
}
