//! Why handshakes to targets fail: a load balancer's TLS path from its
//! listeners to its target groups, reviewed beside the errors, as findings
//! that rest on AWS's documentation. Pure: sources read the configuration,
//! this module judges it.
//!
//! What the findings rely on (AWS, "Security policies for your Application
//! Load Balancer", [`SECURITY_POLICIES_DOC`]):
//! - the policy toward targets cannot be chosen: it follows the listener's
//!   (see [`backend_policy`]);
//! - the load balancer does not validate target certificates, so an expired
//!   or self-signed certificate never fails a handshake: no finding names
//!   certificate validity as a cause of `TargetTLSNegotiationErrorCount`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ViewError;
use crate::tls::is_legacy;

pub mod grouped;
pub mod probed;

pub use crate::tls::SslPolicy;

/// AWS's page on ALB security policies, front end and back end.
pub const SECURITY_POLICIES_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html";
/// AWS's page on target groups and their protocols.
pub const TARGET_GROUPS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html";
/// AWS's page on health checks and their reason codes.
pub const HEALTH_CHECKS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html";
/// AWS's page on the load balancer's CloudWatch metrics.
pub const METRICS_DOC: &str =
    "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html";

/// The backend policy behind a listener with a TLS 1.3 policy.
pub const TLS13_BACKEND_POLICY: &str = "ELBSecurityPolicy-TLS13-1-0-2021-06";
/// The backend policy behind a listener with a FIPS policy.
pub const FIPS_BACKEND_POLICY: &str = "ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04";
/// The backend policy behind every other HTTPS listener (TLS 1.0 to 1.2).
pub const DEFAULT_BACKEND_POLICY: &str = "ELBSecurityPolicy-2016-08";
/// Listener policies the page offers for a what-if probe ("Probe as if the
/// listener used ..."); the API takes any that DescribeSSLPolicies lists.
pub const WHAT_IF_POLICIES: [&str; 5] = [
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-2016-08",
];
/// A listener policy to suggest for giving targets TLS 1.3.
pub const SUGGESTED_TLS13_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06";

/// The policy the load balancer uses toward targets behind an HTTPS
/// listener whose policy is `listener_policy`, offering
/// `listener_protocols` (as DescribeSSLPolicies names them, `TLSv1.3`).
///
/// AWS ([`SECURITY_POLICIES_DOC`]): "You can choose the security policy
/// that is used for front-end connections, but not backend connections":
/// behind a FIPS policy, [`FIPS_BACKEND_POLICY`]; behind a TLS 1.3 policy,
/// [`TLS13_BACKEND_POLICY`]; otherwise [`DEFAULT_BACKEND_POLICY`]. The
/// post-quantum policies (`-PQ-` in their names) are TLS 1.3 policies, FIPS
/// where their name says so, and follow the same rule: AWS's page lists no
/// backend policy of their own.
pub fn backend_policy(listener_policy: &str, listener_protocols: &[String]) -> &'static str {
    let offers_tls13 = listener_protocols.iter().any(|p| p == "TLSv1.3") || listener_policy.contains("TLS13");
    if listener_policy.contains("FIPS") {
        FIPS_BACKEND_POLICY
    } else if offers_tls13 {
        TLS13_BACKEND_POLICY
    } else {
        DEFAULT_BACKEND_POLICY
    }
}

/// A load balancer's configuration, as a source reads it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoadBalancerConfig {
    /// The `LoadBalancer` dimension value, `app/<name>/<id>`.
    pub value: String,
    pub name: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    pub listeners: Vec<ListenerConfig>,
    pub target_groups: Vec<TargetGroupConfig>,
}

/// A listener as a source reads it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ListenerConfig {
    pub port: u16,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    pub ssl_policy: Option<String>,
    /// `TargetGroup` dimension values it forwards to (default action and rules).
    pub target_groups: Vec<String>,
}

/// A target group as a source reads it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TargetGroupConfig {
    /// The `TargetGroup` dimension value, `targetgroup/<name>/<id>`.
    pub value: String,
    pub name: String,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// `HTTP1`, `HTTP2` or `GRPC`.
    pub protocol_version: Option<String>,
    pub port: Option<u16>,
    pub health_check: HealthCheck,
    pub targets: TargetHealth,
    /// `ip`, `instance`, `lambda` or `alb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// Every registered target, for the probe.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registered: Vec<RegisteredTarget>,
}

/// A registered target as DescribeTargetHealth describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegisteredTarget {
    /// An IP address for `ip` targets, an instance ID for `instance` ones.
    pub id: String,
    /// Its own port, when it was registered with one.
    pub port: Option<u16>,
    pub availability_zone: Option<String>,
    /// `healthy`, `unhealthy`, `initial`, `draining`, `unused`, `unavailable`.
    pub health: String,
}

/// How a target group checks its targets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HealthCheck {
    pub protocol: String,
    /// A port number, or `traffic-port`.
    pub port: String,
    pub path: Option<String>,
}

/// The health of a target group's registered targets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TargetHealth {
    pub total: usize,
    pub healthy: usize,
    pub unhealthy: usize,
    /// Initial, draining, unused, unavailable.
    pub other: usize,
    /// Targets per AWS reason code (`Target.Timeout`, `Target.FailedHealthChecks`, ...).
    pub reasons: BTreeMap<String, usize>,
}

/// The errors of a target group over the view's range.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorsInRange {
    pub total: f64,
    /// Start of the last bucket with errors, epoch seconds.
    pub last_error: Option<i64>,
    /// When failing began, if it did (see [`crate::annotate::onset`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onset: Option<i64>,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }
}

impl Severity {
    /// Reads `severity=`.
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        [Self::High, Self::Medium, Self::Low, Self::Info]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| ViewError::invalid("severity", text, "high, medium, low or info"))
    }
}

/// A finding's code: a contract (docs/api.md), so scripts can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    PlaintextTargets,
    HealthCheckSkipsTls,
    BackendWithoutTls13,
    LegacyClientTls,
    TlsErrors,
    UnhealthyTargets,
    TargetRejectsBackendTls,
    TargetAcceptsLegacyTls,
    TargetCertificate,
    ChangedBeforeOnset,
}

impl FindingCode {
    /// Every code, in the order findings of one severity are sorted.
    pub const ALL: [Self; 10] = [
        Self::PlaintextTargets,
        Self::HealthCheckSkipsTls,
        Self::BackendWithoutTls13,
        Self::LegacyClientTls,
        Self::TlsErrors,
        Self::UnhealthyTargets,
        Self::TargetRejectsBackendTls,
        Self::TargetAcceptsLegacyTls,
        Self::TargetCertificate,
        Self::ChangedBeforeOnset,
    ];

    /// Reads `finding=`.
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        Self::ALL.into_iter().find(|code| code.as_str() == text).ok_or_else(|| {
            let accepted: Vec<&str> = Self::ALL.iter().map(|code| code.as_str()).collect();
            ViewError::invalid("finding", text, &accepted.join(", "))
        })
    }

    /// The code as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PlaintextTargets => "plaintext-targets",
            Self::HealthCheckSkipsTls => "health-check-skips-tls",
            Self::BackendWithoutTls13 => "backend-without-tls13",
            Self::LegacyClientTls => "legacy-client-tls",
            Self::TlsErrors => "tls-errors",
            Self::UnhealthyTargets => "unhealthy-targets",
            Self::TargetRejectsBackendTls => "target-rejects-backend-tls",
            Self::TargetAcceptsLegacyTls => "target-accepts-legacy-tls",
            Self::TargetCertificate => "target-certificate",
            Self::ChangedBeforeOnset => "changed-before-onset",
        }
    }
}

/// The findings a fleet view asks for (`finding=`, `severity=`): those of
/// one of `codes` (any, when none is named) at least as severe as `severity`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FindingFilter {
    /// `finding`, repeatable.
    pub codes: Vec<FindingCode>,
    /// `severity`: this or more severe.
    pub severity: Option<Severity>,
}

impl FindingFilter {
    /// Whether anything was asked for (without a filter, everything is kept).
    pub fn is_set(&self) -> bool {
        !self.codes.is_empty() || self.severity.is_some()
    }

    /// Whether `finding` is one the filter asks for.
    pub fn admits(&self, finding: &Finding) -> bool {
        (self.codes.is_empty() || self.codes.contains(&finding.code))
            && self.severity.is_none_or(|at_least| finding.severity <= at_least)
    }
}

/// One thing the review found, with the page of AWS's documentation the
/// claim rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub code: FindingCode,
    pub severity: Severity,
    /// The `LoadBalancer` dimension value.
    pub load_balancer: String,
    /// The `TargetGroup` dimension value, for findings about a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_port: Option<u16>,
    pub text: String,
    pub doc: String,
}

/// A listener as reviewed: its policies and what they offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListenerReview {
    pub port: u16,
    pub protocol: String,
    pub ssl_policy: Option<String>,
    /// What the listener offers clients.
    pub tls_versions: Vec<String>,
    /// The policy toward targets, for HTTPS listeners.
    pub backend_policy: Option<String>,
    pub backend_tls_versions: Vec<String>,
    pub backend_ciphers: Vec<String>,
    pub target_groups: Vec<String>,
}

/// A target group as reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroupReview {
    pub value: String,
    pub name: String,
    pub protocol: String,
    pub protocol_version: Option<String>,
    pub port: Option<u16>,
    pub health_check: HealthCheck,
    pub targets: TargetHealth,
    /// The backend policies of the listeners that reach it.
    pub backend_policies: Vec<String>,
    pub errors: ErrorsInRange,
}

/// A load balancer as reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadBalancerReview {
    pub value: String,
    pub name: String,
    pub scheme: String,
    pub listeners: Vec<ListenerReview>,
    pub target_groups: Vec<TargetGroupReview>,
    /// Most severe first.
    pub findings: Vec<Finding>,
}

/// Reviews `config` with the policies DescribeSSLPolicies described
/// (`policies`, by name) and the errors of its target groups over the
/// range (by `TargetGroup` value; none listed means none).
pub fn review(
    config: &LoadBalancerConfig,
    policies: &BTreeMap<String, SslPolicy>,
    errors: &BTreeMap<String, ErrorsInRange>,
) -> LoadBalancerReview {
    let described = |name: &str| policies.get(name).cloned().unwrap_or_default();
    let listeners: Vec<ListenerReview> = config
        .listeners
        .iter()
        .map(|listener| {
            // Only an HTTPS listener has a policy (some APIs report one on HTTP listeners too).
            let ssl_policy = listener.ssl_policy.clone().filter(|_| listener.protocol == "HTTPS");
            let front = ssl_policy.as_deref().map(described).unwrap_or_default();
            let backend = ssl_policy.as_deref().map(|name| backend_policy(name, &front.protocols));
            let back = backend.map(described).unwrap_or_default();
            ListenerReview {
                port: listener.port,
                protocol: listener.protocol.clone(),
                ssl_policy,
                tls_versions: front.protocols,
                backend_policy: backend.map(str::to_string),
                backend_tls_versions: back.protocols,
                backend_ciphers: back.ciphers,
                target_groups: listener.target_groups.clone(),
            }
        })
        .collect();
    let target_groups: Vec<TargetGroupReview> = config
        .target_groups
        .iter()
        .map(|group| {
            // The load balancer speaks TLS only to HTTPS groups.
            let mut backend_policies: Vec<String> = listeners
                .iter()
                .filter(|_| group.protocol == "HTTPS")
                .filter(|listener| listener.target_groups.contains(&group.value))
                .filter_map(|listener| listener.backend_policy.clone())
                .collect();
            backend_policies.sort();
            backend_policies.dedup();
            TargetGroupReview {
                value: group.value.clone(),
                name: group.name.clone(),
                protocol: group.protocol.clone(),
                protocol_version: group.protocol_version.clone(),
                port: group.port,
                health_check: group.health_check.clone(),
                targets: group.targets.clone(),
                backend_policies,
                errors: errors.get(&group.value).copied().unwrap_or_default(),
            }
        })
        .collect();
    let mut reviewed = LoadBalancerReview {
        value: config.value.clone(),
        name: config.name.clone(),
        scheme: config.scheme.clone(),
        listeners,
        target_groups,
        findings: Vec::new(),
    };
    reviewed.findings = findings(&reviewed, policies);
    reviewed
}

/// The findings of a reviewed load balancer, most severe first.
pub fn findings(lb: &LoadBalancerReview, policies: &BTreeMap<String, SslPolicy>) -> Vec<Finding> {
    let mut found = Vec::new();
    for listener in &lb.listeners {
        let legacy: Vec<&str> = listener.tls_versions.iter().map(String::as_str).filter(|v| is_legacy(v)).collect();
        if !legacy.is_empty() {
            found.push(Finding {
                code: FindingCode::LegacyClientTls,
                severity: Severity::Medium,
                load_balancer: lb.value.clone(),
                target_group: None,
                listener_port: Some(listener.port),
                text: format!(
                    "the listener on port {} ({}) accepts {} from clients, versions with known weaknesses; a \
                     policy such as {SUGGESTED_TLS13_POLICY} accepts TLS 1.2 and 1.3 only",
                    listener.port,
                    listener.ssl_policy.as_deref().unwrap_or("no policy"),
                    legacy.join(" and ")
                ),
                doc: SECURITY_POLICIES_DOC.to_string(),
            });
        }
    }
    for group in &lb.target_groups {
        found.extend(group_findings(lb, group, policies));
    }
    found.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.code.cmp(&b.code)));
    found
}

fn group_findings(
    lb: &LoadBalancerReview,
    group: &TargetGroupReview,
    policies: &BTreeMap<String, SslPolicy>,
) -> Vec<Finding> {
    let finding = |code, severity, text: String, doc: &str| Finding {
        code,
        severity,
        load_balancer: lb.value.clone(),
        target_group: Some(group.value.clone()),
        listener_port: None,
        text,
        doc: doc.to_string(),
    };
    let failing = group.errors.total > 0.0;
    let https = group.protocol == "HTTPS";
    let checks_plain = https && group.health_check.protocol == "HTTP";
    let mut found = Vec::new();
    if group.protocol == "HTTP" {
        found.push(finding(
            FindingCode::PlaintextTargets,
            Severity::Medium,
            format!(
                "target group {} uses HTTP: traffic between the load balancer and its targets is not encrypted",
                group.name
            ),
            TARGET_GROUPS_DOC,
        ));
    }
    if checks_plain {
        found.push(finding(
            FindingCode::HealthCheckSkipsTls,
            if failing { Severity::High } else { Severity::Medium },
            format!(
                "target group {} speaks HTTPS but checks its targets over HTTP: targets look healthy while TLS to \
                 them fails; check with HTTPS",
                group.name
            ),
            HEALTH_CHECKS_DOC,
        ));
    }
    let offers_tls13 = |name: &String| policies.get(name).is_some_and(|p| p.protocols.iter().any(|v| v == "TLSv1.3"));
    if https && !group.backend_policies.is_empty() && !group.backend_policies.iter().any(offers_tls13) {
        found.push(finding(
            FindingCode::BackendWithoutTls13,
            if failing { Severity::High } else { Severity::Info },
            format!(
                "target group {} is reached only with {}, which offers targets no TLS 1.3: a target that accepts \
                 only TLS 1.3 fails every handshake. A TLS 1.3 policy on the listener (for example \
                 {SUGGESTED_TLS13_POLICY}) makes the load balancer use {TLS13_BACKEND_POLICY} toward targets",
                group.name,
                group.backend_policies.join(" and ")
            ),
            SECURITY_POLICIES_DOC,
        ));
    }
    // Only connections the load balancer starts with TLS can fail a handshake.
    if failing && https {
        found.push(finding(FindingCode::TlsErrors, Severity::High, tls_error_causes(group, policies), METRICS_DOC));
    }
    if group.targets.unhealthy > 0 {
        let reasons: Vec<String> = group.targets.reasons.iter().map(|(code, n)| format!("{code} ({n})")).collect();
        let reasons = if reasons.is_empty() { "no reason given".to_string() } else { reasons.join(", ") };
        found.push(finding(
            FindingCode::UnhealthyTargets,
            Severity::Medium,
            format!(
                "{} of {} targets of {} fail health checks: {reasons}",
                group.targets.unhealthy, group.targets.total, group.name
            ),
            HEALTH_CHECKS_DOC,
        ));
    }
    found
}

/// What may cause a group's handshake errors, the likeliest first, from its
/// configuration alone. Certificates are never among them: the load
/// balancer does not validate target certificates.
fn tls_error_causes(group: &TargetGroupReview, policies: &BTreeMap<String, SslPolicy>) -> String {
    let mut causes = Vec::new();
    if group.health_check.protocol == "HTTP" {
        causes.push(format!(
            "targets answering plain HTTP on the HTTPS port{} (the HTTP health check passes either way)",
            group.port.map(|port| format!(" {port}")).unwrap_or_default()
        ));
    }
    for name in &group.backend_policies {
        let protocols = policies.get(name).map(|p| p.protocols.join(", ")).unwrap_or_default();
        causes.push(format!(
            "no TLS version or cipher in common between the targets and {name} (the load balancer's policy \
             toward them: {protocols})"
        ));
    }
    causes.push("handshakes that time out on overloaded targets".to_string());
    format!(
        "{} TLS handshakes from the load balancer to {} failed in this range; causes that fit its configuration: \
         {}",
        group.errors.total,
        group.name,
        causes.iter().enumerate().map(|(i, cause)| format!("{}. {cause}", i + 1)).collect::<Vec<_>>().join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_backend_policy_follows_the_listeners() {
        let tls12 = strings(&["TLSv1.2"]);
        let tls13 = strings(&["TLSv1.2", "TLSv1.3"]);
        assert_eq!(
            backend_policy("ELBSecurityPolicy-2016-08", &strings(&["TLSv1", "TLSv1.1", "TLSv1.2"])),
            DEFAULT_BACKEND_POLICY
        );
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS-1-2-2017-01", &tls12), DEFAULT_BACKEND_POLICY);
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS13-1-2-2021-06", &tls13), TLS13_BACKEND_POLICY);
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", &tls13), FIPS_BACKEND_POLICY);
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS-1-2-Ext-FIPS-2023-04", &tls12), FIPS_BACKEND_POLICY);
    }

    #[test]
    fn post_quantum_policies_are_tls13_policies_fips_where_named() {
        let tls13 = strings(&["TLSv1.2", "TLSv1.3"]);
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", &tls13), TLS13_BACKEND_POLICY);
        assert_eq!(
            backend_policy("ELBSecurityPolicy-TLS13-1-3-PQ-2025-09", &strings(&["TLSv1.3"])),
            TLS13_BACKEND_POLICY
        );
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS13-1-2-Res-FIPS-PQ-2025-09", &tls13), FIPS_BACKEND_POLICY);
        // Known by name even before DescribeSSLPolicies has described it.
        assert_eq!(backend_policy("ELBSecurityPolicy-TLS13-1-2-PQ-2025-09", &[]), TLS13_BACKEND_POLICY);
    }

    fn policies() -> BTreeMap<String, SslPolicy> {
        let policy = |protocols: &[&str]| SslPolicy {
            protocols: strings(protocols),
            ciphers: strings(&["ECDHE-RSA-AES128-GCM-SHA256"]),
        };
        BTreeMap::from([
            (DEFAULT_BACKEND_POLICY.to_string(), policy(&["TLSv1", "TLSv1.1", "TLSv1.2"])),
            (TLS13_BACKEND_POLICY.to_string(), policy(&["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"])),
            ("ELBSecurityPolicy-TLS13-1-2-2021-06".to_string(), policy(&["TLSv1.2", "TLSv1.3"])),
        ])
    }

    fn group(name: &str, protocol: &str, check: &str) -> TargetGroupConfig {
        TargetGroupConfig {
            value: format!("targetgroup/{name}/0123456789abcdef"),
            name: name.to_string(),
            protocol: protocol.to_string(),
            port: Some(443),
            health_check: HealthCheck {
                protocol: check.to_string(),
                port: "traffic-port".into(),
                path: Some("/".into()),
            },
            targets: TargetHealth { total: 2, healthy: 2, ..TargetHealth::default() },
            ..TargetGroupConfig::default()
        }
    }

    fn lb(listener_policy: &str, groups: Vec<TargetGroupConfig>) -> LoadBalancerConfig {
        LoadBalancerConfig {
            value: "app/edge-alb/50dc6c495c0c9188".into(),
            name: "edge-alb".into(),
            scheme: "internet-facing".into(),
            listeners: vec![ListenerConfig {
                port: 443,
                protocol: "HTTPS".into(),
                ssl_policy: Some(listener_policy.to_string()),
                target_groups: groups.iter().map(|g| g.value.clone()).collect(),
            }],
            target_groups: groups,
        }
    }

    fn codes(review: &LoadBalancerReview) -> Vec<(FindingCode, Severity, Option<String>)> {
        review.findings.iter().map(|f| (f.code, f.severity, f.target_group.clone())).collect()
    }

    #[test]
    fn a_failing_https_group_behind_the_default_policy_has_its_causes_named() {
        let failing = group("checkout", "HTTPS", "HTTP");
        let errors = BTreeMap::from([(
            failing.value.clone(),
            ErrorsInRange { total: 120.0, last_error: Some(60), onset: None },
        )]);
        let reviewed = review(&lb("ELBSecurityPolicy-2016-08", vec![failing.clone()]), &policies(), &errors);
        assert_eq!(reviewed.listeners[0].backend_policy.as_deref(), Some(DEFAULT_BACKEND_POLICY));
        assert_eq!(reviewed.listeners[0].tls_versions, strings(&["TLSv1", "TLSv1.1", "TLSv1.2"]));
        let tg = Some(failing.value.clone());
        assert_eq!(
            codes(&reviewed),
            vec![
                (FindingCode::HealthCheckSkipsTls, Severity::High, tg.clone()),
                (FindingCode::BackendWithoutTls13, Severity::High, tg.clone()),
                (FindingCode::TlsErrors, Severity::High, tg),
                (FindingCode::LegacyClientTls, Severity::Medium, None),
            ]
        );
        let causes = &reviewed.findings[2].text;
        assert!(
            causes.contains("plain HTTP on the HTTPS port 443") && causes.contains(DEFAULT_BACKEND_POLICY),
            "{causes}"
        );
    }

    #[test]
    fn a_clean_tls13_path_has_nothing_but_info() {
        let clean = group("ledger", "HTTPS", "HTTPS");
        let reviewed = review(&lb("ELBSecurityPolicy-TLS13-1-2-2021-06", vec![clean]), &policies(), &BTreeMap::new());
        assert_eq!(reviewed.listeners[0].backend_policy.as_deref(), Some(TLS13_BACKEND_POLICY));
        assert!(reviewed.findings.iter().all(|f| f.severity == Severity::Info), "{:?}", reviewed.findings);
    }

    #[test]
    fn plaintext_and_unhealthy_groups_are_named() {
        let mut plain = group("legacy", "HTTP", "HTTP");
        plain.targets = TargetHealth {
            total: 3,
            healthy: 1,
            unhealthy: 2,
            reasons: BTreeMap::from([("Target.Timeout".to_string(), 2)]),
            ..TargetHealth::default()
        };
        let reviewed =
            review(&lb("ELBSecurityPolicy-TLS13-1-2-2021-06", vec![plain.clone()]), &policies(), &BTreeMap::new());
        let tg = Some(plain.value);
        assert_eq!(
            codes(&reviewed),
            vec![
                (FindingCode::PlaintextTargets, Severity::Medium, tg.clone()),
                (FindingCode::UnhealthyTargets, Severity::Medium, tg)
            ]
        );
        assert!(reviewed.findings[1].text.contains("Target.Timeout (2)"));
        let json = serde_json::to_value(&reviewed.findings[0]).unwrap();
        assert_eq!(json["code"], "plaintext-targets");
        assert_eq!(json["severity"], "medium");
        assert!(json["doc"].as_str().unwrap().starts_with("https://docs.aws.amazon.com/"));
    }

    #[test]
    fn codes_and_severities_are_written_as_the_api_writes_them() {
        for code in FindingCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        for severity in [Severity::High, Severity::Medium, Severity::Low, Severity::Info] {
            assert_eq!(serde_json::to_value(severity).unwrap(), severity.as_str());
        }
    }

    proptest! {
        /// Whatever the configuration, no finding blames certificates: the
        /// load balancer does not validate target certificates.
        #[test]
        fn no_finding_names_certificate_validity_as_a_cause(
            listener_policy in prop::sample::select(vec![
                "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
                "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", "unknown",
            ]),
            protocols in prop::collection::vec(prop::sample::select(vec!["HTTP", "HTTPS"]), 1..4),
            checks in prop::collection::vec(prop::sample::select(vec!["HTTP", "HTTPS"]), 4),
            errors in prop::collection::vec(0.0f64..1_000.0, 4),
            unhealthy in 0usize..3,
        ) {
            let groups: Vec<TargetGroupConfig> = protocols
                .iter()
                .enumerate()
                .map(|(i, protocol)| {
                    let mut g = group(&format!("g{i}"), protocol, checks[i]);
                    g.targets.unhealthy = unhealthy;
                    g
                })
                .collect();
            let errors = groups
                .iter()
                .zip(&errors)
                .map(|(g, total)| (g.value.clone(), ErrorsInRange { total: *total, ..ErrorsInRange::default() }))
                .collect();
            let reviewed = review(&lb(listener_policy, groups), &policies(), &errors);
            for finding in &reviewed.findings {
                let text = finding.text.to_lowercase();
                prop_assert!(!text.contains("certificate") && !text.contains("expired") && !text.contains("self-signed"), "{}", finding.text);
            }
        }
    }
}
