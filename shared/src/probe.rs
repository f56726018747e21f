//! The target probe (`/api/v1/probe`): what tlswatch saw when it did what
//! the load balancer does, a TLS handshake with each registered target
//! offering exactly the backend policy's protocols and ciphers. Types
//! only: `probe_plan` picks the targets, the proxy handshakes,
//! [`crate::review`] judges what it saw.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::tls::{SslPolicy, is_legacy};

/// How long the load balancer waits for a target's handshake (AWS: 10 s),
/// and how long the probe waits for a TCP answer.
pub const HANDSHAKE_TIMEOUT_SECONDS: u64 = 10;
/// Most targets one probe request handshakes with; the rest are `not-probed`.
pub const MAX_TARGETS_PER_PROBE: usize = 200;

/// What happened to one target: a contract (docs/api.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The handshake the load balancer would make succeeded.
    Ok,
    /// The target refused every version offered (alert protocol_version).
    ProtocolMismatch,
    /// Versions overlap, no cipher does (alert handshake_failure, while a
    /// wide handshake succeeds).
    CipherMismatch,
    /// The target asks for a client certificate; the load balancer has none.
    ClientCertificateRequired,
    /// The port answered something other than TLS.
    NotTls,
    /// The target closed or reset the connection during the handshake.
    Closed,
    /// Any other alert or error, named in the row's `error`.
    HandshakeFailed,
    /// No handshake within 10 s, the load balancer's handshake timeout.
    HandshakeTimeout,
    /// Refused, or no TCP answer within 10 s: not reachable from tlswatch.
    Unreachable,
    /// Not connected to, with why (outside the allow-list, an instance
    /// target without an address, the per-request cap).
    NotProbed,
}

impl Outcome {
    /// Every outcome, in the order docs/api.md lists them.
    pub const ALL: [Self; 10] = [
        Self::Ok,
        Self::ProtocolMismatch,
        Self::CipherMismatch,
        Self::ClientCertificateRequired,
        Self::NotTls,
        Self::Closed,
        Self::HandshakeFailed,
        Self::HandshakeTimeout,
        Self::Unreachable,
        Self::NotProbed,
    ];

    /// The code as the API writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ProtocolMismatch => "protocol-mismatch",
            Self::CipherMismatch => "cipher-mismatch",
            Self::ClientCertificateRequired => "client-certificate-required",
            Self::NotTls => "not-tls",
            Self::Closed => "closed",
            Self::HandshakeFailed => "handshake-failed",
            Self::HandshakeTimeout => "handshake-timeout",
            Self::Unreachable => "unreachable",
            Self::NotProbed => "not-probed",
        }
    }

    /// Whether the load balancer's own handshake with the target would
    /// fail: an outcome that counts in `TargetTLSNegotiationErrorCount`.
    /// `unreachable` does not: tlswatch's path is not the load balancer's.
    pub const fn fails_the_load_balancer(self) -> bool {
        !matches!(self, Self::Ok | Self::Unreachable | Self::NotProbed)
    }
}

/// The certificate a target presented (never validated: the load balancer
/// validates none either).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    /// DNS names and addresses of its subject alternative names.
    pub sans: Vec<String>,
    pub issuer: String,
    /// Epoch seconds.
    pub not_after: i64,
    /// `RSA`, `EC`, `Ed25519`, ...
    pub key_type: String,
    pub key_bits: u32,
    pub self_signed: bool,
}

/// What a failing target does accept, from a few diagnostic handshakes
/// (every cipher OpenSSL knows, one version at a time).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Accepted {
    /// `TLSv1` .. `TLSv1.3`, as DescribeSSLPolicies names them.
    pub versions: Vec<String>,
    /// A cipher it took, in its newest version.
    pub cipher: Option<String>,
    /// The diagnostic handshakes showed it asks for a client certificate.
    #[serde(default)]
    pub client_certificate: bool,
}

/// The informational ALPN `h2` handshake of HTTP2 and gRPC groups (AWS does
/// not document the load balancer's ALPN toward targets).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlpnCheck {
    pub offered: String,
    /// What the target selected; `None`: none, or the handshake failed (`error`).
    pub selected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What the probe saw of one target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Handshake {
    pub outcome: Outcome,
    /// The TLS alert or error the outcome rests on (for `not-tls`, the
    /// first bytes received, printable), or why it was not probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The negotiated version (`TLSv1.2`) and cipher, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    /// How long the load balancer's handshake took (TCP connection excluded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateInfo>,
    /// On failure, what the target accepts instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepts: Option<Accepted>,
    /// TLS handshakes made with the target, diagnostics included.
    pub handshakes: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpn: Option<AlpnCheck>,
    /// On success at a newer version, when the offer holds TLS 1.0 or 1.1:
    /// which of those the target also accepts, each tried alone with every
    /// cipher (empty: it refuses them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_accepted: Option<Vec<String>>,
}

impl Handshake {
    /// A target left alone, and why.
    pub fn not_probed(why: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::NotProbed,
            error: Some(why.into()),
            protocol: None,
            cipher: None,
            duration_ms: None,
            certificate: None,
            accepts: None,
            handshakes: 0,
            alpn: None,
            legacy_accepted: None,
        }
    }

    /// The versions older than TLS 1.2 the target is known to accept, from
    /// the version it negotiated, the diagnostic handshakes and the check of
    /// those versions; `None` when nothing tried them.
    pub fn legacy_known(&self) -> Option<Vec<String>> {
        let negotiated = self.protocol.iter().filter(|v| is_legacy(v));
        let diagnosed = self.accepts.as_ref().map(|a| a.versions.iter().filter(|v| is_legacy(v)));
        let checked = self.legacy_accepted.as_ref();
        let mut known: Vec<String> =
            negotiated.chain(diagnosed.into_iter().flatten()).chain(checked.into_iter().flatten()).cloned().collect();
        known.sort();
        known.dedup();
        let tried = self.accepts.is_some() || checked.is_some() || !known.is_empty();
        tried.then_some(known)
    }
}

/// One handshake to make: where, offering what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProbeTarget {
    pub address: SocketAddr,
    /// The backend policy's protocols and ciphers.
    pub offer: SslPolicy,
    /// Also try ALPN `h2` (HTTP2 and gRPC groups), for information.
    pub alpn_h2: bool,
}

/// A target as the probe answer lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProbe {
    /// The target's ID as registered: an address, or an instance ID.
    pub id: String,
    /// The address connected to, if any.
    pub address: Option<String>,
    pub port: u16,
    pub availability_zone: Option<String>,
    /// Its health as Elastic Load Balancing reports it (`healthy`, ...).
    pub health: String,
    #[serde(flatten)]
    pub handshake: Handshake,
    /// What the outcome means for the load balancer, and the fix.
    pub explanation: String,
    /// When this handshake was made, epoch seconds; `None` when not probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed_at: Option<i64>,
}

/// A target group probed with one backend policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroupProbe {
    pub value: String,
    pub name: String,
    pub protocol_version: Option<String>,
    /// The listener policy the backend policy follows (the what-if's, with `policy=`).
    pub listener_policy: String,
    pub backend_policy: String,
    /// What the probe offered: the backend policy as DescribeSSLPolicies describes it.
    pub offered: SslPolicy,
    pub targets: Vec<TargetProbe>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_written_as_the_api_writes_them() {
        for outcome in Outcome::ALL {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
        }
        let failing: Vec<&str> =
            Outcome::ALL.iter().filter(|o| o.fails_the_load_balancer()).map(|o| o.as_str()).collect();
        assert_eq!(failing.len(), 7, "{failing:?}");
        assert!(!failing.contains(&"unreachable"), "tlswatch's path is not the load balancer's");
    }
}
