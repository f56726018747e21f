//! Load balancer configuration from the Elastic Load Balancing API (v2),
//! for the review: listeners and their policies, rules, target groups,
//! target health, and what the policies offer. Read with the proxy's own
//! credentials, like CloudWatch.

use std::collections::BTreeMap;
use std::num::NonZeroU32;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{self as elb, LoadBalancerTypeEnum, TargetHealthStateEnum};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use governor::{DefaultKeyedRateLimiter, Quota};
use tlswatch_shared::LoadBalancer;
use tlswatch_shared::review::{
    HealthCheck, ListenerConfig, LoadBalancerConfig, RegisteredTarget, SslPolicy, TargetGroupConfig, TargetHealth,
};

use super::aws::{AccountSdkConfigs, PerScope, classify};
use super::{LoadBalancerSource, Scope, Service, SourceError};

/// Every Elastic Load Balancing operation the review calls (each needs its
/// `elasticloadbalancing:` permission).
pub const OPERATIONS: [&str; 6] = [
    "DescribeLoadBalancers",
    "DescribeListeners",
    "DescribeRules",
    "DescribeTargetGroups",
    "DescribeTargetHealth",
    "DescribeSSLPolicies",
];

/// The service every call of this source goes to, named in its errors.
const SERVICE: Service = Service::ElasticLoadBalancing;

/// DescribeLoadBalancers takes at most this many names per call.
const NAMES_PER_CALL: usize = 20;
/// Load balancers, and target groups of one, read at once: a fleet's review
/// takes a fraction of the time without a burst that ELBv2 would throttle.
const CONCURRENCY: usize = 4;

/// ELBv2 clients, one per account and region, behind one limiter.
pub struct ElbSource {
    clients: PerScope<Client>,
    /// Describe calls per account and region: ELBv2 throttles each account
    /// and region as one bucket, shared with the team's own tooling.
    limiter: DefaultKeyedRateLimiter<Scope>,
}

impl ElbSource {
    /// A client for each account and region, from the configuration the
    /// CloudWatch clients use (credentials, endpoint, timeouts and retries),
    /// making at most `per_second` calls a second in each (and bursts of as many).
    pub(crate) fn new(configs: &AccountSdkConfigs, per_second: NonZeroU32) -> Self {
        let clients = PerScope::build(configs, |config, region| {
            Client::from_conf(aws_sdk_elasticloadbalancingv2::config::Builder::from(config).region(region).build())
        });
        Self { clients, limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(per_second)) }
    }

    /// The client of `scope`, paced by its limiter.
    fn paced<'a>(&'a self, scope: &'a Scope) -> Result<Paced<'a>, SourceError> {
        Ok(Paced { client: self.clients.get(scope)?, limiter: &self.limiter, scope })
    }
}

/// A scope's client that waits its turn before each call.
struct Paced<'a> {
    client: &'a Client,
    limiter: &'a DefaultKeyedRateLimiter<Scope>,
    scope: &'a Scope,
}

impl Paced<'_> {
    /// Waits until the scope may make another call.
    async fn turn(&self) -> &Client {
        self.limiter.until_key_ready(self.scope).await;
        self.client
    }
}

/// Whether a page's marker asks for another page.
fn more(marker: Option<&str>) -> bool {
    marker.is_some_and(|marker| !marker.is_empty())
}

#[async_trait]
impl LoadBalancerSource for ElbSource {
    async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Vec<LoadBalancerConfig>, SourceError> {
        let paced = &self.paced(scope)?;
        let mut found = Vec::new();
        for batch in wanted.chunks(NAMES_PER_CALL) {
            let names: Vec<String> = batch.iter().map(|lb| lb.name().to_string()).collect();
            match described(paced, names.clone()).await? {
                Some(batch) => found.extend(batch),
                // One missing name fails the whole call: ask for each, so
                // the others are reviewed and the missing one warned of.
                None => {
                    for name in names {
                        found.extend(described(paced, vec![name]).await?.unwrap_or_default());
                    }
                }
            }
        }
        // Names are unique per region and account, but keep only what was wanted.
        let found = found.into_iter().filter(|described| {
            let value = described.load_balancer_arn().map(load_balancer_value);
            wanted.iter().any(|lb| Some(lb.as_str()) == value)
        });
        let configs = stream::iter(found).map(|described| async move {
            let arn = described.load_balancer_arn().unwrap_or_default();
            let groups = described_groups(paced, Some(arn)).await?;
            config_of(paced, &described, groups).await
        });
        sorted(configs.buffered(CONCURRENCY).try_collect().await?)
    }

    /// Every load balancer in one paged DescribeLoadBalancers, every target
    /// group in one paged DescribeTargetGroups (each names the load
    /// balancers it serves), then each load balancer's listeners and rules
    /// and each group's health.
    async fn fleet(&self, scope: &Scope) -> Result<Vec<LoadBalancerConfig>, SourceError> {
        let paced = &self.paced(scope)?;
        let mut balancers = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = paced.turn().await.describe_load_balancers().set_marker(marker.take()).send().await;
            let page = page.map_err(|err| classify(SERVICE, "DescribeLoadBalancers", err))?;
            let applications =
                page.load_balancers().iter().filter(|lb| lb.r#type() == Some(&LoadBalancerTypeEnum::Application));
            balancers.extend(applications.cloned());
            if !more(page.next_marker()) {
                break;
            }
            marker = page.next_marker().map(str::to_string);
        }
        let mut groups_of: BTreeMap<String, Vec<elb::TargetGroup>> = BTreeMap::new();
        for group in described_groups(paced, None).await? {
            let mut served: Vec<&String> = group.load_balancer_arns().iter().collect();
            // A group a load balancer reaches from two listeners may name it twice.
            served.sort();
            served.dedup();
            for arn in served {
                groups_of.entry(arn.clone()).or_default().push(group.clone());
            }
        }
        let configs = stream::iter(balancers).map(|described| {
            let groups = described.load_balancer_arn().and_then(|arn| groups_of.get(arn)).cloned().unwrap_or_default();
            async move { config_of(paced, &described, groups).await }
        });
        sorted(configs.buffered(CONCURRENCY).try_collect().await?)
    }

    async fn ssl_policies(&self, scope: &Scope, names: &[String]) -> Result<BTreeMap<String, SslPolicy>, SourceError> {
        if names.is_empty() {
            return Ok(BTreeMap::new());
        }
        let output = self
            .paced(scope)?
            .turn()
            .await
            .describe_ssl_policies()
            .set_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|err| classify(SERVICE, "DescribeSSLPolicies", err))?;
        Ok(output
            .ssl_policies()
            .iter()
            .filter_map(|policy| {
                let mut ciphers: Vec<(i32, String)> = policy
                    .ciphers()
                    .iter()
                    .filter_map(|c| Some((c.priority().unwrap_or(i32::MAX), c.name()?.to_string())))
                    .collect();
                ciphers.sort();
                let described = SslPolicy {
                    protocols: policy.ssl_protocols().to_vec(),
                    ciphers: ciphers.into_iter().map(|(_, name)| name).collect(),
                };
                Some((policy.name()?.to_string(), described))
            })
            .collect())
    }
}

/// The load balancers named `names`, or `None` when one of them does not
/// exist (Elastic Load Balancing then answers LoadBalancerNotFound).
async fn described(paced: &Paced<'_>, names: Vec<String>) -> Result<Option<Vec<elb::LoadBalancer>>, SourceError> {
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let call =
            paced.turn().await.describe_load_balancers().set_names(Some(names.clone())).set_marker(marker.take());
        match call.send().await {
            Ok(page) => {
                found.extend(page.load_balancers().iter().cloned());
                if !more(page.next_marker()) {
                    return Ok(Some(found));
                }
                marker = page.next_marker().map(str::to_string);
            }
            Err(err) if err.as_service_error().is_some_and(|e| e.is_load_balancer_not_found_exception()) => {
                return Ok(None);
            }
            Err(err) => return Err(classify(SERVICE, "DescribeLoadBalancers", err)),
        }
    }
}

/// The listeners of a load balancer with the target groups each forwards
/// to, through its default actions and its rules.
async fn listeners(paced: &Paced<'_>, load_balancer_arn: &str) -> Result<Vec<ListenerConfig>, SourceError> {
    let mut described = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let call =
            paced.turn().await.describe_listeners().load_balancer_arn(load_balancer_arn).set_marker(marker.take());
        let page = call.send().await.map_err(|err| classify(SERVICE, "DescribeListeners", err))?;
        described.extend(page.listeners().iter().cloned());
        if !more(page.next_marker()) {
            break;
        }
        marker = page.next_marker().map(str::to_string);
    }
    let mut listeners = Vec::new();
    for listener in described {
        let mut forwards: Vec<String> = listener.default_actions().iter().flat_map(forwarded_groups).collect();
        if let Some(arn) = listener.listener_arn() {
            forwards.extend(rule_groups(paced, arn).await?);
        }
        forwards.sort();
        forwards.dedup();
        listeners.push(ListenerConfig {
            port: listener.port().and_then(|p| u16::try_from(p).ok()).unwrap_or_default(),
            protocol: listener.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
            ssl_policy: listener.ssl_policy().map(str::to_string),
            target_groups: forwards,
        });
    }
    listeners.sort_by_key(|listener| listener.port);
    Ok(listeners)
}

/// The target groups the rules of a listener forward to.
async fn rule_groups(paced: &Paced<'_>, listener_arn: &str) -> Result<Vec<String>, SourceError> {
    let mut groups = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = paced
            .turn()
            .await
            .describe_rules()
            .listener_arn(listener_arn)
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|err| classify(SERVICE, "DescribeRules", err))?;
        groups.extend(page.rules().iter().flat_map(|rule| rule.actions().iter().flat_map(forwarded_groups)));
        match page.next_marker() {
            Some(next) if !next.is_empty() => marker = Some(next.to_string()),
            _ => return Ok(groups),
        }
    }
}

/// The target groups an action forwards to, as dimension values.
fn forwarded_groups(action: &elb::Action) -> Vec<String> {
    let single = action.target_group_arn().map(target_group_value);
    let weighted = action
        .forward_config()
        .map(|forward| forward.target_groups().iter().filter_map(|t| t.target_group_arn()).map(target_group_value))
        .into_iter()
        .flatten();
    single.into_iter().chain(weighted).map(str::to_string).collect()
}

fn sorted(mut configs: Vec<LoadBalancerConfig>) -> Result<Vec<LoadBalancerConfig>, SourceError> {
    configs.sort_by(|a, b| a.value.cmp(&b.value));
    Ok(configs)
}

/// A described load balancer's configuration, with its target groups `groups`.
async fn config_of(
    paced: &Paced<'_>,
    described: &elb::LoadBalancer,
    groups: Vec<elb::TargetGroup>,
) -> Result<LoadBalancerConfig, SourceError> {
    let arn = described.load_balancer_arn().unwrap_or_default();
    Ok(LoadBalancerConfig {
        value: load_balancer_value(arn).to_string(),
        name: described.load_balancer_name().unwrap_or_default().to_string(),
        scheme: described.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
        listeners: listeners(paced, arn).await?,
        target_groups: target_groups(paced, groups).await?,
    })
}

/// The target groups of the load balancer `load_balancer_arn`, or of the
/// whole scope.
async fn described_groups(
    paced: &Paced<'_>,
    load_balancer_arn: Option<&str>,
) -> Result<Vec<elb::TargetGroup>, SourceError> {
    let mut described = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let call = paced
            .turn()
            .await
            .describe_target_groups()
            .set_load_balancer_arn(load_balancer_arn.map(str::to_string))
            .set_marker(marker.take());
        let page = call.send().await.map_err(|err| classify(SERVICE, "DescribeTargetGroups", err))?;
        described.extend(page.target_groups().iter().cloned());
        if !more(page.next_marker()) {
            return Ok(described);
        }
        marker = page.next_marker().map(str::to_string);
    }
}

/// Described target groups, with their targets' health.
async fn target_groups(
    paced: &Paced<'_>,
    described: Vec<elb::TargetGroup>,
) -> Result<Vec<TargetGroupConfig>, SourceError> {
    let mut groups: Vec<TargetGroupConfig> = stream::iter(described)
        .map(|group| async move {
            let (targets, registered) = match group.target_group_arn() {
                Some(arn) => target_health(paced, arn).await?,
                None => (TargetHealth::default(), Vec::new()),
            };
            Ok::<_, SourceError>(TargetGroupConfig {
                value: group.target_group_arn().map(target_group_value).unwrap_or_default().to_string(),
                name: group.target_group_name().unwrap_or_default().to_string(),
                protocol: group.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
                protocol_version: group.protocol_version().map(str::to_string),
                port: group.port().and_then(|p| u16::try_from(p).ok()),
                health_check: HealthCheck {
                    protocol: group.health_check_protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
                    port: group.health_check_port().unwrap_or("traffic-port").to_string(),
                    path: group.health_check_path().map(str::to_string),
                },
                targets,
                target_type: group.target_type().map(|t| t.as_str().to_string()),
                registered,
            })
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    groups.sort_by(|a, b| a.value.cmp(&b.value));
    Ok(groups)
}

/// How many of a group's targets are healthy, unhealthy or neither, and
/// why; and every registered target, for the probe.
async fn target_health(
    paced: &Paced<'_>,
    target_group_arn: &str,
) -> Result<(TargetHealth, Vec<RegisteredTarget>), SourceError> {
    let output = paced
        .turn()
        .await
        .describe_target_health()
        .target_group_arn(target_group_arn)
        .send()
        .await
        .map_err(|err| classify(SERVICE, "DescribeTargetHealth", err))?;
    let mut health = TargetHealth::default();
    let mut registered = Vec::new();
    for description in output.target_health_descriptions() {
        let Some(target) = description.target_health() else { continue };
        if let Some(described) = description.target() {
            registered.push(RegisteredTarget {
                id: described.id().unwrap_or_default().to_string(),
                port: described.port().and_then(|p| u16::try_from(p).ok()),
                availability_zone: described.availability_zone().map(str::to_string),
                health: target.state().map_or("unknown", |s| s.as_str()).to_string(),
            });
        }
        health.total += 1;
        match target.state() {
            Some(TargetHealthStateEnum::Healthy) => health.healthy += 1,
            Some(TargetHealthStateEnum::Unhealthy) => {
                health.unhealthy += 1;
                let reason = target.reason().map_or("unknown", |r| r.as_str()).to_string();
                *health.reasons.entry(reason).or_default() += 1;
            }
            _ => health.other += 1,
        }
    }
    registered.sort_by(|a, b| (&a.id, a.port).cmp(&(&b.id, b.port)));
    Ok((health, registered))
}

/// `app/<name>/<id>` from a load balancer's ARN.
fn load_balancer_value(arn: &str) -> &str {
    arn.split_once(":loadbalancer/").map_or(arn, |(_, value)| value)
}

/// `targetgroup/<name>/<id>` from a target group's ARN.
fn target_group_value(arn: &str) -> &str {
    arn.rsplit_once(':').map_or(arn, |(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_values_are_the_arn_suffixes() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/edge-alb/50dc6c495c0c9188";
        assert_eq!(load_balancer_value(lb), "app/edge-alb/50dc6c495c0c9188");
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/73e2d6bc24d8a067";
        assert_eq!(target_group_value(tg), "targetgroup/api/73e2d6bc24d8a067");
    }
}
