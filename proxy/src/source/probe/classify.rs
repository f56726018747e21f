//! What a target's handshakes mean: the outcome code, the alert or error it
//! rests on, and what the target accepts, from what each handshake saw.
//! Pure: `handshake.rs` makes the handshakes and reports them as [`Seen`].

use tlswatch_shared::probe::{Accepted, HANDSHAKE_TIMEOUT_SECONDS, Outcome};

/// What one TLS handshake with a target saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The TCP connection was refused or failed.
    NotConnected(String),
    /// No TCP answer in time.
    NoAnswer,
    /// Connected, but the handshake did not finish in time.
    TimedOut,
    /// The handshake finished; `alert_after` is an alert the target sent on
    /// the short read after it (TLS 1.3 asks for a client certificate only then).
    Done { protocol: String, cipher: String, alert_after: Option<u8> },
    /// The handshake failed.
    Failed(Failure),
}

/// How a handshake failed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Failure {
    /// The alert the target sent, if it sent one.
    pub alert: Option<u8>,
    /// OpenSSL's reason, or the I/O error.
    pub reason: String,
    /// The first bytes the target sent, whatever they were.
    pub received: Vec<u8>,
    /// The target closed (or reset) the connection.
    pub closed: bool,
}

/// TLS alert `certificate_required` (TLS 1.3).
pub const CERTIFICATE_REQUIRED: u8 = 116;
const PROTOCOL_VERSION: u8 = 70;
const HANDSHAKE_FAILURE: u8 = 40;
const INSUFFICIENT_SECURITY: u8 = 71;

/// The outcome of a target whose load-balancer handshake saw `first`, with
/// the diagnostic handshakes made after a failure (`diagnostics`: each
/// version tried alone with every cipher) and the versions the load
/// balancer offers; the error the outcome rests on, and what it accepts.
pub fn classify(
    first: &Seen,
    diagnostics: &[(&str, Seen)],
    offered: &[String],
) -> (Outcome, Option<String>, Option<Accepted>) {
    let accepted = (!diagnostics.is_empty()).then(|| accepted(diagnostics));
    let failure = match first {
        Seen::NotConnected(error) => return (Outcome::Unreachable, Some(error.clone()), None),
        Seen::NoAnswer => {
            let error = format!("no TCP answer in {HANDSHAKE_TIMEOUT_SECONDS} s");
            return (Outcome::Unreachable, Some(error), None);
        }
        Seen::TimedOut => {
            let error = format!("connected, but no handshake in {HANDSHAKE_TIMEOUT_SECONDS} s");
            return (Outcome::HandshakeTimeout, Some(error), None);
        }
        Seen::Done { alert_after: Some(alert), .. } if *alert == CERTIFICATE_REQUIRED => {
            return (Outcome::ClientCertificateRequired, Some(alert_text(*alert)), None);
        }
        Seen::Done { .. } => return (Outcome::Ok, None, None),
        Seen::Failed(failure) => failure,
    };
    if let Some(first_bytes) = not_tls(&failure.received) {
        return (Outcome::NotTls, Some(first_bytes), None);
    }
    let error = Some(failure_text(failure));
    let accepts = accepted.clone().unwrap_or_default();
    let common = accepts.versions.iter().any(|v| offered.contains(v));
    let elsewhere = !accepts.versions.is_empty() && !common;
    let outcome = match failure.alert {
        Some(CERTIFICATE_REQUIRED) => Outcome::ClientCertificateRequired,
        _ if accepts.client_certificate => Outcome::ClientCertificateRequired,
        Some(PROTOCOL_VERSION) => Outcome::ProtocolMismatch,
        Some(HANDSHAKE_FAILURE | INSUFFICIENT_SECURITY) if common => Outcome::CipherMismatch,
        Some(HANDSHAKE_FAILURE | INSUFFICIENT_SECURITY) if elsewhere => Outcome::ProtocolMismatch,
        None if failure.reason.contains("unsupported protocol") => Outcome::ProtocolMismatch,
        // Some servers close instead of sending protocol_version.
        None if failure.closed && elsewhere => Outcome::ProtocolMismatch,
        None if failure.closed => Outcome::Closed,
        _ => Outcome::HandshakeFailed,
    };
    (outcome, error, accepted)
}

/// Whether a target that failed with `first` is worth diagnostic
/// handshakes: a TLS server that refused the offer (not an unreachable,
/// silent or plain-text port).
pub fn needs_diagnosis(first: &Seen) -> bool {
    matches!(first, Seen::Failed(failure) if not_tls(&failure.received).is_none())
}

/// What the diagnostic handshakes found accepted.
fn accepted(diagnostics: &[(&str, Seen)]) -> Accepted {
    let mut found = Accepted::default();
    for (version, seen) in diagnostics {
        match seen {
            Seen::Done { alert_after: Some(CERTIFICATE_REQUIRED), .. } => {
                found.client_certificate = true;
                found.versions.push(version.to_string());
            }
            Seen::Done { cipher, .. } => {
                found.versions.push(version.to_string());
                found.cipher = Some(cipher.clone());
            }
            Seen::Failed(Failure { alert: Some(CERTIFICATE_REQUIRED), .. }) => found.client_certificate = true,
            _ => {}
        }
    }
    found
}

/// The first bytes a target sent, printable, when they are not a TLS record
/// (content types 20 to 23, then major version 3).
fn not_tls(received: &[u8]) -> Option<String> {
    let tls = matches!(received, [20..=23] | [20..=23, 3, ..]);
    if received.is_empty() || tls {
        return None;
    }
    let shown: String = received
        .iter()
        .take(48)
        .map(|&byte| if byte.is_ascii_graphic() || byte == b' ' { char::from(byte) } else { '.' })
        .collect();
    Some(format!("the target sent `{}` ({} bytes shown)", shown.trim_end_matches('.'), received.len().min(48)))
}

/// `alert handshake_failure (40) from the target; OpenSSL: ...`.
fn failure_text(failure: &Failure) -> String {
    match failure.alert {
        Some(alert) => alert_text(alert),
        None if failure.closed => format!("the target closed the connection without an alert ({})", failure.reason),
        None => format!("OpenSSL: {}", failure.reason),
    }
}

/// `alert protocol_version (70) from the target`.
pub fn alert_text(alert: u8) -> String {
    format!("alert {} ({alert}) from the target", alert_name(alert))
}

/// The name RFC 8446 (and RFC 5246 before it) gives a TLS alert.
fn alert_name(alert: u8) -> &'static str {
    match alert {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered() -> Vec<String> {
        ["TLSv1", "TLSv1.1", "TLSv1.2"].map(String::from).to_vec()
    }

    fn alert(alert: u8) -> Seen {
        Seen::Failed(Failure {
            alert: Some(alert),
            reason: "alert".into(),
            received: vec![21, 3, 3, 0, 2],
            closed: false,
        })
    }

    fn done(protocol: &str) -> Seen {
        Seen::Done { protocol: protocol.into(), cipher: "TLS_AES_256_GCM_SHA384".into(), alert_after: None }
    }

    fn only_tls13() -> Vec<(&'static str, Seen)> {
        vec![("TLSv1", alert(70)), ("TLSv1.1", alert(70)), ("TLSv1.2", alert(70)), ("TLSv1.3", done("TLSv1.3"))]
    }

    #[test]
    fn a_refused_version_is_a_protocol_mismatch_with_what_the_target_accepts() {
        let (outcome, error, accepts) = classify(&alert(70), &only_tls13(), &offered());
        assert_eq!(outcome, Outcome::ProtocolMismatch);
        assert_eq!(error.as_deref(), Some("alert protocol_version (70) from the target"));
        let accepts = accepts.unwrap();
        assert_eq!(accepts.versions, ["TLSv1.3"]);
        assert_eq!(accepts.cipher.as_deref(), Some("TLS_AES_256_GCM_SHA384"));
        // A server that answers handshake_failure to a version it lacks.
        assert_eq!(classify(&alert(40), &only_tls13(), &offered()).0, Outcome::ProtocolMismatch);
    }

    #[test]
    fn handshake_failure_with_a_common_version_is_a_cipher_mismatch() {
        let tls12 = vec![("TLSv1.2", done("TLSv1.2")), ("TLSv1.3", alert(70))];
        assert_eq!(classify(&alert(40), &tls12, &offered()).0, Outcome::CipherMismatch);
        assert_eq!(classify(&alert(40), &[("TLSv1.2", alert(40))], &offered()).0, Outcome::HandshakeFailed);
    }

    #[test]
    fn a_client_certificate_request_is_named_wherever_it_shows() {
        let after = Seen::Done { protocol: "TLSv1.3".into(), cipher: "x".into(), alert_after: Some(116) };
        assert_eq!(classify(&after, &[], &offered()).0, Outcome::ClientCertificateRequired);
        assert_eq!(classify(&alert(116), &[], &offered()).0, Outcome::ClientCertificateRequired);
        let diagnosed = vec![("TLSv1.2", alert(40)), ("TLSv1.3", after)];
        let (outcome, _, accepts) = classify(&alert(40), &diagnosed, &offered());
        assert_eq!(outcome, Outcome::ClientCertificateRequired);
        assert!(accepts.unwrap().client_certificate);
    }

    #[test]
    fn plain_text_is_not_tls_and_shows_its_first_bytes() {
        let http = Failure {
            reason: "wrong version number".into(),
            received: b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec(),
            ..Failure::default()
        };
        let (outcome, error, _) = classify(&Seen::Failed(http.clone()), &[], &offered());
        assert_eq!(outcome, Outcome::NotTls);
        assert!(error.unwrap().contains("`HTTP/1.1 400 Bad Request..Content-Length: 0`"));
        assert!(!needs_diagnosis(&Seen::Failed(http)));
    }

    #[test]
    fn the_rest_is_closed_timed_out_unreachable_or_failed() {
        let closed = Seen::Failed(Failure { reason: "unexpected eof".into(), closed: true, ..Failure::default() });
        assert!(needs_diagnosis(&closed));
        assert_eq!(classify(&closed, &[], &offered()).0, Outcome::Closed);
        assert_eq!(classify(&closed, &only_tls13(), &offered()).0, Outcome::ProtocolMismatch);
        assert_eq!(classify(&Seen::TimedOut, &[], &offered()).0, Outcome::HandshakeTimeout);
        assert_eq!(classify(&Seen::NoAnswer, &[], &offered()).0, Outcome::Unreachable);
        let refused = classify(&Seen::NotConnected("connection refused".into()), &[], &offered());
        assert_eq!((refused.0, refused.1.as_deref()), (Outcome::Unreachable, Some("connection refused")));
        let (outcome, error, _) = classify(&alert(112), &[], &offered());
        assert_eq!(
            (outcome, error.as_deref()),
            (Outcome::HandshakeFailed, Some("alert unrecognized_name (112) from the target"))
        );
        assert_eq!(classify(&done("TLSv1.2"), &[], &offered()).0, Outcome::Ok);
    }
}
