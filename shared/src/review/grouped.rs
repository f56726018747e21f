//! Findings read as a review, not a list of repeats: where a load balancer's
//! findings say the same of several target groups (no TLS 1.3 toward
//! targets, plain HTTP, a health check without TLS), they are shown as one
//! finding that names every group it concerns. The API keeps one finding
//! per group, so scripts can act on each; the page shows them grouped.

use super::{Finding, LoadBalancerReview};

/// A finding and every target group it holds for (empty for a listener's).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedFinding {
    /// The first group's finding, its text naming every group.
    pub finding: Finding,
    /// The `TargetGroup` values it concerns, in the review's order.
    pub target_groups: Vec<String>,
}

/// Stands for a group's name while texts are compared.
const NAME: &str = "\u{0}";

/// `lb`'s findings, those that differ only in the group they name merged
/// into one, in the review's order (most severe first).
pub fn grouped(lb: &LoadBalancerReview) -> Vec<GroupedFinding> {
    let name_of = |value: &str| lb.target_groups.iter().find(|g| g.value == value).map(|g| g.name.as_str());
    let mut merged: Vec<(Option<String>, GroupedFinding, Vec<&str>)> = Vec::new();
    for finding in &lb.findings {
        let group = finding.target_group.as_deref();
        let name = group.and_then(name_of);
        // The text with the group's name left out: equal texts say the same.
        let template = name.map(|name| replace_word(&finding.text, name, NAME)).filter(|t| t.contains(NAME));
        let same = merged.iter_mut().find(|(other, grouped, _)| {
            template.is_some()
                && *other == template
                && grouped.finding.code == finding.code
                && grouped.finding.severity == finding.severity
        });
        match (same, group, name) {
            (Some((_, grouped, names)), Some(group), Some(name)) => {
                grouped.target_groups.push(group.to_string());
                names.push(name);
            }
            _ => merged.push((
                template,
                GroupedFinding {
                    finding: finding.clone(),
                    target_groups: group.into_iter().map(str::to_string).collect(),
                },
                name.into_iter().collect(),
            )),
        }
    }
    merged
        .into_iter()
        .map(|(template, mut grouped, names)| {
            if let (Some(template), true) = (template, names.len() > 1) {
                grouped.finding.text = plural(&template, &listing(&names));
                grouped.finding.target_group = None;
            }
            grouped
        })
        .collect()
}

/// The review's sentences about one group, and the same about several.
const PLURALS: [(&str, &str); 3] = [
    (" is reached ", " are reached "),
    (" uses HTTP", " use HTTP"),
    (" speaks HTTPS but checks its targets", " speak HTTPS but check their targets"),
];

/// `template` about the groups `listed`: "target group \0 is" becomes
/// "target groups a and b are"; any other mention of \0 is the list.
fn plural(template: &str, listed: &str) -> String {
    let mut text = template.to_string();
    for (one, many) in PLURALS {
        text = text.replace(&format!("target group {NAME}{one}"), &format!("target groups {NAME}{many}"));
    }
    text.replace(&format!("target group {NAME}"), &format!("target groups {NAME}")).replace(NAME, listed)
}

/// `a`, `a and b`, `a, b and c`.
fn listing(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `text` with every whole-word `word` (not inside a longer name such as
/// `web-blue-2`) replaced by `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name_char) || after.is_some_and(is_name_char) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::review::{
        FindingCode, HealthCheck, ListenerConfig, LoadBalancerConfig, SslPolicy, TargetGroupConfig, review,
    };

    fn group(name: &str, protocol: &str) -> TargetGroupConfig {
        TargetGroupConfig {
            value: format!("targetgroup/{name}/0123456789abcdef"),
            name: name.to_string(),
            protocol: protocol.to_string(),
            port: Some(8443),
            health_check: HealthCheck { protocol: "HTTPS".into(), port: "traffic-port".into(), path: None },
            ..TargetGroupConfig::default()
        }
    }

    fn reviewed(groups: Vec<TargetGroupConfig>) -> LoadBalancerReview {
        let policy = |protocols: &[&str]| SslPolicy {
            protocols: protocols.iter().map(|p| p.to_string()).collect(),
            ciphers: Vec::new(),
        };
        let policies = BTreeMap::from([("ELBSecurityPolicy-2016-08".to_string(), policy(&["TLSv1.2"]))]);
        let config = LoadBalancerConfig {
            value: "app/shop/1".into(),
            name: "shop".into(),
            scheme: "internal".into(),
            listeners: vec![ListenerConfig {
                port: 443,
                protocol: "HTTPS".into(),
                ssl_policy: Some("ELBSecurityPolicy-2016-08".into()),
                target_groups: groups.iter().map(|g| g.value.clone()).collect(),
            }],
            target_groups: groups,
        };
        review(&config, &policies, &BTreeMap::new())
    }

    #[test]
    fn the_same_finding_of_several_groups_is_one_that_names_them_all() {
        let lb = reviewed(vec![
            group("web", "HTTPS"),
            group("web-2", "HTTPS"),
            group("api", "HTTPS"),
            group("legacy", "HTTP"),
        ]);
        let without_tls13 = lb.findings.iter().filter(|f| f.code == FindingCode::BackendWithoutTls13).count();
        assert_eq!(without_tls13, 3, "one per HTTPS group in the API");
        let shown = grouped(&lb);
        let merged: Vec<&GroupedFinding> =
            shown.iter().filter(|g| g.finding.code == FindingCode::BackendWithoutTls13).collect();
        assert_eq!(merged.len(), 1, "{shown:?}");
        assert_eq!(merged[0].target_groups.len(), 3);
        assert!(
            merged[0].finding.text.starts_with("target groups web, web-2 and api are reached only"),
            "{}",
            merged[0].finding.text
        );
        assert_eq!(merged[0].finding.target_group, None);
        let plain: Vec<&GroupedFinding> =
            shown.iter().filter(|g| g.finding.code == FindingCode::PlaintextTargets).collect();
        assert_eq!(
            (plain.len(), plain[0].finding.text.contains("target group legacy")),
            (1, true),
            "one group: as it was"
        );
        assert_eq!(
            shown.iter().map(|g| g.target_groups.len().max(1)).sum::<usize>(),
            lb.findings.len(),
            "nothing lost"
        );
    }

    #[test]
    fn a_name_inside_a_longer_name_is_not_taken_for_it() {
        assert_eq!(replace_word("web and web-2 and web", "web", "X"), "X and web-2 and X");
        assert_eq!(listing(&["a", "b", "c"]), "a, b and c");
        assert_eq!(
            plural("target group \u{0} speaks HTTPS but checks its targets over HTTP", "a and b"),
            "target groups a and b speak HTTPS but check their targets over HTTP"
        );
        assert_eq!(
            plural("target group \u{0} uses HTTP: traffic", "a and b"),
            "target groups a and b use HTTP: traffic"
        );
    }
}
