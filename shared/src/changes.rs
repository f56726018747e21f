//! What changed on a view's TLS path: CloudTrail's records of Elastic Load
//! Balancing calls, matched to the view's load balancers, listeners and
//! target groups and described as a user reads them (`SslPolicy ->
//! ELBSecurityPolicy-TLS13-1-2-2021-06`, `3 targets registered`). Pure: the
//! proxy reads the events, this module decides which matter and says what
//! they did.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::review::{Finding, FindingCode, LoadBalancerConfig, LoadBalancerReview, Severity};
use crate::time::TimeSpec;

/// The event source of every call that changes a TLS path.
pub const EVENT_SOURCE: &str = "elasticloadbalancing.amazonaws.com";

/// The calls that change a load balancer's TLS path: its listeners and
/// their policies and certificates, rules, target groups and their health
/// checks, registered targets, and its attributes.
pub const TLS_PATH_EVENTS: [&str; 15] = [
    "CreateListener",
    "ModifyListener",
    "DeleteListener",
    "AddListenerCertificates",
    "RemoveListenerCertificates",
    "CreateRule",
    "ModifyRule",
    "DeleteRule",
    "CreateTargetGroup",
    "ModifyTargetGroup",
    "ModifyTargetGroupAttributes",
    "DeleteTargetGroup",
    "RegisterTargets",
    "DeregisterTargets",
    "ModifyLoadBalancerAttributes",
];

/// How many of a load balancer's changes the review lists.
pub const RECENT_PER_LOAD_BALANCER: usize = 10;

/// How far back CloudTrail's event history goes.
pub const HISTORY_SECONDS: i64 = 90 * 86_400;

/// AWS's page on the Elastic Load Balancing calls CloudTrail records.
pub const CLOUDTRAIL_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudtrail-logs.html";

/// How long before an onset a change is named as its likely cause.
pub const BEFORE_ONSET_SECONDS: i64 = 3_600;

/// One CloudTrail event as LookupEvents returns it: the record itself is
/// the JSON text of `CloudTrailEvent`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailEvent {
    pub event_id: String,
    pub event_name: String,
    /// Epoch seconds.
    pub event_time: i64,
    pub cloudtrail_event: String,
}

/// A change to a load balancer's TLS path, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// When the call was made, epoch seconds.
    pub t: i64,
    /// The API call: `ModifyListener`, `RegisterTargets`, ...
    pub event: String,
    pub event_id: String,
    /// The `LoadBalancer` dimension value it changed.
    pub load_balancer: String,
    /// What of the load balancer: `listener 443`, `target group web-tls`,
    /// `rule`, `load balancer`.
    pub changed: String,
    /// What it set, one entry per setting: `SslPolicy -> X`, `3 targets registered`.
    pub settings: Vec<String>,
    /// Who made the call: the user name, or the identity's ARN.
    pub by: String,
    /// For a call AWS refused: its error code and message. A failed call
    /// changed nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The event in the CloudTrail console.
    pub console_url: String,
}

impl Change {
    /// What the call did, or that it failed: [`Self::sentence`], or
    /// `ModifyListener by alice failed (AccessDenied: …) on listener 443`.
    pub fn description(&self) -> String {
        match &self.failed {
            Some(failed) => format!("{} by {} failed ({failed}) on {}", self.event, self.by, self.changed),
            None => self.sentence(),
        }
    }

    /// `ModifyListener by alice set SslPolicy to X on listener 443`.
    pub fn sentence(&self) -> String {
        let mut sentence = format!("{} by {}", self.event, self.by);
        let (set, other): (Vec<&String>, Vec<&String>) = self.settings.iter().partition(|s| s.contains(" -> "));
        if !set.is_empty() {
            let set: Vec<String> = set.iter().map(|s| s.replacen(" -> ", " to ", 1)).collect();
            sentence.push_str(&format!(" set {}", set.join(", ")));
        }
        if !other.is_empty() {
            let other: Vec<&str> = other.iter().map(|s| s.as_str()).collect();
            sentence.push_str(&format!(" ({})", other.join(", ")));
        }
        sentence.push_str(&format!(" on {}", self.changed));
        sentence
    }
}

/// The change that most nearly precedes `onset` (by less than
/// [`BEFORE_ONSET_SECONDS`]), failed calls left out.
pub fn nearest_before(changes: &[Change], onset: i64) -> Option<&Change> {
    changes
        .iter()
        .filter(|c| c.failed.is_none() && c.t <= onset && onset - c.t < BEFORE_ONSET_SECONDS)
        .max_by_key(|c| c.t)
}

/// `3 minutes after ModifyListener by alice set ...`: how the summary
/// ties an onset to the change before it.
pub fn after_change(change: &Change, onset: i64) -> String {
    let minutes = (onset - change.t) / 60;
    let gap = match minutes {
        0 => "less than a minute".to_string(),
        1 => "1 minute".to_string(),
        n => format!("{n} minutes"),
    };
    format!("{gap} after {}", change.sentence())
}

/// `changed-before-onset`: when a reviewed load balancer's target groups
/// began failing less than an hour after a change to its TLS path.
pub fn finding(lb: &LoadBalancerReview, changes: &[Change]) -> Option<Finding> {
    let (group, onset) =
        lb.target_groups.iter().filter_map(|g| Some((g, g.errors.onset?))).min_by_key(|(_, onset)| *onset)?;
    let own: Vec<Change> = changes.iter().filter(|c| c.load_balancer == lb.value).cloned().collect();
    let change = nearest_before(&own, onset)?;
    Some(Finding {
        code: FindingCode::ChangedBeforeOnset,
        severity: Severity::Medium,
        load_balancer: lb.value.clone(),
        target_group: Some(group.value.clone()),
        listener_port: None,
        text: format!(
            "{} began failing handshakes at {}, {}: the change is the first thing to check",
            group.name,
            TimeSpec::At(onset),
            after_change(change, onset)
        ),
        doc: CLOUDTRAIL_DOC.to_string(),
    })
}

/// The changes among `events` to the load balancers of `configs`, newest
/// first; in `region` for the console's links. Events of other load
/// balancers, other calls and records that cannot be read are left out.
pub fn changes(events: &[TrailEvent], configs: &[LoadBalancerConfig], region: &str) -> Vec<Change> {
    let owners = TargetGroupOwners::of(configs);
    let mut found: Vec<Change> = events.iter().filter_map(|event| change(event, configs, &owners, region)).collect();
    found.sort_by(|a, b| b.t.cmp(&a.t).then_with(|| a.event_id.cmp(&b.event_id)));
    found.dedup_by(|a, b| a.event_id == b.event_id);
    found
}

/// The load balancers each target group serves, by `TargetGroup` value.
struct TargetGroupOwners<'a>(BTreeMap<&'a str, Vec<&'a str>>);

impl<'a> TargetGroupOwners<'a> {
    fn of(configs: &'a [LoadBalancerConfig]) -> Self {
        let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for config in configs {
            for group in &config.target_groups {
                owners.entry(group.value.as_str()).or_default().push(config.value.as_str());
            }
        }
        Self(owners)
    }
}

fn change(
    event: &TrailEvent,
    configs: &[LoadBalancerConfig],
    owners: &TargetGroupOwners,
    region: &str,
) -> Option<Change> {
    if !TLS_PATH_EVENTS.contains(&event.event_name.as_str()) {
        return None;
    }
    let record: Value = serde_json::from_str(&event.cloudtrail_event).ok()?;
    let mut arns = Vec::new();
    for part in ["requestParameters", "responseElements", "resources"] {
        collect_arns(&record[part], &mut arns);
    }
    let touched: Vec<Touched> = arns.iter().filter_map(|arn| touched(arn)).collect();
    let load_balancer = touched.iter().find_map(|t| match t {
        Touched::LoadBalancer(lb) | Touched::Listener(lb) | Touched::Rule(lb) => {
            configs.iter().find(|c| c.value == *lb).map(|c| c.value.clone())
        }
        Touched::TargetGroup(group, _) => owners.0.get(group.as_str())?.first().map(|lb| lb.to_string()),
    })?;
    let changed = changed(&event.event_name, &record, &touched);
    let failed = record["errorCode"].as_str().map(|code| match record["errorMessage"].as_str() {
        Some(message) => format!("{code}: {message}"),
        None => code.to_string(),
    });
    Some(Change {
        t: event.event_time,
        event: event.event_name.clone(),
        event_id: event.event_id.clone(),
        load_balancer,
        changed,
        settings: settings(&event.event_name, &record["requestParameters"]),
        by: identity(&record["userIdentity"]),
        failed,
        console_url: format!(
            "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/{}",
            event.event_id
        ),
    })
}

/// What part of a load balancer an ARN names: the `LoadBalancer` value of
/// the load balancer, listener or rule; a target group's value and name.
enum Touched {
    LoadBalancer(String),
    Listener(String),
    Rule(String),
    TargetGroup(String, String),
}

/// `arn:aws:elasticloadbalancing:<region>:<account>:<resource>`, read.
fn touched(arn: &str) -> Option<Touched> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let parts: Vec<&str> = resource.split('/').collect();
    let lb = |from: usize| parts.get(from..from + 3).map(|p| p.join("/"));
    match *parts.first()? {
        "loadbalancer" => Some(Touched::LoadBalancer(lb(1)?)),
        "listener" => Some(Touched::Listener(lb(1)?)),
        "listener-rule" => Some(Touched::Rule(lb(1)?)),
        "targetgroup" if parts.len() >= 3 => Some(Touched::TargetGroup(parts[..3].join("/"), parts[1].to_string())),
        _ => None,
    }
}

/// Every Elastic Load Balancing ARN anywhere in `value`.
fn collect_arns(value: &Value, arns: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("arn:") && s.contains(":elasticloadbalancing:") => arns.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_arns(item, arns)),
        Value::Object(fields) => fields.values().for_each(|field| collect_arns(field, arns)),
        _ => {}
    }
}

/// What of the load balancer the call changed, in words.
fn changed(event: &str, record: &Value, touched: &[Touched]) -> String {
    if event.contains("Listener") {
        let port = record["requestParameters"]["port"]
            .as_u64()
            .or_else(|| record["responseElements"]["listeners"][0]["port"].as_u64());
        return port.map_or_else(|| "a listener".to_string(), |port| format!("listener {port}"));
    }
    if event.contains("Rule") {
        return "a listener rule".to_string();
    }
    let group = touched.iter().find_map(|t| match t {
        Touched::TargetGroup(_, name) => Some(name.clone()),
        _ => None,
    });
    let group = group.or_else(|| record["requestParameters"]["name"].as_str().map(str::to_string));
    match group {
        Some(name) if event.contains("TargetGroup") || event.contains("Targets") => format!("target group {name}"),
        _ => "the load balancer".to_string(),
    }
}

/// The request's settings, as `Name -> value`; targets and certificates counted.
fn settings(event: &str, request: &Value) -> Vec<String> {
    let Some(fields) = request.as_object() else { return Vec::new() };
    let mut settings = Vec::new();
    for (key, value) in fields {
        let counted = |noun: &str, verb: &str| {
            let n = value.as_array().map_or(0, Vec::len);
            format!("{n} {noun}{} {verb}", if n == 1 { "" } else { "s" })
        };
        match (key.as_str(), value) {
            (key, _) if key.ends_with("Arn") || key.ends_with("Arns") => {}
            ("targets", _) if event == "RegisterTargets" => settings.push(counted("target", "registered")),
            ("targets", _) if event == "DeregisterTargets" => settings.push(counted("target", "deregistered")),
            ("certificates", _) if event == "RemoveListenerCertificates" => {
                settings.push(counted("certificate", "removed"))
            }
            ("certificates", _) => settings.push(counted("certificate", "added")),
            ("attributes", Value::Array(attributes)) => settings.extend(
                attributes.iter().filter_map(|a| Some(format!("{} -> {}", a["key"].as_str()?, scalar(&a["value"])?))),
            ),
            (_, value) => match scalar(value) {
                Some(text) => settings.push(format!("{} -> {text}", pascal(key))),
                None => settings.push(format!("{} changed", pascal(key))),
            },
        }
    }
    settings
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `sslPolicy` as the API names it: `SslPolicy`.
fn pascal(key: &str) -> String {
    let mut chars = key.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Who made the call: an IAM user's name, an assumed role's role and
/// session, else the identity's ARN or what invoked it.
fn identity(who: &Value) -> String {
    if let Some(name) = who["userName"].as_str() {
        return name.to_string();
    }
    if who["type"] == "AssumedRole"
        && let Some(arn) = who["arn"].as_str()
    {
        // arn:aws:sts::<account>:assumed-role/<role>/<session>
        return arn.rsplit_once(":assumed-role/").map_or(arn, |(_, role)| role).to_string();
    }
    ["arn", "invokedBy", "principalId"]
        .iter()
        .find_map(|field| who[*field].as_str())
        .unwrap_or("an unknown identity")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::TargetGroupConfig;

    const LB: &str = "app/payments-alb/3e9c1f0a7b2d4c68";
    const LISTENER: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/payments-alb/3e9c1f0a7b2d4c68/f2f7dc8efc522ab2";
    const GROUP: &str = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/payments-tls/6d0ecf831eec9f09";

    fn configs() -> Vec<LoadBalancerConfig> {
        let group = TargetGroupConfig {
            value: "targetgroup/payments-tls/6d0ecf831eec9f09".to_string(),
            name: "payments-tls".to_string(),
            ..TargetGroupConfig::default()
        };
        vec![LoadBalancerConfig { value: LB.to_string(), target_groups: vec![group], ..Default::default() }]
    }

    fn event(id: &str, name: &str, t: i64, record: Value) -> TrailEvent {
        TrailEvent {
            event_id: id.to_string(),
            event_name: name.to_string(),
            event_time: t,
            cloudtrail_event: record.to_string(),
        }
    }

    fn modify_listener(t: i64) -> TrailEvent {
        let record = serde_json::json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "userName": "alice"},
            "eventSource": EVENT_SOURCE,
            "eventName": "ModifyListener",
            "requestParameters": {"listenerArn": LISTENER, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
            "responseElements": {"listeners": [{"listenerArn": LISTENER, "port": 443, "protocol": "HTTPS"}]},
        });
        event("e-1", "ModifyListener", t, record)
    }

    #[test]
    fn a_policy_change_reads_as_what_it_set_on_which_listener() {
        let found = changes(&[modify_listener(1_000)], &configs(), "eu-west-1");
        assert_eq!(found.len(), 1);
        let change = &found[0];
        assert_eq!(change.load_balancer, LB);
        assert_eq!(change.settings, ["SslPolicy -> ELBSecurityPolicy-TLS13-1-2-2021-06"]);
        assert_eq!(change.changed, "listener 443");
        assert_eq!(change.by, "alice");
        assert!(change.console_url.ends_with("#/events/e-1"), "{}", change.console_url);
        assert_eq!(
            after_change(change, 1_180),
            "3 minutes after ModifyListener by alice set SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 on \
             listener 443"
        );
    }

    #[test]
    fn targets_are_counted_and_matched_through_their_group() {
        let record = serde_json::json!({
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/deployer/ci-42"},
            "requestParameters": {"targetGroupArn": GROUP, "targets": [{"id": "10.0.1.5"}, {"id": "10.0.1.6"}, {"id": "10.0.1.7"}]},
        });
        let found = changes(&[event("e-2", "RegisterTargets", 10, record)], &configs(), "eu-west-1");
        assert_eq!(found[0].settings, ["3 targets registered"]);
        assert_eq!(found[0].changed, "target group payments-tls");
        assert_eq!(found[0].by, "deployer/ci-42");
    }

    #[test]
    fn another_load_balancers_events_and_other_calls_are_left_out() {
        let other = modify_listener(5).cloudtrail_event.replace("payments-alb/3e9c1f0a7b2d4c68", "other/1111");
        let other = TrailEvent { cloudtrail_event: other, ..modify_listener(5) };
        let described = TrailEvent { event_name: "DescribeListeners".to_string(), ..modify_listener(5) };
        assert!(changes(&[other, described], &configs(), "eu-west-1").is_empty());
    }

    #[test]
    fn a_refused_call_is_failed_and_never_named_before_an_onset() {
        let mut record: Value = serde_json::from_str(&modify_listener(100).cloudtrail_event).unwrap();
        record["errorCode"] = "AccessDenied".into();
        record["errorMessage"] = "User is not authorized".into();
        let refused =
            TrailEvent { cloudtrail_event: record.to_string(), event_id: "e-9".into(), ..modify_listener(100) };
        let found = changes(&[refused, modify_listener(50)], &configs(), "eu-west-1");
        assert_eq!(found[0].failed.as_deref(), Some("AccessDenied: User is not authorized"));
        assert_eq!(nearest_before(&found, 200).map(|c| c.t), Some(50));
        assert_eq!(nearest_before(&found, 50 + BEFORE_ONSET_SECONDS), None, "an hour before is too long ago");
        assert_eq!(nearest_before(&found, 40), None, "a change after the onset did not cause it");
    }
}
