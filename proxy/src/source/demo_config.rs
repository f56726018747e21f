//! The demo's load balancer configuration, matching its data: the failing
//! `checkout-tls` group sits behind an `ELBSecurityPolicy-2016-08` listener
//! and checks its targets over HTTP, `ledger-api` speaks plain HTTP,
//! `edge-alb` is a clean TLS 1.3 path, and one of `grpc-backend`'s targets
//! times out its health checks.
//!
//! Its HTTPS groups' targets are real servers on loopback, started when the
//! configuration is first read, so the probe handshakes with them: the
//! three of `checkout-tls` accept only TLS 1.3 (behind the 2016-08 policy,
//! every handshake fails), `grpc-backend`'s timing-out target never answers,
//! one of `admin-tls`'s answers plain HTTP on its HTTPS port, and the rest
//! speak TLS 1.2 and 1.3.

use std::collections::BTreeMap;

use async_trait::async_trait;
use tlswatch_shared::review::{
    HealthCheck, ListenerConfig, LoadBalancerConfig, SslPolicy, TargetGroupConfig, TargetHealth,
};
use tlswatch_shared::{LoadBalancer, TargetGroup};

use openssl::ssl::SslVersion;
use tlswatch_shared::review::RegisteredTarget;

use super::demo::{DemoSource, Place};
use super::demo_targets::{Behaviour, TargetServer};
use super::{LoadBalancerSource, Scope, SourceError};

/// Each HTTPS group's targets, by `TargetGroup` value: where they listen and
/// whether they pass health checks.
pub type DemoTargets = BTreeMap<&'static str, Vec<(TargetServer, bool)>>;

/// What the three targets of a demo HTTPS group do.
fn behaviours(target_group: &str) -> [Behaviour; 3] {
    let tls13_only = Behaviour::Tls(SslVersion::TLS1_3, SslVersion::TLS1_3);
    let modern = Behaviour::Tls(SslVersion::TLS1_2, SslVersion::TLS1_3);
    match target_group {
        "targetgroup/checkout-tls/4b1e8d2c9f0a7365" => [tls13_only; 3],
        "targetgroup/grpc-backend/2f8b6e1a4c9d0735" => [modern, modern, Behaviour::Silent],
        "targetgroup/admin-tls/e07d3b9a5c1f2864" => [modern, Behaviour::PlainHttp, modern],
        _ => [modern; 3],
    }
}

/// Starts every HTTPS group's targets on 127.0.0.1; one that cannot start
/// is left out, with a warning.
async fn start_targets() -> DemoTargets {
    let mut targets = DemoTargets::new();
    let every_group = Place::ALL.iter().flat_map(|place| place.topology().iter()).flat_map(|(_, groups)| groups.iter());
    for (tg, _) in every_group {
        if group_setup(tg).protocol != "HTTPS" {
            continue;
        }
        let name = TargetGroup::parse(tg).map(|g| g.name().to_string()).unwrap_or_default();
        for (index, behaviour) in behaviours(tg).into_iter().enumerate() {
            match TargetServer::start([127, 0, 0, 1], &format!("{name}-{index}.demo.internal"), behaviour).await {
                Ok(server) => targets.entry(*tg).or_default().push((server, behaviour != Behaviour::Silent)),
                Err(err) => tracing::warn!("demo target of {name} not started: {err}"),
            }
        }
    }
    targets
}

/// A demo target group's protocol, health check protocol and targets.
struct GroupSetup {
    protocol: &'static str,
    checks_with: &'static str,
    version: &'static str,
    targets: usize,
    timing_out: usize,
}

/// Each demo load balancer's HTTPS listener policy.
fn listener_policy(load_balancer: &str) -> &'static str {
    match load_balancer {
        "app/edge-alb/50dc6c495c0c9188" => "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "app/payments-alb/3e9c1f0a7b2d4c68" | "app/shop-alb/2d6f0b8e4a1c7359" => "ELBSecurityPolicy-2016-08",
        "app/eu-web-alb/7c1d9e3a5b2f4806" => "ELBSecurityPolicy-TLS13-1-2-2021-06",
        _ => "ELBSecurityPolicy-TLS-1-2-2017-01",
    }
}

fn group_setup(target_group: &str) -> GroupSetup {
    let https =
        |checks_with| GroupSetup { protocol: "HTTPS", checks_with, version: "HTTP1", targets: 3, timing_out: 0 };
    match target_group {
        "targetgroup/checkout-tls/4b1e8d2c9f0a7365" => https("HTTP"),
        "targetgroup/ledger-api/9c7a2e5f1d3b8046" | "targetgroup/shop-cache/1f3b5d7a9c0e2468" => {
            GroupSetup { protocol: "HTTP", ..https("HTTP") }
        }
        "targetgroup/shop-eu-web/6b8d0f2a4c6e1357" => https("HTTP"),
        "targetgroup/grpc-backend/2f8b6e1a4c9d0735" => GroupSetup { version: "GRPC", timing_out: 1, ..https("HTTPS") },
        _ => https("HTTPS"),
    }
}

#[async_trait]
impl LoadBalancerSource for DemoSource {
    async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Vec<LoadBalancerConfig>, SourceError> {
        let targets = self.targets.get_or_init(start_targets).await;
        Ok(Place::of(scope)
            .topology()
            .iter()
            .filter(|(lb, _)| wanted.iter().any(|w| w.as_str() == *lb))
            .filter_map(|(lb, groups)| {
                let value = LoadBalancer::parse(lb).ok()?;
                let group_values: Vec<String> = groups.iter().map(|(tg, _)| tg.to_string()).collect();
                Some(LoadBalancerConfig {
                    name: value.name().to_string(),
                    scheme: if value.name() == "internal-api" { "internal" } else { "internet-facing" }.to_string(),
                    listeners: vec![
                        ListenerConfig { port: 80, protocol: "HTTP".into(), ssl_policy: None, target_groups: vec![] },
                        ListenerConfig {
                            port: 443,
                            protocol: "HTTPS".into(),
                            ssl_policy: Some(listener_policy(lb).to_string()),
                            target_groups: group_values,
                        },
                    ],
                    target_groups: groups
                        .iter()
                        .filter_map(|(tg, _)| target_group(tg, targets.get(tg), scope))
                        .collect(),
                    value: lb.to_string(),
                })
            })
            .collect())
    }

    async fn fleet(&self, scope: &Scope) -> Result<Vec<LoadBalancerConfig>, SourceError> {
        let every: Vec<LoadBalancer> =
            Place::of(scope).topology().iter().filter_map(|(lb, _)| LoadBalancer::parse(lb).ok()).collect();
        self.load_balancers(scope, &every).await
    }

    async fn ssl_policies(&self, _: &Scope, names: &[String]) -> Result<BTreeMap<String, SslPolicy>, SourceError> {
        Ok(names.iter().filter_map(|name| Some((name.clone(), demo_policy(name)?))).collect())
    }
}

fn target_group(value: &str, servers: Option<&Vec<(TargetServer, bool)>>, scope: &Scope) -> Option<TargetGroupConfig> {
    let parsed = TargetGroup::parse(value).ok()?;
    let setup = group_setup(value);
    let mut reasons = BTreeMap::new();
    if setup.timing_out > 0 {
        reasons.insert("Target.Timeout".to_string(), setup.timing_out);
    }
    Some(TargetGroupConfig {
        value: value.to_string(),
        name: parsed.name().to_string(),
        protocol: setup.protocol.to_string(),
        protocol_version: Some(setup.version.to_string()),
        port: Some(if setup.protocol == "HTTPS" { 8443 } else { 8080 }),
        health_check: HealthCheck {
            protocol: setup.checks_with.to_string(),
            port: "traffic-port".to_string(),
            path: Some("/healthz".to_string()),
        },
        targets: TargetHealth {
            total: setup.targets,
            healthy: setup.targets - setup.timing_out,
            unhealthy: setup.timing_out,
            other: 0,
            reasons,
        },
        target_type: Some("ip".to_string()),
        registered: servers
            .into_iter()
            .flatten()
            .zip(['a', 'b', 'c'])
            .map(|((server, healthy), zone)| RegisteredTarget {
                id: server.address.ip().to_string(),
                port: Some(server.address.port()),
                availability_zone: Some(format!("{}{zone}", scope.region)),
                health: if *healthy { "healthy" } else { "unhealthy" }.to_string(),
            })
            .collect(),
    })
}

/// What the demo's policies offer: the protocols AWS documents for them,
/// and a few of their ciphers (the demo is for trying the page; the
/// CloudWatch source reads every cipher from DescribeSSLPolicies).
fn demo_policy(name: &str) -> Option<SslPolicy> {
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let tls12_ciphers = strings(&["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]);
    let tls13_ciphers = strings(&["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]);
    let with_tls13 = |protocols: &[&str]| SslPolicy {
        protocols: strings(protocols),
        ciphers: tls13_ciphers.iter().chain(&tls12_ciphers).cloned().collect(),
    };
    Some(match name {
        "ELBSecurityPolicy-2016-08" => {
            SslPolicy { protocols: strings(&["TLSv1", "TLSv1.1", "TLSv1.2"]), ciphers: tls12_ciphers }
        }
        "ELBSecurityPolicy-TLS-1-2-2017-01" => SslPolicy { protocols: strings(&["TLSv1.2"]), ciphers: tls12_ciphers },
        "ELBSecurityPolicy-TLS13-1-2-2021-06" => with_tls13(&["TLSv1.2", "TLSv1.3"]),
        "ELBSecurityPolicy-TLS13-1-0-2021-06" => with_tls13(&["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        _ => return None,
    })
}
