//! A proxy configured for several regions against a real
//! CloudWatch-compatible server that keeps each region's data apart.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use tlswatch_tests::{Moto, REGION, Tlswatch, now};

const LB: &str = "app/edge-alb/50dc6c495c0c9188";
const EU_ONLY_LB: &str = "app/dublin-alb/1e9c1f0a7b2d4c68";
const OTHER_REGION: &str = "eu-west-1";

async fn put_errors(moto: &Moto, region: &str, lb: &str, at: i64, value: f64) {
    let datum = MetricDatum::builder()
        .metric_name("TargetTLSNegotiationErrorCount")
        .dimensions(Dimension::builder().name("LoadBalancer").value(lb).build())
        .timestamp(DateTime::from_secs(at))
        .value(value)
        .build();
    let client = moto.client_in(region).await;
    client.put_metric_data().namespace("AWS/ApplicationELB").metric_data(datum).send().await.unwrap();
}

#[tokio::test]
async fn a_second_configured_region_is_served_with_its_own_data() {
    let moto = Moto::start();
    let start = (now() / 3_600 - 2) * 3_600;
    put_errors(&moto, REGION, LB, start + 60, 3.0).await;
    put_errors(&moto, OTHER_REGION, LB, start + 60, 7.0).await;
    put_errors(&moto, OTHER_REGION, EU_ONLY_LB, start + 120, 11.0).await;
    let regions = format!("{REGION},{OTHER_REGION}");
    let tlswatch = Tlswatch::start(&["--source", "cloudwatch", "--region", &regions, "--endpoint-url", &moto.endpoint]);
    let view = format!("lb={LB}&period=3600&from={start}&to={}", start + 3_600);

    let (status, default) = tlswatch.get(&format!("/api/v1/series?{view}")).await;
    assert_eq!(status, 200, "{default}");
    assert_eq!(default["summary"]["total"], 3.0, "the first region is the default");

    let (status, eu) = tlswatch.get(&format!("/api/v1/series?{view}&region={OTHER_REGION}")).await;
    assert_eq!(status, 200, "{eu}");
    assert_eq!(eu["summary"]["total"], 7.0, "{OTHER_REGION}'s data, not {REGION}'s");
    assert!(eu["view"].as_str().unwrap().contains(&format!("region={OTHER_REGION}")), "{}", eu["view"]);

    let (status, listed) = tlswatch.get(&format!("/api/v1/dimensions?region={OTHER_REGION}")).await;
    assert_eq!(status, 200, "{listed}");
    let lbs: Vec<&str> =
        listed["load_balancers"].as_array().unwrap().iter().map(|lb| lb["value"].as_str().unwrap()).collect();
    assert_eq!(lbs, vec![EU_ONLY_LB, LB], "what reported in {OTHER_REGION}");

    let (status, catalog) = tlswatch.get("/api/v1/catalog").await;
    assert_eq!(status, 200);
    assert_eq!(catalog["regions"], serde_json::json!([REGION, OTHER_REGION]));
    let (status, refused) = tlswatch.get(&format!("/api/v1/series?{view}&region=ap-south-1")).await;
    assert_eq!((status, refused["error"]["param"].as_str()), (400, Some("region")), "{refused}");
}
