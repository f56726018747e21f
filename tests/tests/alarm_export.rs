//! `/api/v1/alarm` proven, not just printed: each format applied to moto as
//! a team would (the CLI lines run by awscli; the CloudFormation template
//! passed through cfn-lint and its properties put; the Terraform parsed by
//! python-hcl2 and its arguments put; tests/fixtures/alarm_apply.py), then
//! read back with DescribeAlarms and compared with the view and with the
//! JSON definitions.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};
use tlswatch_shared::alarm_export::{
    AlarmDefinition, AlarmExport, THRESHOLD_RULE, WatchedMetric, cli, cloudformation, suggest_threshold, terraform,
};
use tlswatch_tests::{Moto, Tlswatch, datum, now, temp_file};

const METRIC: &str = "TargetTLSNegotiationErrorCount";
const LB: &str = "app/payments-alb/3e9c1f0a7b2d4c68";
const QUIET_TG: &str = "targetgroup/ledger-api/9c7a2e5f1d3b8046";
const FAILING_TG: &str = "targetgroup/checkout-tls/4b1e8d2c9f0a7365";
const PERIOD: i64 = 300;
const FORMATS: [&str; 3] = ["cli", "cloudformation", "terraform"];

/// Applies `text` (an export in `format`) to a fresh moto; what
/// DescribeAlarms then says, and the topic the actions name.
fn apply(format: &str, text: &str) -> (Vec<Value>, String) {
    let target = Moto::start();
    let file = temp_file(&format!("alarms-{format}-{}.txt", text.len()), text);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../.tools/alarm-venv/bin/python");
    let output = Command::new(&python)
        .arg(root.join("fixtures/alarm_apply.py"))
        .args([&target.endpoint, format])
        .arg(&file)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {}: {err} (run `cargo xtask test`)", python.display()));
    assert!(output.status.success(), "{format} was not applied: {}\n{text}", String::from_utf8_lossy(&output.stderr));
    let applied: Value = serde_json::from_slice(&output.stdout).expect("the fixture prints JSON");
    let mut alarms = applied["alarms"].as_array().expect("alarms").clone();
    alarms.sort_by_key(|alarm| alarm["AlarmName"].as_str().unwrap_or_default().to_string());
    (alarms, applied["topic"].as_str().unwrap().to_string())
}

/// What DescribeAlarms should say of a definition of the JSON answer.
fn as_described(definition: &Value, topic: &str) -> Value {
    let dimensions = |metric: &Value| -> Value {
        let mut pairs: Vec<Value> = metric["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| json!({"Name": pair[0], "Value": pair[1]}))
            .collect();
        pairs.sort_by_key(|pair| pair["Name"].as_str().unwrap().to_string());
        Value::Array(pairs)
    };
    let mut described = json!({
        "AlarmName": definition["alarm_name"],
        "AlarmDescription": definition["alarm_description"],
        "EvaluationPeriods": definition["evaluation_periods"],
        "DatapointsToAlarm": definition["datapoints_to_alarm"],
        "Threshold": definition["threshold"],
        "ComparisonOperator": definition["comparison_operator"],
        "TreatMissingData": definition["treat_missing_data"],
        "AlarmActions": [topic],
    });
    let metrics = definition["metrics"].as_array().unwrap();
    if metrics.len() == 1 {
        described["Namespace"] = definition["namespace"].clone();
        described["MetricName"] = metrics[0]["metric_name"].clone();
        described["Dimensions"] = dimensions(&metrics[0]);
        described["Statistic"] = definition["statistic"].clone();
        described["Period"] = definition["period"].clone();
    } else {
        let mut queries: Vec<Value> = metrics
            .iter()
            .enumerate()
            .map(|(i, metric)| {
                json!({"Id": format!("m{i}"), "ReturnData": false, "MetricStat": {
                    "Metric": {"Namespace": definition["namespace"], "MetricName": metric["metric_name"],
                               "Dimensions": dimensions(metric)},
                    "Period": definition["period"], "Stat": definition["statistic"]}})
            })
            .collect();
        let expression = (0..metrics.len()).map(|i| format!("m{i}")).collect::<Vec<_>>().join(" + ");
        queries.push(
            json!({"Id": "total", "Expression": expression, "Label": definition["alarm_name"], "ReturnData": true}),
        );
        described["Metrics"] = Value::Array(queries);
    }
    described
}

/// The fields of a DescribeAlarms entry that `expected` names, dimensions sorted.
fn comparable(alarm: &Value, expected: &Value) -> Value {
    let mut picked = serde_json::Map::new();
    for key in expected.as_object().unwrap().keys() {
        let mut value = alarm[key].clone();
        if let Some(pairs) = value.as_array_mut().filter(|_| key == "Dimensions") {
            pairs.sort_by_key(|pair| pair["Name"].as_str().unwrap_or_default().to_string());
        }
        if let Some(queries) = value.as_array_mut().filter(|_| key == "Metrics") {
            for query in queries.iter_mut() {
                let keep = ["Id", "ReturnData", "MetricStat", "Expression", "Label"];
                query.as_object_mut().unwrap().retain(|k, _| keep.contains(&k.as_str()));
                let dimensions = query.pointer_mut("/MetricStat/Metric/Dimensions").and_then(Value::as_array_mut);
                if let Some(pairs) = dimensions {
                    pairs.sort_by_key(|pair| pair["Name"].as_str().unwrap_or_default().to_string());
                }
            }
        }
        picked.insert(key.clone(), value);
    }
    Value::Object(picked)
}

/// A settled six hours: the ledger group quiet but for one error, the
/// checkout group with a little noise, then failing from bucket 50.
async fn put_errors(moto: &Moto) -> (i64, i64) {
    let end = (now() - 3_600) / 3_600 * 3_600;
    let start = end - 6 * 3_600;
    let at = |bucket: i64| start + bucket * PERIOD + 10;
    let mut data = vec![datum(METRIC, &[("LoadBalancer", LB), ("TargetGroup", QUIET_TG)], at(20), 1.0)];
    for bucket in [5, 17, 33] {
        data.push(datum(METRIC, &[("LoadBalancer", LB), ("TargetGroup", FAILING_TG)], at(bucket), 2.0));
    }
    for bucket in 50..72 {
        data.push(datum(METRIC, &[("LoadBalancer", LB), ("TargetGroup", FAILING_TG)], at(bucket), 80.0));
    }
    moto.put(data).await;
    (start, end)
}

#[tokio::test]
async fn each_format_applied_to_moto_creates_the_alarms_the_view_describes() {
    let moto = Moto::start();
    let (start, end) = put_errors(&moto).await;
    let tlswatch = Tlswatch::on_moto(&moto);
    let view = format!("lb={LB}&tg={QUIET_TG}&tg={FAILING_TG}&period={PERIOD}&from={start}&to={end}");

    let (status, series) = tlswatch.get(&format!("/api/v1/series?{view}")).await;
    assert_eq!(status, 200, "{series}");
    for grouping in ["each", "sum"] {
        let (status, export) = tlswatch.get(&format!("/api/v1/alarm?{view}&alarms={grouping}")).await;
        assert_eq!(status, 200, "{export}");
        assert_eq!(export["threshold_rule"], THRESHOLD_RULE);
        let definitions = export["alarms"].as_array().unwrap().clone();
        assert_eq!(definitions.len(), if grouping == "each" { 2 } else { 1 }, "{export}");

        // The view's metric, dimensions, statistic and period; the rule's threshold.
        for (definition, shown) in definitions.iter().zip(series["series"].as_array().unwrap()) {
            let metrics = definition["metrics"].as_array().unwrap();
            assert!(metrics.iter().all(|m| m["metric_name"] == METRIC), "{definition}");
            assert_eq!((definition["statistic"].as_str(), definition["period"].as_i64()), (Some("Sum"), Some(PERIOD)));
            assert_eq!(definition["treat_missing_data"], "notBreaching");
            assert_eq!(definition["comparison_operator"], "GreaterThanThreshold");
            if grouping == "each" {
                let values: Vec<Option<f64>> = shown["values"].as_array().unwrap().iter().map(Value::as_f64).collect();
                assert_eq!(definition["threshold"], suggest_threshold(&values), "{definition}");
                let dims: Vec<(String, String)> = shown["dimensions"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                assert_eq!(metrics[0]["dimensions"], json!(dims), "{definition}");
            } else {
                assert_eq!(metrics.len(), 2, "both groups summed: {definition}");
            }
            // The description's link opens the same view.
            let description = definition["alarm_description"].as_str().unwrap();
            let link = description.split("View: ").nth(1).expect("a link in the description");
            let query = url::Url::parse(link).expect("an absolute link").query().unwrap_or_default().to_string();
            let (status, linked) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
            assert_eq!((status, &linked["view"]), (200, &export["view"]), "{link}");
        }
        if grouping == "each" {
            // checkout-tls at its noise before failing began; ledger-api, quiet but for one error.
            let threshold_of = |group: &str| {
                let definition = definitions.iter().find(|d| d["metrics"][0]["dimensions"].to_string().contains(group));
                definition.expect("a definition per group")["threshold"].clone()
            };
            assert_eq!((threshold_of(FAILING_TG), threshold_of(QUIET_TG)), (json!(2.0), json!(1.0)), "{export}");
        }

        for format in FORMATS {
            let response = tlswatch.response(&format!("/api/v1/alarm?{view}&alarms={grouping}&format={format}")).await;
            assert_eq!(response.status(), 200, "{format}");
            let text = response.text().await.unwrap();
            let (applied, topic) = apply(format, &text);
            let mut expected: Vec<Value> = definitions.iter().map(|d| as_described(d, &topic)).collect();
            expected.sort_by_key(|alarm| alarm["AlarmName"].as_str().unwrap().to_string());
            let got: Vec<Value> = applied.iter().zip(&expected).map(|(alarm, want)| comparable(alarm, want)).collect();
            assert_eq!(got, expected, "{format} ({grouping}) as moto describes it:\n{text}");
        }
    }
}

#[tokio::test]
async fn names_descriptions_and_links_with_special_characters_round_trip_in_every_format() {
    let hostile = "a: b # c & d $HOME ${var.x} %{if} 'single' \"double\" \\back `tick` ; | > *";
    let definition = AlarmDefinition {
        alarm_name: format!("TargetTLSNegotiationErrorCount {hostile}"),
        alarm_description: format!("{hostile} View: http://127.0.0.1:8080/?lb=app/a/1&from=now-24h#x"),
        namespace: "AWS/ApplicationELB",
        metrics: vec![WatchedMetric {
            metric_name: METRIC.to_string(),
            dimensions: vec![("LoadBalancer".to_string(), "app/a-b/0123456789abcdef".to_string())],
        }],
        statistic: "Maximum".to_string(),
        period: 60,
        evaluation_periods: 3,
        datapoints_to_alarm: 2,
        threshold: 2.5,
        comparison_operator: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
    };
    let export = AlarmExport {
        view: format!("lb=app/a/1&{hostile}"),
        alarms: vec![definition.clone()],
        threshold_rule: THRESHOLD_RULE,
        warnings: Vec::new(),
    };
    for (format, text) in [
        ("cli", cli(&export, "us-east-1")),
        ("cloudformation", cloudformation(&export)),
        ("terraform", terraform(&export)),
    ] {
        let (applied, _) = apply(format, &text);
        assert_eq!(applied.len(), 1, "{format}:\n{text}");
        let alarm = &applied[0];
        assert_eq!(alarm["AlarmName"], definition.alarm_name.as_str(), "{format}:\n{text}");
        assert_eq!(alarm["AlarmDescription"], definition.alarm_description.as_str(), "{format}:\n{text}");
        assert_eq!(
            (alarm["Threshold"].as_f64(), alarm["Statistic"].as_str()),
            (Some(2.5), Some("Maximum")),
            "{format}"
        );
    }
}

#[tokio::test]
async fn refused_alarm_parameters_name_what_is_accepted() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    for (query, param) in [
        (format!("lb={LB}&format=yaml"), "format"),
        (format!("lb={LB}&format=cli&format=json"), "format"),
        (format!("lb={LB}&alarms=all"), "alarms"),
        (format!("lb={LB}&stat=p101"), "stat"),
    ] {
        let (status, body) = tlswatch.get(&format!("/api/v1/alarm?{query}")).await;
        assert_eq!((status, body["error"]["param"].as_str()), (400, Some(param)), "{query}: {body}");
    }
}
