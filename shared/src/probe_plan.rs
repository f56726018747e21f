//! Which registered targets the probe handshakes with, offering what: the
//! one rule that keeps tlswatch's connections to addresses that Elastic
//! Load Balancing reports as registered targets and that the allow-list
//! (`--probe-targets`) admits, at most [`MAX_TARGETS_PER_PROBE`] a request.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use crate::probe::{Handshake, MAX_TARGETS_PER_PROBE, ProbeTarget, TargetGroupProbe, TargetProbe};
use crate::review::{LoadBalancerConfig, LoadBalancerReview, RegisteredTarget};
use crate::tls::SslPolicy;

/// A target group as it will be probed: its rows (a target left alone
/// already says why, in a `not-probed` handshake) and, beside each row,
/// the handshake to make, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedGroup {
    pub group: TargetGroupProbe,
    pub probes: Vec<Option<ProbeTarget>>,
}

/// Which targets of `reviewed` (with the registered targets of `config`)
/// to handshake with, each HTTPS group once per backend policy: `ip`
/// targets `allowed` (the allow-list), while `budget` (the per-request cap)
/// lasts. Never names an address that Elastic Load Balancing did not
/// report as registered.
pub fn plan(
    config: &LoadBalancerConfig,
    reviewed: &LoadBalancerReview,
    policies: &BTreeMap<String, SslPolicy>,
    allowed: &dyn Fn(IpAddr) -> bool,
    budget: &mut usize,
) -> Vec<PlannedGroup> {
    let mut planned: Vec<PlannedGroup> = Vec::new();
    for group in reviewed.target_groups.iter().filter(|g| g.protocol == "HTTPS") {
        let Some(registered) = config.target_groups.iter().find(|g| g.value == group.value) else { continue };
        for listener in &reviewed.listeners {
            let (Some(listener_policy), Some(backend)) = (&listener.ssl_policy, &listener.backend_policy) else {
                continue;
            };
            let already = planned.iter().any(|p| p.group.value == group.value && &p.group.backend_policy == backend);
            if !listener.target_groups.contains(&group.value) || already {
                continue;
            }
            let offer = policies.get(backend).cloned().unwrap_or_default();
            let alpn_h2 = matches!(group.protocol_version.as_deref(), Some("HTTP2" | "GRPC"));
            let mut rows = Vec::new();
            let mut probes = Vec::new();
            for target in &registered.registered {
                let port = target.port.or(group.port).unwrap_or(443);
                let address = target.id.parse::<IpAddr>().ok().map(|ip| ip.to_string());
                let planned = plan_target(target, registered.target_type.as_deref(), port, allowed, budget);
                let handshake = match &planned {
                    Ok(_) => Handshake::not_probed("pending"),
                    Err(why) => Handshake::not_probed(why.clone()),
                };
                probes.push(planned.ok().map(|ip| ProbeTarget {
                    address: SocketAddr::new(ip, port),
                    offer: offer.clone(),
                    alpn_h2,
                }));
                rows.push(TargetProbe {
                    id: target.id.clone(),
                    address,
                    port,
                    availability_zone: target.availability_zone.clone(),
                    health: target.health.clone(),
                    handshake,
                    explanation: String::new(),
                    probed_at: None,
                });
            }
            let group = TargetGroupProbe {
                value: group.value.clone(),
                name: group.name.clone(),
                protocol_version: group.protocol_version.clone(),
                listener_policy: listener_policy.clone(),
                backend_policy: backend.clone(),
                offered: offer,
                targets: rows,
            };
            planned.push(PlannedGroup { group, probes });
        }
    }
    planned
}

/// The address to probe one registered target at, or why it is left alone.
fn plan_target(
    target: &RegisteredTarget,
    target_type: Option<&str>,
    port: u16,
    allowed: &dyn Fn(IpAddr) -> bool,
    budget: &mut usize,
) -> Result<IpAddr, String> {
    let address = match target_type {
        Some("instance") => {
            return Err(
                "an instance target: tlswatch does not read EC2 for instances' private addresses, so it probes ip \
                 targets only (register the instance's address in an ip target group to probe it)"
                    .to_string(),
            );
        }
        Some("lambda") | Some("alb") => {
            return Err(format!("a {} target does not speak TLS", target_type.unwrap_or("")));
        }
        _ => target.id.parse::<IpAddr>().map_err(|_| format!("{} is not an IP address", target.id))?,
    };
    if !allowed(address) {
        return Err(format!(
            "{address}:{port} is outside the allow-list (--probe-targets): tlswatch connects to no other address"
        ));
    }
    if *budget == 0 {
        return Err(format!("over the cap of {MAX_TARGETS_PER_PROBE} targets per probe; narrow the view (lb=, tg=)"));
    }
    *budget -= 1;
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_outside_the_allow_list_or_over_the_cap_is_left_alone() {
        let ip = |id: &str| RegisteredTarget { id: id.to_string(), ..RegisteredTarget::default() };
        let loopback = |address: IpAddr| address.is_loopback();
        let mut budget = 1;
        assert_eq!(plan_target(&ip("127.0.0.1"), Some("ip"), 443, &loopback, &mut budget), Ok([127, 0, 0, 1].into()));
        let over = plan_target(&ip("127.0.0.2"), Some("ip"), 443, &loopback, &mut budget).unwrap_err();
        assert!(over.contains("cap of 200"), "{over}");
        let mut budget = 5;
        let outside = plan_target(&ip("10.20.0.10"), Some("ip"), 8443, &loopback, &mut budget).unwrap_err();
        assert!(outside.contains("10.20.0.10:8443 is outside the allow-list"), "{outside}");
        assert_eq!(budget, 5, "a target left alone costs nothing");
        let instance = plan_target(&ip("i-0123456789abcdef0"), Some("instance"), 443, &|_| true, &mut budget);
        assert!(instance.unwrap_err().contains("instance target"));
        assert!(plan_target(&ip("not-an-ip"), Some("ip"), 443, &|_| true, &mut budget).is_err());
    }
}
