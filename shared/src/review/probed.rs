//! The probe's evidence, judged: what each target's outcome means for the
//! load balancer and how to fix it, and the findings it brings
//! (`target-rejects-backend-tls`, `target-accepts-legacy-tls`,
//! `target-certificate`, and `tls-errors` citing the outcomes instead of
//! the causes that fit). Pure, like the review.

use super::{
    Finding, FindingCode, LoadBalancerReview, METRICS_DOC, SECURITY_POLICIES_DOC, SUGGESTED_TLS13_POLICY, Severity,
    TARGET_GROUPS_DOC, TLS13_BACKEND_POLICY,
};
use crate::probe::{HANDSHAKE_TIMEOUT_SECONDS, Handshake, Outcome, TargetGroupProbe, TargetProbe};
use crate::tls::{version_label, versions_label};

/// Where a target's explanation says the load balancer sends no SNI.
const NO_SNI: &str = "The load balancer sends targets no SNI (AWS does not document SNI toward targets; users \
    report none is sent): a target that picks its certificate by name needs a default certificate for \
    connections without one.";

/// What `handshake` means for the load balancer's connections to a target
/// of `group`, and the fix.
pub fn explain(group: &TargetGroupProbe, handshake: &Handshake) -> String {
    let offered = versions_label(&group.offered.protocols);
    let policies = format!("listener policy {}, backend policy {}", group.listener_policy, group.backend_policy);
    let error = handshake.error.as_deref().unwrap_or("no detail");
    let diagnosed = handshake.accepts.as_ref().map(|a| a.versions.clone());
    let accepted = diagnosed.clone().unwrap_or_default();
    let text = match handshake.outcome {
        Outcome::Ok => format!(
            "the load balancer's handshake succeeds: {} with {}{}{}",
            handshake.protocol.as_deref().map(version_label).unwrap_or_default(),
            handshake.cipher.as_deref().unwrap_or("an unknown cipher"),
            handshake.duration_ms.map(|ms| format!(", in {ms} ms")).unwrap_or_default(),
            match handshake.legacy_accepted.as_deref() {
                Some([]) => "; offered TLS 1.0 and 1.1 alone, it refuses both".to_string(),
                Some(taken) => format!(
                    "; offered alone, it still takes {}, which compliance reviews rule out. Fix: disable them on the \
                     target",
                    versions_label(taken)
                ),
                None => String::new(),
            }
        ),
        Outcome::ProtocolMismatch => format!(
            "{}; the load balancer offers {offered} to it ({policies}). Fix: {}",
            accepts_label(&accepted),
            version_fix(&accepted, &group.offered.protocols)
        ),
        Outcome::CipherMismatch => {
            let common: Vec<String> =
                accepted.iter().filter(|v| group.offered.protocols.contains(v)).cloned().collect();
            let took = handshake.accepts.as_ref().and_then(|a| a.cipher.as_deref());
            format!(
                "accepts {} but none of the {} ciphers the load balancer offers ({policies}){}. Fix: enable one of \
                 the policy's ciphers on the target, for example {}",
                versions_label(&common),
                group.offered.ciphers.len(),
                took.map(|c| format!("; offered every cipher, it took {c}")).unwrap_or_default(),
                example_cipher(group, &common)
            )
        }
        Outcome::ClientCertificateRequired => format!(
            "asks for a client certificate ({error}); the load balancer presents none to its targets, so every \
             handshake fails. Fix: stop requiring client certificates on the port the target group uses (admit the \
             load balancer by its security group instead)"
        ),
        Outcome::NotTls => format!(
            "answered something other than TLS ({error}): it serves plain text on the port the target group reaches \
             with HTTPS. Fix: serve TLS on that port, or give the target group protocol HTTP"
        ),
        Outcome::Closed => format!(
            "closed the connection during the handshake ({error}){}. Fix: read the target's TLS server log: a \
             server without a usable certificate or key, or a proxy in front of it, often does this",
            known_versions(&diagnosed)
        ),
        Outcome::HandshakeFailed => format!("the handshake failed ({error}){}. {NO_SNI}", known_versions(&diagnosed)),
        Outcome::HandshakeTimeout => format!(
            "did not finish the handshake in {HANDSHAKE_TIMEOUT_SECONDS} s, the load balancer's handshake timeout: \
             an overloaded target, or a port that accepts connections but never answers TLS"
        ),
        Outcome::Unreachable => format!(
            "not reachable from tlswatch ({error}): this says nothing of the load balancer's own path and does not \
             cause the metric; the target's security group may admit only the load balancer (docs/deploy.md says how \
             to admit tlswatch)"
        ),
        Outcome::NotProbed => format!("not probed: {error}"),
    };
    match &handshake.alpn {
        Some(alpn) => format!(
            "{text}. ALPN {} (for information: AWS does not document the load balancer's ALPN toward targets): {}",
            alpn.offered,
            match (&alpn.selected, &alpn.error) {
                (Some(selected), _) => format!("it selected {selected}"),
                (None, Some(error)) => format!("that handshake failed ({error})"),
                (None, None) => "it selected none".to_string(),
            }
        ),
        None => text,
    }
}

/// `accepts only TLS 1.3`, from the diagnostic handshakes.
fn accepts_label(accepted: &[String]) -> String {
    if accepted.is_empty() {
        "it refused every TLS version tried, one at a time".to_string()
    } else {
        format!("accepts only {}", versions_label(accepted))
    }
}

/// What the diagnostic handshakes found, if they were made.
fn known_versions(accepted: &Option<Vec<String>>) -> String {
    match accepted {
        None => String::new(),
        Some(accepted) if accepted.is_empty() => {
            "; offered each version alone with every cipher OpenSSL has, it accepted none".to_string()
        }
        Some(accepted) => {
            format!("; offered one version at a time with every cipher, it accepts {}", versions_label(accepted))
        }
    }
}

/// How to make a target that accepts `accepted` meet a load balancer that
/// offers `offered`.
fn version_fix(accepted: &[String], offered: &[String]) -> String {
    let newest_offered = offered.iter().rev().find(|v| v.as_str() != "TLSv1.3").or(offered.last());
    let on_target = newest_offered.map(|v| format!("{} on the target", version_label(v)));
    let tls13 = accepted.iter().any(|v| v == "TLSv1.3") && !offered.iter().any(|v| v == "TLSv1.3");
    match (tls13, on_target) {
        (true, Some(on_target)) => format!(
            "a TLS 1.3 listener policy (for example {SUGGESTED_TLS13_POLICY}, which makes the load balancer offer \
             {TLS13_BACKEND_POLICY} to targets), or {on_target}"
        ),
        (true, None) => format!("a TLS 1.3 listener policy (for example {SUGGESTED_TLS13_POLICY})"),
        (false, Some(on_target)) => format!("enable {on_target}"),
        (false, None) => "a listener policy that offers a version the target accepts".to_string(),
    }
}

/// A cipher of the backend policy for one of `versions` (TLS 1.3's suites
/// have their own names).
fn example_cipher(group: &TargetGroupProbe, versions: &[String]) -> String {
    let tls13_only = versions.iter().all(|v| v == "TLSv1.3") && !versions.is_empty();
    group
        .offered
        .ciphers
        .iter()
        .find(|c| c.starts_with("TLS_") == tls13_only)
        .cloned()
        .unwrap_or_else(|| "one of them".to_string())
}

/// The review's findings with the probe's evidence (`tls-errors` citing the
/// outcomes), and the probe's own findings; most severe first. A what-if
/// (`what_if`: the listener policy probed as if in use) brings the probe's
/// findings only, each saying it is a what-if.
pub fn findings(
    reviewed: &LoadBalancerReview,
    probed: &[TargetGroupProbe],
    now: i64,
    what_if: Option<&str>,
) -> Vec<Finding> {
    let mut found: Vec<Finding> = match what_if {
        Some(_) => Vec::new(),
        None => reviewed.findings.iter().map(|finding| cite_probe(finding, reviewed, probed)).collect(),
    };
    let prefix = what_if.map(|policy| format!("What-if, with {policy} on the listener: ")).unwrap_or_default();
    for group in probed {
        let finding = |code, severity, text: String, doc: &str| Finding {
            code,
            severity,
            load_balancer: reviewed.value.clone(),
            target_group: Some(group.value.clone()),
            listener_port: None,
            text: format!("{prefix}{text}"),
            doc: doc.to_string(),
        };
        let when = when_probed(&group.targets);
        let failing: Vec<&TargetProbe> =
            group.targets.iter().filter(|t| t.handshake.outcome.fails_the_load_balancer()).collect();
        if !failing.is_empty() {
            let rows: Vec<String> = failing.iter().map(|t| format!("{}: {}", row_name(t), row_text(t))).collect();
            found.push(finding(
                FindingCode::TargetRejectsBackendTls,
                Severity::High,
                format!(
                    "{} of {} targets of {}{when} fail the handshake the load balancer makes with {} ({}): {}",
                    failing.len(),
                    group.targets.len(),
                    group.name,
                    group.backend_policy,
                    versions_label(&group.offered.protocols),
                    rows.join("; ")
                ),
                SECURITY_POLICIES_DOC,
            ));
        }
        let legacy: Vec<String> = group.targets.iter().filter_map(legacy_versions).collect();
        if !legacy.is_empty() {
            found.push(finding(
                FindingCode::TargetAcceptsLegacyTls,
                Severity::Medium,
                format!(
                    "{} of the {} targets of {}{when} still accept TLS 1.0 or 1.1, versions with known weaknesses that \
                     compliance reviews (PCI DSS among them) rule out: {}. Disable them on the targets",
                    legacy.len(),
                    group.targets.len(),
                    group.name,
                    legacy.join("; ")
                ),
                SECURITY_POLICIES_DOC,
            ));
        }
        let weak: Vec<String> = group.targets.iter().filter_map(|t| certificate_faults(t, now)).collect();
        if !weak.is_empty() {
            found.push(finding(
                FindingCode::TargetCertificate,
                Severity::Info,
                format!(
                    "{} of the {} targets of {}{when} present a certificate that other clients and auditors would reject: \
                     {}. The load balancer does not validate target certificates, so this does not cause \
                     TargetTLSNegotiationErrorCount",
                    weak.len(),
                    group.targets.len(),
                    group.name,
                    weak.join("; ")
                ),
                TARGET_GROUPS_DOC,
            ));
        }
    }
    found.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.code.cmp(&b.code)));
    found
}

/// A review finding, its `tls-errors` citing the probe of its group when
/// some target of it was probed.
fn cite_probe(finding: &Finding, reviewed: &LoadBalancerReview, probed: &[TargetGroupProbe]) -> Finding {
    let group = finding.target_group.as_deref();
    let groups: Vec<&TargetGroupProbe> = probed.iter().filter(|p| Some(p.value.as_str()) == group).collect();
    let targets: Vec<&TargetProbe> = groups.iter().flat_map(|g| &g.targets).collect();
    let tried: Vec<&&TargetProbe> = targets.iter().filter(|t| t.handshake.outcome != Outcome::NotProbed).collect();
    if finding.code != FindingCode::TlsErrors || tried.is_empty() {
        return finding.clone();
    }
    let Some(reviewed_group) = reviewed.target_groups.iter().find(|g| Some(g.value.as_str()) == group) else {
        return finding.clone();
    };
    let failing: Vec<&&&TargetProbe> = tried.iter().filter(|t| t.handshake.outcome.fails_the_load_balancer()).collect();
    let evidence = if failing.is_empty() {
        let unreachable = tried.iter().filter(|t| t.handshake.outcome == Outcome::Unreachable).count();
        format!(
            "every target tlswatch reached completed the load balancer's handshake ({} of {} reached{}): \
             the errors may come from targets since replaced, or from handshakes that time out under load",
            tried.len() - unreachable,
            targets.len(),
            if unreachable > 0 { ", the others not reachable from tlswatch" } else { "" }
        )
    } else {
        let rows: Vec<String> = failing.iter().map(|t| format!("{}: {}", row_name(t), row_text(t))).collect();
        format!("{} of {} targets fail it: {}", failing.len(), targets.len(), rows.join("; "))
    };
    Finding {
        text: format!(
            "{} TLS handshakes from the load balancer to {} failed in this range; the probe made the load balancer's \
             handshake with its targets{}: {evidence}",
            reviewed_group.errors.total,
            reviewed_group.name,
            when_probed(targets.iter().copied())
        ),
        doc: METRICS_DOC.to_string(),
        ..finding.clone()
    }
}

/// `10.0.1.5:8443`: a row's address and port.
fn row_name(target: &TargetProbe) -> String {
    format!("{}:{}", target.address.as_deref().unwrap_or(&target.id), target.port)
}

/// `protocol-mismatch, accepts only TLS 1.3; ...`: a row's outcome and explanation.
fn row_text(target: &TargetProbe) -> String {
    format!("{}, {}", target.handshake.outcome.as_str(), target.explanation)
}

/// `10.0.1.5:8443 (TLS 1.0)`, for a target known to accept TLS 1.0 or 1.1.
fn legacy_versions(target: &TargetProbe) -> Option<String> {
    let versions = target.handshake.legacy_known().filter(|known| !known.is_empty())?;
    Some(format!("{} ({})", row_name(target), versions_label(&versions)))
}

/// ` (probed at 2026-12-03T10:00:00Z)`: when the oldest handshake of
/// `targets` was made; empty when none was.
fn when_probed<'a>(targets: impl IntoIterator<Item = &'a TargetProbe>) -> String {
    let oldest = targets.into_iter().filter_map(|t| t.probed_at).min();
    oldest.map(|at| format!(" (probed at {})", crate::time::TimeSpec::At(at))).unwrap_or_default()
}

/// `10.0.1.5:8443: expired ..., self-signed`, for a target whose
/// certificate is expired, self-signed or has a weak key.
fn certificate_faults(target: &TargetProbe, now: i64) -> Option<String> {
    let certificate = target.handshake.certificate.as_ref()?;
    let mut faults = Vec::new();
    if certificate.not_after < now {
        faults.push(format!("expired (not after {})", crate::time::TimeSpec::At(certificate.not_after)));
    }
    if certificate.self_signed {
        faults.push("self-signed".to_string());
    }
    let weak = match certificate.key_type.as_str() {
        "RSA" | "DSA" => certificate.key_bits < 2048,
        "EC" => certificate.key_bits < 256,
        _ => false,
    };
    if weak {
        faults.push(format!("a weak {}-bit {} key", certificate.key_bits, certificate.key_type));
    }
    (!faults.is_empty()).then(|| format!("{} ({}): {}", row_name(target), certificate.subject, faults.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{Accepted, CertificateInfo};
    use crate::review::{ErrorsInRange, HealthCheck, TargetGroupReview, TargetHealth};
    use crate::tls::SslPolicy;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn handshake(outcome: Outcome) -> Handshake {
        Handshake { outcome, handshakes: 1, ..Handshake::not_probed("") }
    }

    fn group(targets: Vec<TargetProbe>) -> TargetGroupProbe {
        TargetGroupProbe {
            value: "targetgroup/checkout-tls/4b1e8d2c9f0a7365".into(),
            name: "checkout-tls".into(),
            protocol_version: Some("HTTP1".into()),
            listener_policy: "ELBSecurityPolicy-2016-08".into(),
            backend_policy: "ELBSecurityPolicy-2016-08".into(),
            offered: SslPolicy {
                protocols: strings(&["TLSv1", "TLSv1.1", "TLSv1.2"]),
                ciphers: strings(&["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"]),
            },
            targets,
        }
    }

    fn target(address: &str, handshake: Handshake) -> TargetProbe {
        TargetProbe {
            id: address.into(),
            address: Some(address.into()),
            port: 8443,
            availability_zone: Some("us-east-1a".into()),
            health: "healthy".into(),
            handshake,
            explanation: String::new(),
            probed_at: None,
        }
    }

    fn explained(group: &TargetGroupProbe, mut target: TargetProbe) -> TargetProbe {
        target.explanation = explain(group, &target.handshake);
        target
    }

    #[test]
    fn a_tls13_only_target_behind_the_default_policy_reads_as_the_issue_says() {
        let accepts = Accepted {
            versions: strings(&["TLSv1.3"]),
            cipher: Some("TLS_AES_256_GCM_SHA384".into()),
            ..Accepted::default()
        };
        let seen = Handshake { accepts: Some(accepts), ..handshake(Outcome::ProtocolMismatch) };
        let text = explain(&group(vec![]), &seen);
        assert!(text.starts_with("accepts only TLS 1.3; the load balancer offers TLS 1.0-1.2 to it"), "{text}");
        assert!(text.contains("listener policy ELBSecurityPolicy-2016-08"), "{text}");
        assert!(
            text.contains("Fix: a TLS 1.3 listener policy") && text.ends_with("or TLS 1.2 on the target"),
            "{text}"
        );
    }

    #[test]
    fn each_outcome_names_what_it_rests_on() {
        let g = group(vec![]);
        let with_error = |outcome, error: &str| Handshake { error: Some(error.into()), ..handshake(outcome) };
        let cipher = Handshake {
            accepts: Some(Accepted {
                versions: strings(&["TLSv1.2"]),
                cipher: Some("ECDHE-RSA-CHACHA20-POLY1305".into()),
                ..Accepted::default()
            }),
            ..with_error(Outcome::CipherMismatch, "alert handshake_failure (40) from the target")
        };
        let text = explain(&g, &cipher);
        assert!(text.contains("accepts TLS 1.2 but none of the 2 ciphers"), "{text}");
        assert!(
            text.contains("it took ECDHE-RSA-CHACHA20-POLY1305") && text.contains("ECDHE-RSA-AES128-GCM-SHA256"),
            "{text}"
        );
        let text = explain(&g, &with_error(Outcome::NotTls, "`HTTP/1.0 400 Bad request`"));
        assert!(text.contains("HTTP/1.0 400") && text.contains("protocol HTTP"), "{text}");
        let text = explain(&g, &with_error(Outcome::HandshakeFailed, "alert unrecognized_name (112)"));
        assert!(text.contains("no SNI"), "{text}");
        let text = explain(&g, &with_error(Outcome::Unreachable, "connection refused"));
        assert!(text.contains("not reachable from tlswatch") && text.contains("does not cause the metric"), "{text}");
        assert!(explain(&g, &handshake(Outcome::HandshakeTimeout)).contains("10 s"));
    }

    fn reviewed(errors: f64) -> LoadBalancerReview {
        let failing = Finding {
            code: FindingCode::TlsErrors,
            severity: Severity::High,
            load_balancer: "app/payments-alb/3e9c1f0a7b2d4c68".into(),
            target_group: Some("targetgroup/checkout-tls/4b1e8d2c9f0a7365".into()),
            listener_port: None,
            text: "causes that fit".into(),
            doc: METRICS_DOC.into(),
        };
        LoadBalancerReview {
            value: "app/payments-alb/3e9c1f0a7b2d4c68".into(),
            name: "payments-alb".into(),
            scheme: "internet-facing".into(),
            listeners: vec![],
            target_groups: vec![TargetGroupReview {
                value: "targetgroup/checkout-tls/4b1e8d2c9f0a7365".into(),
                name: "checkout-tls".into(),
                protocol: "HTTPS".into(),
                protocol_version: None,
                port: Some(8443),
                health_check: HealthCheck::default(),
                targets: TargetHealth::default(),
                backend_policies: strings(&["ELBSecurityPolicy-2016-08"]),
                errors: ErrorsInRange { total: errors, ..ErrorsInRange::default() },
            }],
            findings: vec![failing],
        }
    }

    #[test]
    fn the_probe_brings_its_findings_and_tls_errors_cite_it() {
        let accepts = Accepted { versions: strings(&["TLSv1.3"]), ..Accepted::default() };
        let rejected = Handshake { accepts: Some(accepts), ..handshake(Outcome::ProtocolMismatch) };
        let legacy =
            Handshake { protocol: Some("TLSv1".into()), cipher: Some("AES128-SHA".into()), ..handshake(Outcome::Ok) };
        let certificate = CertificateInfo {
            subject: "CN=old".into(),
            sans: vec![],
            issuer: "CN=old".into(),
            not_after: 1_000,
            key_type: "RSA".into(),
            key_bits: 1024,
            self_signed: true,
        };
        let old = Handshake { certificate: Some(certificate), ..legacy.clone() };
        let mut g = group(vec![]);
        g.targets = vec![
            explained(&g, target("127.0.0.1", rejected)),
            explained(&g, target("127.0.0.2", legacy)),
            explained(&g, target("127.0.0.3", old)),
            explained(&g, target("127.0.0.4", handshake(Outcome::Unreachable))),
        ];
        let found = findings(&reviewed(120.0), std::slice::from_ref(&g), 2_000, None);
        let codes: Vec<FindingCode> = found.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            vec![
                FindingCode::TlsErrors,
                FindingCode::TargetRejectsBackendTls,
                FindingCode::TargetAcceptsLegacyTls,
                FindingCode::TargetCertificate
            ]
        );
        assert!(
            found[0].text.contains("1 of 4 targets fail it: 127.0.0.1:8443: protocol-mismatch, accepts only TLS 1.3"),
            "{}",
            found[0].text
        );
        assert!(!found[0].text.contains("causes that fit"));
        assert!(found[1].text.starts_with("1 of 4 targets of checkout-tls fail"), "{}", found[1].text);
        assert!(
            found[2].text.contains("127.0.0.2:8443 (TLS 1.0)") && found[2].text.contains("127.0.0.3:8443"),
            "{}",
            found[2].text
        );
        let certificate = &found[3].text;
        assert!(
            certificate.contains("expired")
                && certificate.contains("self-signed")
                && certificate.contains("1024-bit RSA"),
            "{certificate}"
        );
        assert!(certificate.contains("does not validate target certificates"), "{certificate}");

        let what_if = findings(&reviewed(120.0), &[g], 2_000, Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
        assert!(what_if.iter().all(|f| f.code != FindingCode::TlsErrors), "a what-if brings the probe's findings only");
        assert!(what_if.iter().all(|f| f.text.starts_with("What-if, with ELBSecurityPolicy-TLS13-1-2-2021-06")));
    }

    #[test]
    fn a_target_that_negotiates_tls12_but_still_takes_tls10_is_found_and_the_probe_time_is_said() {
        let checked = |accepted: &[&str]| Handshake {
            protocol: Some("TLSv1.2".into()),
            legacy_accepted: Some(strings(accepted)),
            ..handshake(Outcome::Ok)
        };
        let mut g = group(vec![]);
        g.targets = vec![
            TargetProbe { probed_at: Some(1_800), ..explained(&g, target("127.0.0.1", checked(&["TLSv1"]))) },
            TargetProbe { probed_at: Some(1_200), ..explained(&g, target("127.0.0.2", checked(&[]))) },
        ];
        assert_eq!(g.targets[1].handshake.legacy_known(), Some(vec![]), "tried, and refused");
        assert!(g.targets[0].explanation.contains("it still takes TLS 1.0"), "{}", g.targets[0].explanation);
        assert!(g.targets[1].explanation.ends_with("it refuses both"), "{}", g.targets[1].explanation);
        assert_eq!(handshake(Outcome::Unreachable).legacy_known(), None, "never tried");
        let found = findings(&reviewed(0.0), &[g], 2_000, None);
        let legacy = found.iter().find(|f| f.code == FindingCode::TargetAcceptsLegacyTls).expect("legacy finding");
        assert!(
            legacy.text.contains("127.0.0.1:8443 (TLS 1.0)") && !legacy.text.contains("127.0.0.2"),
            "{}",
            legacy.text
        );
        assert!(legacy.text.contains("checkout-tls (probed at 1970-01-01T00:20:00Z)"), "the oldest: {}", legacy.text);
    }

    #[test]
    fn tls_errors_say_so_when_every_target_passes_now() {
        let mut g = group(vec![]);
        g.targets = vec![explained(&g, target("127.0.0.1", handshake(Outcome::Ok)))];
        let found = findings(&reviewed(5.0), &[g], 0, None);
        assert_eq!(found.len(), 1);
        assert!(found[0].text.contains("every target tlswatch reached completed"), "{}", found[0].text);
    }
}
