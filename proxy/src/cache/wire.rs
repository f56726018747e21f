//! What the shared cache holds: each entry's key (the layout version, the
//! kind, and every part of the in-process key) and its value as JSON, read
//! back only when it fits the key (a value that does not is a miss).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tlswatch_shared::Dimensions;
use tlswatch_shared::alarm::AlarmState;
use tlswatch_shared::probe::ProbeTarget;
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};

use super::final_buckets::FinalBuckets;
use super::shared::KEY_PREFIX;
use super::store::{Key, Probed};
use crate::source::{Alarm, Fetched, Query, Scope, Trail, Transition};

/// The shared cache's key of `key`; `None` for kinds kept per replica
/// (last good answers and built bodies).
pub fn key(key: &Key) -> Option<String> {
    let name = match key {
        Key::Fetched(key) => {
            let r = &key.request;
            let series = digest(r.series.iter().map(query_text));
            format!("answer:{}:{}:{}:{}:{}:{series}", scope_text(&key.scope), r.stat, r.period, r.start, r.end)
        }
        // `settled`: the name replicas already share for final buckets.
        Key::FinalBuckets(key) => {
            let series = digest(key.series.iter().map(query_text));
            format!("settled:{}:{}:{}:{series}", scope_text(&key.scope), key.stat, key.period)
        }
        Key::List(scope, metric) => format!("list:{}:{}", scope_text(scope), metric.as_str()),
        Key::Alarms(scope, metric, series) => {
            let series = digest(series.iter().map(dimensions_text));
            format!("alarms:{}:{}:{series}", scope_text(scope), metric.as_str())
        }
        Key::AlarmHistory { scope, name, start, end } => {
            format!("alarm-history:{}:{start}:{end}:{}", scope_text(scope), digest([name.clone()]))
        }
        Key::Policies(scope, names) => format!("policies:{}:{}", scope_text(scope), digest(names.iter().cloned())),
        Key::LoadBalancers(scope, wanted) => {
            let wanted = digest(wanted.iter().map(|lb| lb.as_str().to_string()));
            format!("load-balancers:{}:{wanted}", scope_text(scope))
        }
        Key::Fleet(scope) => format!("fleet:{}", scope_text(scope)),
        Key::Probe(scope, targets) => {
            format!("probe:{}:{}", scope_text(scope), digest(targets.iter().map(target_text)))
        }
        Key::Outcome(scope, target) => format!("outcome:{}:{}", scope_text(scope), digest([target_text(target)])),
        Key::Trail { scope, start, end } => format!("trail:{}:{start}:{end}", scope_text(scope)),
        Key::TrailHour(scope, hour) => format!("trail-hour:{}:{hour}", scope_text(scope)),
        Key::LastGood(_) | Key::Body(_) => return None,
    };
    Some(format!("{KEY_PREFIX}{name}"))
}

/// An account and region in a key: `payments/eu-west-1` (names hold
/// neither `/` nor `:`). Replicas that share a cache share their accounts
/// file, so a name means one account to all of them.
fn scope_text(scope: &Scope) -> String {
    format!("{}/{}", scope.account, scope.region)
}

/// The SHA-256 of `parts` (each ended by a newline), in hex: keys stay
/// short however many series a view has.
fn digest(parts: impl IntoIterator<Item = String>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A handshake to make: where, offering what.
fn target_text(target: &ProbeTarget) -> String {
    let offer = format!("{}|{}", target.offer.protocols.join(","), target.offer.ciphers.join(","));
    format!("{} {offer} {}", target.address, target.alpn_h2)
}

fn query_text(query: &Query) -> String {
    format!("{} {}", query.metric.as_str(), dimensions_text(&query.dims))
}

fn dimensions_text(dims: &Dimensions) -> String {
    let pairs: Vec<String> = dims.pairs().iter().map(|(name, value)| format!("{}={value}", name.as_str())).collect();
    pairs.join(",")
}

#[derive(Serialize, Deserialize)]
struct FetchedWire {
    datapoints: Vec<Vec<(i64, f64)>>,
    warnings: Vec<String>,
}

pub fn encode_fetched(fetched: &Arc<Fetched>) -> Vec<u8> {
    let wire = FetchedWire { datapoints: fetched.datapoints.clone(), warnings: fetched.warnings.clone() };
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// An answer of `series` series (nothing was requested from CloudWatch to
/// serve it).
pub fn decode_fetched(bytes: &[u8], series: usize) -> Option<Arc<Fetched>> {
    let wire: FetchedWire = serde_json::from_slice(bytes).ok()?;
    (wire.datapoints.len() == series)
        .then(|| Arc::new(Fetched { datapoints: wire.datapoints, warnings: wire.warnings, metrics_requested: 0 }))
}

#[derive(Serialize, Deserialize)]
struct FinalBucketsWire {
    start: i64,
    end: i64,
    datapoints: Vec<Vec<(i64, f64)>>,
}

pub fn encode_final_buckets(buckets: &FinalBuckets) -> Vec<u8> {
    let wire = FinalBucketsWire { start: buckets.start, end: buckets.end, datapoints: buckets.datapoints.clone() };
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// Final buckets of `series` series, each point inside their range.
pub fn decode_final_buckets(bytes: &[u8], series: usize) -> Option<FinalBuckets> {
    let wire: FinalBucketsWire = serde_json::from_slice(bytes).ok()?;
    let inside = wire.datapoints.iter().flatten().all(|&(t, _)| wire.start <= t && t < wire.end);
    (wire.datapoints.len() == series && wire.start < wire.end && inside).then_some(FinalBuckets {
        start: wire.start,
        end: wire.end,
        datapoints: wire.datapoints,
    })
}

pub fn encode_list(list: &Arc<Vec<Dimensions>>) -> Vec<u8> {
    let maps: Vec<BTreeMap<String, String>> = list.iter().map(Dimensions::to_map).collect();
    serde_json::to_vec(&maps).unwrap_or_default()
}

pub fn decode_list(bytes: &[u8]) -> Option<Arc<Vec<Dimensions>>> {
    let maps: Vec<BTreeMap<String, String>> = serde_json::from_slice(bytes).ok()?;
    let list = maps.iter().map(|map| Dimensions::from_pairs(map.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    list.collect::<Option<Vec<_>>>().map(Arc::new)
}

#[derive(Serialize, Deserialize)]
struct AlarmWire {
    name: String,
    threshold: f64,
    comparison: String,
    state: AlarmState,
}

pub fn encode_alarms(alarms: &Arc<Vec<Vec<Alarm>>>) -> Vec<u8> {
    let wire: Vec<Vec<AlarmWire>> = alarms
        .iter()
        .map(|of_series| {
            of_series
                .iter()
                .map(|a| AlarmWire {
                    name: a.name.clone(),
                    threshold: a.threshold,
                    comparison: a.comparison.clone(),
                    state: a.state,
                })
                .collect()
        })
        .collect();
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// The alarms of `series` series.
pub fn decode_alarms(bytes: &[u8], series: usize) -> Option<Arc<Vec<Vec<Alarm>>>> {
    let wire: Vec<Vec<AlarmWire>> = serde_json::from_slice(bytes).ok()?;
    let alarms: Vec<Vec<Alarm>> = wire
        .into_iter()
        .map(|of_series| {
            of_series
                .into_iter()
                .map(|a| Alarm { name: a.name, threshold: a.threshold, comparison: a.comparison, state: a.state })
                .collect()
        })
        .collect();
    (alarms.len() == series).then(|| Arc::new(alarms))
}

pub fn encode_history(history: &Arc<Vec<Transition>>) -> Vec<u8> {
    let wire: Vec<(i64, bool, bool)> = history.iter().map(|t| (t.t, t.from_alarm, t.into_alarm)).collect();
    serde_json::to_vec(&wire).unwrap_or_default()
}

pub fn decode_history(bytes: &[u8]) -> Option<Arc<Vec<Transition>>> {
    let wire: Vec<(i64, bool, bool)> = serde_json::from_slice(bytes).ok()?;
    let history = wire.into_iter().map(|(t, from_alarm, into_alarm)| Transition { t, from_alarm, into_alarm });
    Some(Arc::new(history.collect()))
}

pub fn encode_policies(policies: &Arc<BTreeMap<String, SslPolicy>>) -> Vec<u8> {
    serde_json::to_vec(policies.as_ref()).unwrap_or_default()
}

pub fn decode_policies(bytes: &[u8]) -> Option<Arc<BTreeMap<String, SslPolicy>>> {
    serde_json::from_slice(bytes).ok().map(Arc::new)
}

// What a probe saw, as shared's types serialize it.

pub fn encode_probed(probed: &Arc<Probed>) -> Vec<u8> {
    serde_json::to_vec(probed.as_ref()).unwrap_or_default()
}

pub fn encode_trail(trail: &Arc<Trail>) -> Vec<u8> {
    serde_json::to_vec(trail.as_ref()).unwrap_or_default()
}

pub fn decode_trail(bytes: &[u8]) -> Option<Arc<Trail>> {
    serde_json::from_slice(bytes).ok().map(Arc::new)
}

/// A probe's answer, only if it has one handshake per target of its key.
pub fn decode_probed(bytes: &[u8], targets: usize) -> Option<Arc<Probed>> {
    let probed: Probed = serde_json::from_slice(bytes).ok()?;
    (probed.handshakes.len() == targets).then(|| Arc::new(probed))
}

// The configuration of load balancers, as shared's types serialize it: a
// change to those types is a change of layout (raise `KEY_PREFIX`'s version).

pub fn encode_load_balancers(configs: &Arc<Vec<LoadBalancerConfig>>) -> Vec<u8> {
    serde_json::to_vec(configs.as_ref()).unwrap_or_default()
}

pub fn decode_load_balancers(bytes: &[u8]) -> Option<Arc<Vec<LoadBalancerConfig>>> {
    serde_json::from_slice(bytes).ok().map(Arc::new)
}

#[cfg(test)]
mod tests {
    use tlswatch_shared::review::{HealthCheck, ListenerConfig, RegisteredTarget, TargetGroupConfig, TargetHealth};
    use tlswatch_shared::{AccountName, Metric, Region, Statistic};

    use super::*;
    use crate::cache::store::{FetchKey, SeriesKey};
    use crate::source::FetchRequest;

    fn query(lb: &str) -> Query {
        let dims = Dimensions::from_pairs([("LoadBalancer", lb)]).unwrap();
        Query { metric: Metric::TargetTlsNegotiationErrorCount, dims }
    }

    fn fetch_key(region: &str, start: i64, lbs: &[&str]) -> FetchKey {
        fetch_key_in("default", region, start, lbs)
    }

    fn fetch_key_in(account: &str, region: &str, start: i64, lbs: &[&str]) -> FetchKey {
        let series = lbs.iter().map(|lb| query(lb)).collect();
        let request = FetchRequest { stat: Statistic::Sum, period: 60, start, end: start + 3_600, series };
        let scope = Scope { account: AccountName::parse(account).unwrap(), region: Region::parse(region).unwrap() };
        FetchKey { scope, request }
    }

    #[test]
    fn keys_carry_the_version_and_every_part_of_the_key() {
        let (a, b) = ("app/edge-alb/50dc6c495c0c9188", "app/payments-alb/3e9c1f0a7b2d4c68");
        let base = key(&Key::Fetched(fetch_key("us-east-1", 0, &[a, b]))).unwrap();
        assert!(base.starts_with("tlswatch:v2:answer:default/us-east-1:"), "{base}");
        for other in [
            fetch_key_in("payments", "us-east-1", 0, &[a, b]),
            fetch_key("eu-west-1", 0, &[a, b]),
            fetch_key("us-east-1", 60, &[a, b]),
            fetch_key("us-east-1", 0, &[b, a]),
            fetch_key("us-east-1", 0, &[a]),
        ] {
            assert_ne!(key(&Key::Fetched(other)).unwrap(), base);
        }
        let kept = key(&Key::FinalBuckets(SeriesKey::from(&fetch_key("us-east-1", 0, &[a, b])))).unwrap();
        let later = key(&Key::FinalBuckets(SeriesKey::from(&fetch_key("us-east-1", 600, &[a, b])))).unwrap();
        assert_eq!(kept, later, "final buckets are kept whatever the range");
        assert!(kept.starts_with("tlswatch:v2:settled:"));
    }

    #[test]
    fn values_come_back_as_stored_and_misfits_are_misses() {
        let fetched = Arc::new(Fetched {
            datapoints: vec![vec![(60, 1.5)], vec![]],
            warnings: vec!["w".into()],
            metrics_requested: 2,
        });
        let bytes = encode_fetched(&fetched);
        let back = decode_fetched(&bytes, 2).unwrap();
        assert_eq!(
            (&back.datapoints, &back.warnings, back.metrics_requested),
            (&fetched.datapoints, &fetched.warnings, 0)
        );
        assert!(decode_fetched(&bytes, 3).is_none(), "another number of series");
        assert!(decode_fetched(b"\x00garbage", 2).is_none());

        let kept = FinalBuckets { start: 0, end: 120, datapoints: vec![vec![(0, 1.0), (60, 2.0)]] };
        assert_eq!(decode_final_buckets(&encode_final_buckets(&kept), 1), Some(kept.clone()));
        let outside = FinalBuckets { end: 60, ..kept };
        assert!(decode_final_buckets(&encode_final_buckets(&outside), 1).is_none(), "a point after the final buckets");

        let list = Arc::new(vec![query("app/edge-alb/50dc6c495c0c9188").dims]);
        assert_eq!(decode_list(&encode_list(&list)), Some(list));
        assert!(decode_list(br#"[{"LoadBalancer":"not an ALB"}]"#).is_none());

        let alarm = Alarm {
            name: "n".into(),
            threshold: 5.0,
            comparison: "GreaterThanThreshold".into(),
            state: AlarmState::Alarm,
        };
        let alarms = Arc::new(vec![vec![alarm], vec![]]);
        assert_eq!(decode_alarms(&encode_alarms(&alarms), 2), Some(alarms));

        let listener = ListenerConfig {
            port: 443,
            protocol: "HTTPS".into(),
            ssl_policy: Some("ELBSecurityPolicy-2016-08".into()),
            target_groups: vec!["targetgroup/blue/6d0ecf831eec9f09".into()],
        };
        let group = TargetGroupConfig {
            value: "targetgroup/blue/6d0ecf831eec9f09".into(),
            name: "blue".into(),
            protocol: "HTTPS".into(),
            protocol_version: Some("HTTP1".into()),
            port: Some(8443),
            health_check: HealthCheck { protocol: "HTTPS".into(), port: "traffic-port".into(), path: Some("/".into()) },
            targets: TargetHealth {
                total: 2,
                healthy: 1,
                unhealthy: 1,
                other: 0,
                reasons: [("Target.Timeout".into(), 1)].into(),
            },
            target_type: Some("ip".into()),
            registered: vec![RegisteredTarget {
                id: "10.0.1.5".into(),
                port: Some(8443),
                availability_zone: Some("us-east-1a".into()),
                health: "healthy".into(),
            }],
        };
        let config = LoadBalancerConfig {
            value: "app/edge-alb/50dc6c495c0c9188".into(),
            name: "edge-alb".into(),
            scheme: "internet-facing".into(),
            listeners: vec![listener],
            target_groups: vec![group],
        };
        let configs = Arc::new(vec![config]);
        assert_eq!(decode_load_balancers(&encode_load_balancers(&configs)), Some(configs));
    }
}
