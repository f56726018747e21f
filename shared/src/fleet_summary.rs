//! The fleet at a glance, above the overview's table: per finding, how many
//! load balancers and target groups in how many accounts; per listener
//! policy, how many listeners; how many target groups are reached over
//! plain HTTP.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::review::{FindingCode, LoadBalancerReview, Severity};

/// What the overview's summary counts, over every load balancer reviewed in
/// the accounts and regions read (the finding filters narrow the table, not
/// this).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FleetSummary {
    /// Load balancers reviewed.
    pub load_balancers: usize,
    /// Per finding code, the most severe first, then the most widespread.
    pub findings: Vec<CodeCount>,
    /// Per listener security policy, the most used first.
    pub policies: Vec<PolicyCount>,
    /// Target groups the load balancers reach over plain HTTP.
    pub plaintext_target_groups: usize,
}

/// How widespread one finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCount {
    pub code: FindingCode,
    /// The most severe it was found at.
    pub severity: Severity,
    pub load_balancers: usize,
    /// Target groups it names (0 for listener findings).
    pub target_groups: usize,
    pub accounts: usize,
}

/// How many HTTPS listeners use one policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyCount {
    pub policy: String,
    pub listeners: usize,
}

/// Counts `reviewed`, each load balancer with the name of its account.
pub fn summarize<'a>(reviewed: impl IntoIterator<Item = (&'a str, &'a LoadBalancerReview)>) -> FleetSummary {
    #[derive(Default)]
    struct Seen<'a> {
        severity: Option<Severity>,
        load_balancers: BTreeSet<(&'a str, &'a str)>,
        target_groups: BTreeSet<(&'a str, &'a str)>,
        accounts: BTreeSet<&'a str>,
    }
    let mut codes: BTreeMap<FindingCode, Seen<'a>> = BTreeMap::new();
    let mut policies: BTreeMap<&str, usize> = BTreeMap::new();
    let mut summary = FleetSummary::default();
    for (account, lb) in reviewed {
        summary.load_balancers += 1;
        for finding in &lb.findings {
            let seen = codes.entry(finding.code).or_default();
            seen.severity = Some(seen.severity.map_or(finding.severity, |s| s.min(finding.severity)));
            seen.load_balancers.insert((account, &lb.value));
            if let Some(group) = &finding.target_group {
                seen.target_groups.insert((account, group));
            }
            seen.accounts.insert(account);
        }
        for policy in lb.listeners.iter().filter_map(|l| l.ssl_policy.as_deref()) {
            *policies.entry(policy).or_default() += 1;
        }
        summary.plaintext_target_groups += lb.target_groups.iter().filter(|g| g.protocol == "HTTP").count();
    }
    summary.findings = codes
        .into_iter()
        .filter_map(|(code, seen)| {
            Some(CodeCount {
                code,
                severity: seen.severity?,
                load_balancers: seen.load_balancers.len(),
                target_groups: seen.target_groups.len(),
                accounts: seen.accounts.len(),
            })
        })
        .collect();
    summary.findings.sort_by(|a, b| {
        a.severity.cmp(&b.severity).then(b.load_balancers.cmp(&a.load_balancers)).then(a.code.cmp(&b.code))
    });
    summary.policies =
        policies.into_iter().map(|(policy, listeners)| PolicyCount { policy: policy.to_string(), listeners }).collect();
    summary.policies.sort_by(|a, b| b.listeners.cmp(&a.listeners).then_with(|| a.policy.cmp(&b.policy)));
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{Finding, ListenerReview, TargetGroupReview};

    fn lb(
        value: &str,
        policy: &str,
        findings: Vec<(FindingCode, Severity, Option<&str>)>,
        plain: usize,
    ) -> LoadBalancerReview {
        let listener = ListenerReview {
            port: 443,
            protocol: "HTTPS".into(),
            ssl_policy: Some(policy.into()),
            tls_versions: Vec::new(),
            backend_policy: None,
            backend_tls_versions: Vec::new(),
            backend_ciphers: Vec::new(),
            target_groups: Vec::new(),
        };
        let group = |i: usize| TargetGroupReview {
            value: format!("targetgroup/plain-{i}/1"),
            name: format!("plain-{i}"),
            protocol: "HTTP".into(),
            protocol_version: None,
            port: None,
            health_check: Default::default(),
            targets: Default::default(),
            backend_policies: Vec::new(),
            errors: Default::default(),
        };
        LoadBalancerReview {
            value: value.into(),
            name: value.into(),
            scheme: "internal".into(),
            listeners: vec![listener],
            target_groups: (0..plain).map(group).collect(),
            findings: findings
                .into_iter()
                .map(|(code, severity, group)| Finding {
                    code,
                    severity,
                    load_balancer: value.into(),
                    target_group: group.map(str::to_string),
                    listener_port: None,
                    text: String::new(),
                    doc: String::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn findings_are_counted_by_load_balancer_group_and_account_most_severe_first() {
        use FindingCode::*;
        let a = lb(
            "app/a/1",
            "ELBSecurityPolicy-2016-08",
            vec![(LegacyClientTls, Severity::Medium, None), (PlaintextTargets, Severity::Medium, Some("tg/x"))],
            1,
        );
        let b = lb("app/b/1", "ELBSecurityPolicy-2016-08", vec![(LegacyClientTls, Severity::Medium, None)], 0);
        let c = lb(
            "app/c/1",
            "ELBSecurityPolicy-TLS13-1-2-2021-06",
            vec![(TlsErrors, Severity::High, Some("tg/y")), (TlsErrors, Severity::High, Some("tg/z"))],
            2,
        );
        let summary = summarize([("prod", &a), ("dev", &b), ("prod", &c)]);
        assert_eq!(summary.load_balancers, 3);
        let counted: Vec<(FindingCode, Severity, usize, usize, usize)> = summary
            .findings
            .iter()
            .map(|c| (c.code, c.severity, c.load_balancers, c.target_groups, c.accounts))
            .collect();
        assert_eq!(
            counted,
            vec![
                (TlsErrors, Severity::High, 1, 2, 1),
                (LegacyClientTls, Severity::Medium, 2, 0, 2),
                (PlaintextTargets, Severity::Medium, 1, 1, 1),
            ]
        );
        let policies: Vec<(&str, usize)> = summary.policies.iter().map(|p| (p.policy.as_str(), p.listeners)).collect();
        assert_eq!(policies, vec![("ELBSecurityPolicy-2016-08", 2), ("ELBSecurityPolicy-TLS13-1-2-2021-06", 1)]);
        assert_eq!(summary.plaintext_target_groups, 3);
    }
}
