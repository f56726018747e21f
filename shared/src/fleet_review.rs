//! The fleet's compliance report: every load balancer the caller may read,
//! one row per load balancer × listener × target group, with its policies,
//! what they offer clients and targets, its findings, its errors, and a
//! mark against a named baseline. Pure: the proxy reads and reviews, this
//! module reads the query, lays out the rows and judges them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ViewError, quote_key};
use crate::overview::{OverviewQuery, ScopeStatus};
use crate::probe::{Outcome, TargetGroupProbe, TargetProbe};
use crate::query;
use crate::review::{Finding, FindingCode, FindingFilter, LoadBalancerReview, SUGGESTED_TLS13_POLICY};
use crate::time::TimeSpec;
use crate::tls::{LEGACY_VERSIONS, is_legacy, versions_label};

/// The report's parameters: the overview's range, scope and finding filters,
/// and its own.
pub const FLEET_REVIEW_PARAMETERS: [&str; 8] =
    ["from", "to", "account", "region", "finding", "severity", "baseline", "format"];

/// NIST's guidelines for TLS implementations, which the baselines follow.
pub const NIST_SP_800_52_R2: &str = "https://doi.org/10.6028/NIST.SP.800-52r2";
/// The RFC that deprecates TLS 1.0 and 1.1.
pub const RFC_8996: &str = "https://www.rfc-editor.org/rfc/rfc8996";

/// How the report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
}

/// A named baseline each row is marked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Baseline {
    /// TLS 1.2 or later on the whole path, TLS toward targets (RFC 8996;
    /// NIST SP 800-52 Rev. 2 requires TLS 1.2 and bars 1.0 and 1.1 from
    /// government-only servers).
    Tls12Minimum,
    /// The former, and TLS 1.3 offered to clients and to targets (NIST SP
    /// 800-52 Rev. 2 asks for TLS 1.3 support by January 1, 2024).
    Tls13Ready,
}

impl Baseline {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tls12Minimum => "tls12-minimum",
            Self::Tls13Ready => "tls13-ready",
        }
    }

    fn parse(text: &str) -> Result<Self, ViewError> {
        match text {
            "tls12-minimum" => Ok(Self::Tls12Minimum),
            "tls13-ready" => Ok(Self::Tls13Ready),
            _ => Err(ViewError::invalid("baseline", text, "tls12-minimum or tls13-ready")),
        }
    }
}

/// `GET /api/v1/fleet-review`'s parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FleetReviewQuery {
    /// The range, accounts, regions and finding filter, as the overview reads them.
    pub overview: OverviewQuery,
    pub baseline: Option<Baseline>,
    pub format: ReportFormat,
}

impl FleetReviewQuery {
    /// Reads a query string as strictly as the overview does.
    pub fn from_query(text: &str) -> Result<Self, ViewError> {
        let mut parsed = Self::default();
        let mut overview_pairs = Vec::new();
        let mut seen = BTreeSet::new();
        for (key, value) in query::parse_pairs(text)? {
            match key.as_str() {
                // The overview refuses their repeats and bad values.
                "from" | "to" | "account" | "region" | "finding" | "severity" => overview_pairs.push((key, value)),
                _ if !seen.insert(key.clone()) => {
                    return Err(ViewError::new(
                        ErrorCode::RepeatedParameter,
                        quote_key(&key),
                        format!("`{}` was given more than once; it takes a single value", quote_key(&key)),
                    ));
                }
                "baseline" => parsed.baseline = Some(Baseline::parse(&value)?),
                "format" => parsed.format = format(&value)?,
                _ => {
                    return Err(ViewError::new(
                        ErrorCode::UnknownParameter,
                        quote_key(&key),
                        format!(
                            "unknown parameter `{}`; accepted: {} (the report counts the Sum of \
                             TargetTLSNegotiationErrorCount)",
                            quote_key(&key),
                            FLEET_REVIEW_PARAMETERS.join(", ")
                        ),
                    ));
                }
            }
        }
        let overview_query =
            query::write_pairs(overview_pairs.iter().map(|(key, value)| (key.as_str(), value.clone())));
        parsed.overview = OverviewQuery::from_query(&overview_query)?;
        Ok(parsed)
    }

    /// The canonical query string, without `format` (the same view in
    /// either format).
    pub fn to_query(&self) -> String {
        let overview = self.overview.to_query();
        let baseline = self.baseline.map(|b| query::write_pairs([("baseline", b.as_str().to_string())]));
        [Some(overview).filter(|q| !q.is_empty()), baseline].into_iter().flatten().collect::<Vec<_>>().join("&")
    }
}

fn format(text: &str) -> Result<ReportFormat, ViewError> {
    match text {
        "json" => Ok(ReportFormat::Json),
        "csv" => Ok(ReportFormat::Csv),
        _ => Err(ViewError::invalid("format", text, "json or csv")),
    }
}

/// How a row stands against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineResult {
    Pass,
    /// Nothing in the configuration fails it, but a part only the targets
    /// decide has not been seen.
    Unverified,
    Fail,
}

impl BaselineResult {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Unverified => "unverified",
            Self::Fail => "fail",
        }
    }
}

/// A row's mark against the baseline, with every reason it is not a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineMark {
    pub baseline: Baseline,
    pub result: BaselineResult,
    pub reasons: Vec<String>,
}

/// One load balancer × listener × target group of the report. A listener
/// that forwards to no group (a redirect) has a row without a group; a
/// group no listener reaches has a row without a listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub account: String,
    pub region: String,
    /// The `LoadBalancer` dimension value.
    pub load_balancer: String,
    pub load_balancer_name: String,
    pub listener_port: Option<u16>,
    pub listener_protocol: Option<String>,
    pub listener_policy: Option<String>,
    /// What the listener offers clients (DescribeSSLPolicies' names).
    pub client_tls_versions: Vec<String>,
    /// The policy the load balancer uses toward the targets.
    pub backend_policy: Option<String>,
    /// What the load balancer offers the targets, when it speaks TLS to them.
    pub target_tls_versions: Vec<String>,
    /// The `TargetGroup` dimension value.
    pub target_group: Option<String>,
    pub target_group_name: Option<String>,
    pub target_group_protocol: Option<String>,
    pub health_check_protocol: Option<String>,
    /// The codes of the findings about this listener or this group, most severe first.
    pub findings: Vec<FindingCode>,
    /// What to change, one sentence per finding that has a fix.
    pub fixes: Vec<String>,
    /// The group's TargetTLSNegotiationErrorCount over the range (Sum).
    pub errors: f64,
    /// What the probe last saw of each registered target of the group, for
    /// groups reached over HTTPS from this listener.
    #[serde(default)]
    pub targets: Vec<ReportTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineMark>,
}

/// A registered target as the report shows it: the outcome of the probe's
/// last handshake with it, kept for a day, or `not-probed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTarget {
    pub id: String,
    pub port: u16,
    pub outcome: Outcome,
    /// The negotiated version, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The alert or error the outcome rests on, or why it was not probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Which of TLS 1.0 and 1.1 it accepts (empty: it refuses both);
    /// `None` when no handshake tried them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_accepted: Option<Vec<String>>,
    /// When the handshake was made, epoch seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed_at: Option<i64>,
}

impl From<&TargetProbe> for ReportTarget {
    fn from(target: &TargetProbe) -> Self {
        Self {
            id: target.id.clone(),
            port: target.port,
            outcome: target.handshake.outcome,
            protocol: target.handshake.protocol.clone(),
            error: target.handshake.error.clone(),
            legacy_accepted: target.handshake.legacy_known(),
            probed_at: target.probed_at,
        }
    }
}

/// The report's rows of one reviewed load balancer in `account` and
/// `region`, with what the probe saw of its targets (`probed`, rows of
/// targets never probed saying so): those with a finding `filter` asks for
/// (all, without a filter).
pub fn rows_of(
    account: &str,
    region: &str,
    reviewed: &LoadBalancerReview,
    probed: &[TargetGroupProbe],
    baseline: Option<Baseline>,
    filter: &FindingFilter,
) -> Vec<ReportRow> {
    let mut rows = Vec::new();
    let reached: BTreeSet<&str> =
        reviewed.listeners.iter().flat_map(|l| l.target_groups.iter().map(String::as_str)).collect();
    for listener in &reviewed.listeners {
        let groups: Vec<Option<&str>> = if listener.target_groups.is_empty() {
            vec![None]
        } else {
            listener.target_groups.iter().map(|g| Some(g.as_str())).collect()
        };
        for group in groups {
            rows.extend(row(account, region, reviewed, Some(listener.port), group, filter));
        }
    }
    let unreached = reviewed.target_groups.iter().filter(|g| !reached.contains(g.value.as_str()));
    for group in unreached {
        rows.extend(row(account, region, reviewed, None, Some(&group.value), filter));
    }
    for row in rows.iter_mut().filter(|row| row.backend_policy.is_some()) {
        let seen = probed.iter().find(|p| {
            Some(&p.value) == row.target_group.as_ref() && Some(&p.backend_policy) == row.backend_policy.as_ref()
        });
        row.targets = seen.map(|p| p.targets.iter().map(ReportTarget::from).collect()).unwrap_or_default();
    }
    if let Some(baseline) = baseline {
        for row in &mut rows {
            row.baseline = Some(judge(row, baseline));
        }
    }
    rows
}

/// `GET /api/v1/fleet-review` as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FleetReviewResponse {
    /// The canonical query.
    pub view: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    pub start: i64,
    pub end: i64,
    /// By account, region, load balancer, listener and target group.
    pub rows: Vec<ReportRow>,
    /// Every account and region read, and whether it could be.
    pub scopes: Vec<ScopeStatus>,
    pub warnings: Vec<String>,
}

fn row(
    account: &str,
    region: &str,
    reviewed: &LoadBalancerReview,
    port: Option<u16>,
    group: Option<&str>,
    filter: &FindingFilter,
) -> Option<ReportRow> {
    let listener = port.and_then(|port| reviewed.listeners.iter().find(|l| l.port == port));
    let target_group = group.and_then(|value| reviewed.target_groups.iter().find(|g| g.value == value));
    let speaks_tls_to_targets = target_group.is_some_and(|g| g.protocol == "HTTPS");
    let findings: Vec<&Finding> = reviewed
        .findings
        .iter()
        .filter(|f| match (&f.target_group, f.listener_port) {
            (Some(tg), _) => Some(tg.as_str()) == group,
            (None, Some(finding_port)) => Some(finding_port) == port,
            (None, None) => true,
        })
        .collect();
    if filter.is_set() && !findings.iter().any(|f| filter.admits(f)) {
        return None;
    }
    Some(ReportRow {
        account: account.to_string(),
        region: region.to_string(),
        load_balancer: reviewed.value.clone(),
        load_balancer_name: reviewed.name.clone(),
        listener_port: port,
        listener_protocol: listener.map(|l| l.protocol.clone()),
        listener_policy: listener.and_then(|l| l.ssl_policy.clone()),
        client_tls_versions: listener.map(|l| l.tls_versions.clone()).unwrap_or_default(),
        backend_policy: listener.and_then(|l| l.backend_policy.clone()).filter(|_| speaks_tls_to_targets),
        target_tls_versions: listener
            .filter(|_| speaks_tls_to_targets)
            .map(|l| l.backend_tls_versions.clone())
            .unwrap_or_default(),
        target_group: target_group.map(|g| g.value.clone()),
        target_group_name: target_group.map(|g| g.name.clone()),
        target_group_protocol: target_group.map(|g| g.protocol.clone()),
        health_check_protocol: target_group.map(|g| g.health_check.protocol.clone()),
        findings: findings.iter().map(|f| f.code).collect(),
        fixes: findings.iter().filter_map(|f| fix(f, port)).collect(),
        errors: target_group.map_or(0.0, |g| g.errors.total),
        targets: Vec::new(),
        baseline: None,
    })
}

/// What to change for `finding`, where the configuration holds the fix.
fn fix(finding: &Finding, port: Option<u16>) -> Option<String> {
    let on_listener = port.map(|p| format!(" on listener {p}")).unwrap_or_default();
    match finding.code {
        FindingCode::LegacyClientTls => {
            Some(format!("use a policy without TLS 1.0 and 1.1, such as {SUGGESTED_TLS13_POLICY}{on_listener}"))
        }
        FindingCode::BackendWithoutTls13 => Some(format!(
            "use a TLS 1.3 policy such as {SUGGESTED_TLS13_POLICY}{on_listener}, so the load balancer offers \
             targets TLS 1.3"
        )),
        FindingCode::PlaintextTargets => {
            Some("use HTTPS for the target group, with targets that serve TLS on its port".to_string())
        }
        FindingCode::HealthCheckSkipsTls => Some("check the targets' health over HTTPS".to_string()),
        FindingCode::TargetAcceptsLegacyTls => Some("make the targets refuse TLS 1.0 and 1.1".to_string()),
        _ => None,
    }
}

fn offers_legacy(versions: &[String]) -> bool {
    versions.iter().any(|v| is_legacy(v))
}

fn offers_tls13(versions: &[String]) -> bool {
    versions.iter().any(|v| v == "TLSv1.3")
}

/// How `row` stands against `baseline`. The hop to the targets: AWS applies
/// a backend policy of its own choosing, and every one it documents offers
/// TLS 1.0 and 1.1; only the targets can refuse them. That hop passes when
/// the probe saw every registered target refuse them, fails when it saw one
/// accept them, and is `unverified` while some target was not tried.
pub fn judge(row: &ReportRow, baseline: Baseline) -> BaselineMark {
    let mut failed = Vec::new();
    let mut unverified = Vec::new();
    let listener = row.listener_port.map(|p| format!("listener {p}")).unwrap_or_else(|| "no listener".to_string());
    if row.listener_protocol.as_deref() == Some("HTTP") && row.target_group.is_some() {
        failed.push(format!("{listener} takes clients over plain HTTP"));
    }
    if offers_legacy(&row.client_tls_versions) {
        failed.push(format!(
            "{listener} offers clients TLS 1.0 or 1.1 ({})",
            row.listener_policy.as_deref().unwrap_or("no policy")
        ));
    }
    let group = row.target_group_name.as_deref().unwrap_or("the target group");
    if row.target_group_protocol.as_deref() == Some("HTTP") {
        failed.push(format!("{group} is reached over plain HTTP"));
    }
    let accepting: Vec<String> = row
        .targets
        .iter()
        .filter_map(|t| {
            let known = t.legacy_accepted.as_ref().filter(|known| !known.is_empty())?;
            Some(format!("{}:{} ({})", t.id, t.port, versions_label(known)))
        })
        .collect();
    let untried = row.targets.iter().filter(|t| t.legacy_accepted.is_none()).count();
    if !accepting.is_empty() || row.findings.contains(&FindingCode::TargetAcceptsLegacyTls) {
        let which = if accepting.is_empty() { String::new() } else { format!(": {}", accepting.join(", ")) };
        failed.push(format!("targets of {group} accept TLS 1.0 or 1.1{which}"));
    } else if offers_legacy(&row.target_tls_versions) && (row.targets.is_empty() || untried > 0) {
        let seen = match (row.targets.len(), untried) {
            (0, _) => "no registered target was probed".to_string(),
            (all, untried) => {
                format!("{} of {all} targets were seen refusing them, the others not tried", all - untried)
            }
        };
        unverified.push(format!(
            "the load balancer offers {group}'s targets TLS 1.0 and 1.1 ({}, chosen by AWS); only targets that \
             refuse them keep this hop at TLS 1.2 or later, and {seen}: probe them",
            row.backend_policy.as_deref().unwrap_or("its backend policy")
        ));
    }
    if baseline == Baseline::Tls13Ready {
        if row.listener_protocol.as_deref() == Some("HTTPS") && !offers_tls13(&row.client_tls_versions) {
            failed.push(format!("{listener} offers clients no TLS 1.3"));
        }
        if row.target_group_protocol.as_deref() == Some("HTTPS") && !offers_tls13(&row.target_tls_versions) {
            failed.push(format!("the load balancer offers {group}'s targets no TLS 1.3"));
        }
    }
    let result = if !failed.is_empty() {
        BaselineResult::Fail
    } else if !unverified.is_empty() {
        BaselineResult::Unverified
    } else {
        BaselineResult::Pass
    };
    failed.extend(unverified);
    BaselineMark { baseline, result, reasons: failed }
}

/// The CSV report's columns, in order.
pub const CSV_COLUMNS: [&str; 21] = [
    "account",
    "region",
    "load_balancer",
    "load_balancer_name",
    "listener_port",
    "listener_protocol",
    "listener_policy",
    "client_tls_versions",
    "backend_policy",
    "target_tls_versions",
    "target_group",
    "target_group_name",
    "target_group_protocol",
    "health_check_protocol",
    "findings",
    "fixes",
    "errors",
    "baseline",
    "baseline_result",
    "baseline_reasons",
    "target_outcomes",
];

/// A row as the CSV's cells, in [`CSV_COLUMNS`]' order: lists joined with
/// spaces (versions, codes) or `; ` (sentences), empty cells for absences.
pub fn csv_record(row: &ReportRow) -> Vec<String> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let mark = row.baseline.as_ref();
    vec![
        row.account.clone(),
        row.region.clone(),
        row.load_balancer.clone(),
        row.load_balancer_name.clone(),
        row.listener_port.map(|p| p.to_string()).unwrap_or_default(),
        text(&row.listener_protocol),
        text(&row.listener_policy),
        row.client_tls_versions.join(" "),
        text(&row.backend_policy),
        row.target_tls_versions.join(" "),
        text(&row.target_group),
        text(&row.target_group_name),
        text(&row.target_group_protocol),
        text(&row.health_check_protocol),
        row.findings.iter().map(|code| code.as_str()).collect::<Vec<_>>().join(" "),
        row.fixes.join("; "),
        row.errors.to_string(),
        mark.map(|m| m.baseline.as_str().to_string()).unwrap_or_default(),
        mark.map(|m| m.result.as_str().to_string()).unwrap_or_default(),
        mark.map(|m| m.reasons.join("; ")).unwrap_or_default(),
        row.targets.iter().map(target_cell).collect::<Vec<_>>().join("; "),
    ]
}

/// `10.0.1.5:8443 ok TLSv1.2, refuses TLS 1.0-1.1, probed 2026-12-03T10:00:00Z`.
fn target_cell(target: &ReportTarget) -> String {
    let mut cell = format!("{}:{} {}", target.id, target.port, target.outcome.as_str());
    if let Some(protocol) = &target.protocol {
        cell.push_str(&format!(" {protocol}"));
    }
    match target.legacy_accepted.as_deref() {
        Some([]) => {
            let legacy: Vec<String> = LEGACY_VERSIONS.iter().map(|v| v.to_string()).collect();
            cell.push_str(&format!(", refuses {}", versions_label(&legacy)));
        }
        Some(accepted) => cell.push_str(&format!(", accepts {}", versions_label(accepted))),
        None => {}
    }
    if let Some(at) = target.probed_at {
        cell.push_str(&format!(", probed {}", TimeSpec::At(at)));
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::probe::Handshake;
    use crate::review::{
        DEFAULT_BACKEND_POLICY, HealthCheck, ListenerConfig, LoadBalancerConfig, Severity, SslPolicy,
        TLS13_BACKEND_POLICY, TargetGroupConfig, review,
    };

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn policies() -> BTreeMap<String, SslPolicy> {
        let policy = |protocols: &[&str]| SslPolicy { protocols: strings(protocols), ciphers: Vec::new() };
        BTreeMap::from([
            ("ELBSecurityPolicy-2016-08".to_string(), policy(&["TLSv1", "TLSv1.1", "TLSv1.2"])),
            (TLS13_BACKEND_POLICY.to_string(), policy(&["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"])),
            ("ELBSecurityPolicy-TLS13-1-2-2021-06".to_string(), policy(&["TLSv1.2", "TLSv1.3"])),
        ])
    }

    fn group(name: &str, protocol: &str, check: &str) -> TargetGroupConfig {
        TargetGroupConfig {
            value: format!("targetgroup/{name}/0123456789abcdef"),
            name: name.to_string(),
            protocol: protocol.to_string(),
            port: Some(8443),
            health_check: HealthCheck { protocol: check.to_string(), port: "traffic-port".into(), path: None },
            ..TargetGroupConfig::default()
        }
    }

    /// shop: HTTPS 443 (`policy`) to `secure` and `plain`, HTTP 80 with a
    /// redirect, and `orphan` reached by no listener.
    fn reviewed(policy: &str) -> LoadBalancerReview {
        let groups =
            vec![group("secure", "HTTPS", "HTTPS"), group("plain", "HTTP", "HTTP"), group("orphan", "HTTPS", "HTTPS")];
        let config = LoadBalancerConfig {
            value: "app/shop/1".into(),
            name: "shop".into(),
            scheme: "internet-facing".into(),
            listeners: vec![
                ListenerConfig { port: 80, protocol: "HTTP".into(), ssl_policy: None, target_groups: vec![] },
                ListenerConfig {
                    port: 443,
                    protocol: "HTTPS".into(),
                    ssl_policy: Some(policy.into()),
                    target_groups: vec![groups[0].value.clone(), groups[1].value.clone()],
                },
            ],
            target_groups: groups,
        };
        review(&config, &policies(), &BTreeMap::new())
    }

    #[test]
    fn each_listener_and_group_is_a_row_and_each_finding_lands_on_its_own() {
        let rows = rows_of(
            "default",
            "us-east-1",
            &reviewed("ELBSecurityPolicy-2016-08"),
            &[],
            None,
            &FindingFilter::default(),
        );
        let keys: Vec<(Option<u16>, Option<&str>)> =
            rows.iter().map(|r| (r.listener_port, r.target_group_name.as_deref())).collect();
        assert_eq!(
            keys,
            vec![(Some(80), None), (Some(443), Some("secure")), (Some(443), Some("plain")), (None, Some("orphan"))]
        );
        let secure = &rows[1];
        assert_eq!(secure.backend_policy.as_deref(), Some(DEFAULT_BACKEND_POLICY));
        assert_eq!(secure.target_tls_versions, strings(&["TLSv1", "TLSv1.1", "TLSv1.2"]));
        assert_eq!(secure.findings, vec![FindingCode::LegacyClientTls, FindingCode::BackendWithoutTls13]);
        assert!(secure.fixes[0].contains(SUGGESTED_TLS13_POLICY) && secure.fixes[0].contains("listener 443"));
        let plain = &rows[2];
        assert_eq!((plain.backend_policy.as_ref(), plain.target_tls_versions.len()), (None, 0), "no TLS to plain");
        assert_eq!(plain.findings, vec![FindingCode::PlaintextTargets, FindingCode::LegacyClientTls]);
        assert!(rows[0].findings.is_empty(), "the redirect listener has no finding: {:?}", rows[0]);
    }

    #[test]
    fn baselines_fail_what_the_configuration_fails_and_leave_the_targets_hop_unverified() {
        let legacy = rows_of(
            "a",
            "r",
            &reviewed("ELBSecurityPolicy-2016-08"),
            &[],
            Some(Baseline::Tls12Minimum),
            &FindingFilter::default(),
        );
        let mark = legacy[1].baseline.as_ref().unwrap();
        assert_eq!(mark.result, BaselineResult::Fail);
        assert!(mark.reasons[0].contains("listener 443 offers clients TLS 1.0 or 1.1"), "{:?}", mark.reasons);
        let modern = rows_of(
            "a",
            "r",
            &reviewed("ELBSecurityPolicy-TLS13-1-2-2021-06"),
            &[],
            Some(Baseline::Tls12Minimum),
            &FindingFilter::default(),
        );
        let secure = modern[1].baseline.as_ref().unwrap();
        assert_eq!(secure.result, BaselineResult::Unverified, "{:?}", secure.reasons);
        assert!(secure.reasons[0].contains("probe them"));
        assert_eq!(modern[2].baseline.as_ref().unwrap().result, BaselineResult::Fail, "plain HTTP to targets");
        assert_eq!(modern[0].baseline.as_ref().unwrap().result, BaselineResult::Pass, "a redirect carries nothing");
        let ready = rows_of(
            "a",
            "r",
            &reviewed("ELBSecurityPolicy-TLS13-1-2-2021-06"),
            &[],
            Some(Baseline::Tls13Ready),
            &FindingFilter::default(),
        );
        assert_eq!(ready[1].baseline.as_ref().unwrap().result, BaselineResult::Unverified);
        let not_ready = rows_of(
            "a",
            "r",
            &reviewed("ELBSecurityPolicy-2016-08"),
            &[],
            Some(Baseline::Tls13Ready),
            &FindingFilter::default(),
        );
        let reasons = &not_ready[1].baseline.as_ref().unwrap().reasons;
        assert!(reasons.iter().any(|r| r.contains("offers clients no TLS 1.3")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("secure's targets no TLS 1.3")), "{reasons:?}");
    }

    /// The probe of `secure` through listener 443, its targets seen as `seen`.
    fn probed_secure(seen: &[(Outcome, Option<&[&str]>)]) -> Vec<TargetGroupProbe> {
        let targets = seen
            .iter()
            .enumerate()
            .map(|(i, (outcome, legacy))| TargetProbe {
                id: format!("127.0.0.{}", i + 1),
                address: Some(format!("127.0.0.{}", i + 1)),
                port: 8443,
                availability_zone: None,
                health: "healthy".into(),
                handshake: Handshake {
                    protocol: (*outcome == Outcome::Ok).then(|| "TLSv1.2".to_string()),
                    legacy_accepted: legacy.map(strings),
                    ..Handshake { outcome: *outcome, ..Handshake::not_probed("") }
                },
                explanation: String::new(),
                probed_at: legacy.map(|_| 1_800),
            })
            .collect();
        vec![TargetGroupProbe {
            value: "targetgroup/secure/0123456789abcdef".into(),
            name: "secure".into(),
            protocol_version: None,
            listener_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
            backend_policy: TLS13_BACKEND_POLICY.into(),
            offered: SslPolicy::default(),
            targets,
        }]
    }

    #[test]
    fn the_targets_hop_passes_when_every_target_was_seen_refusing_tls10_and_11() {
        let modern = reviewed("ELBSecurityPolicy-TLS13-1-2-2021-06");
        let mark = |seen: &[(Outcome, Option<&[&str]>)]| {
            let rows = rows_of(
                "a",
                "r",
                &modern,
                &probed_secure(seen),
                Some(Baseline::Tls12Minimum),
                &FindingFilter::default(),
            );
            rows[1].baseline.clone().unwrap()
        };
        let refused: &[&str] = &[];
        let all_refuse = mark(&[(Outcome::Ok, Some(refused)), (Outcome::ProtocolMismatch, Some(refused))]);
        assert_eq!(all_refuse.result, BaselineResult::Pass, "{:?}", all_refuse.reasons);
        let one_untried = mark(&[(Outcome::Ok, Some(refused)), (Outcome::NotProbed, None)]);
        assert_eq!(one_untried.result, BaselineResult::Unverified);
        assert!(one_untried.reasons[0].contains("1 of 2 targets were seen refusing them"), "{:?}", one_untried.reasons);
        let accepts = mark(&[(Outcome::Ok, Some(&["TLSv1"])), (Outcome::Ok, Some(refused))]);
        assert_eq!(accepts.result, BaselineResult::Fail);
        assert!(accepts.reasons[0].contains("127.0.0.1:8443 (TLS 1.0)"), "{:?}", accepts.reasons);

        let rows = rows_of(
            "a",
            "r",
            &modern,
            &probed_secure(&[(Outcome::Ok, Some(refused)), (Outcome::NotProbed, None)]),
            None,
            &FindingFilter::default(),
        );
        assert_eq!(rows[1].targets.len(), 2, "the secure group's row holds its targets");
        assert!(rows[2].targets.is_empty() && rows[3].targets.is_empty(), "other groups' rows do not");
        assert_eq!(
            csv_record(&rows[1])[20],
            "127.0.0.1:8443 ok TLSv1.2, refuses TLS 1.0-1.1, probed 1970-01-01T00:30:00Z; 127.0.0.2:8443 not-probed"
        );
    }

    #[test]
    fn the_query_is_read_strictly_and_written_canonically() {
        let query =
            FleetReviewQuery::from_query("format=csv&finding=plaintext-targets&baseline=tls13-ready&region=eu-west-1&finding=legacy-client-tls&from=now-6h")
                .unwrap();
        assert_eq!(query.format, ReportFormat::Csv);
        assert_eq!(query.overview.filter.codes, vec![FindingCode::PlaintextTargets, FindingCode::LegacyClientTls]);
        assert_eq!(
            query.to_query(),
            "from=now-6h&region=eu-west-1&finding=plaintext-targets&finding=legacy-client-tls&baseline=tls13-ready"
        );
        let refused = |text: &str| FleetReviewQuery::from_query(text).unwrap_err();
        assert_eq!(refused("finding=weak").param, "finding");
        assert!(refused("finding=weak").message.contains("legacy-client-tls"), "names what is accepted");
        assert_eq!(refused("severity=urgent").param, "severity");
        assert_eq!(refused("baseline=pci").param, "baseline");
        assert_eq!(refused("format=xml").param, "format");
        assert_eq!(refused("stat=Average").code, ErrorCode::UnknownParameter);
        assert_eq!(refused("format=csv&format=json").code, ErrorCode::RepeatedParameter);
        assert_eq!(refused("from=yesterday").param, "from");
    }

    #[test]
    fn the_filter_keeps_rows_with_a_finding_asked_for() {
        let shop = reviewed("ELBSecurityPolicy-TLS13-1-2-2021-06");
        let kept = |codes: Vec<FindingCode>, severity| {
            let rows = rows_of("a", "r", &shop, &[], None, &FindingFilter { codes, severity });
            rows.iter().map(|r| (r.listener_port, r.target_group_name.clone())).collect::<Vec<_>>()
        };
        let plain = vec![(Some(443), Some("plain".to_string()))];
        assert_eq!(kept(vec![], None).len(), 4);
        assert_eq!(kept(vec![FindingCode::PlaintextTargets], None), plain);
        assert_eq!(kept(vec![FindingCode::LegacyClientTls], None), vec![]);
        assert_eq!(kept(vec![], Some(Severity::Medium)), plain, "plaintext-targets is medium");
        assert_eq!(kept(vec![], Some(Severity::High)), vec![]);
    }

    #[test]
    fn a_csv_record_has_a_cell_per_column() {
        let rows = rows_of(
            "a",
            "r",
            &reviewed("ELBSecurityPolicy-2016-08"),
            &[],
            Some(Baseline::Tls12Minimum),
            &FindingFilter::default(),
        );
        for row in &rows {
            assert_eq!(csv_record(row).len(), CSV_COLUMNS.len());
        }
        assert_eq!(csv_record(&rows[1])[14], "legacy-client-tls backend-without-tls13");
        assert_eq!(csv_record(&rows[1])[18], "fail");
    }
}
