//! The target probe: TLS handshakes with registered targets, made as the
//! load balancer makes them (`handshake.rs`), and what they mean
//! (`classify.rs`). A source beside metrics and configuration, reached
//! through the same call layer and cache; it connects only to addresses in
//! its allow-list (`--probe-targets`), whatever it is asked, one connection
//! per target at a time and at most `--probe-concurrency` across all
//! requests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{self, StreamExt};
use ipnet::IpNet;
use openssl::ssl::SslContext;
use tlswatch_shared::probe::{AlpnCheck, HANDSHAKE_TIMEOUT_SECONDS, Handshake, Outcome, ProbeTarget};
use tlswatch_shared::tls::{SslPolicy, VERSIONS, is_legacy};
use tokio::sync::Semaphore;

use super::SourceError;

mod classify;
mod handshake;

use classify::{Seen, classify, needs_diagnosis};
use handshake::{Made, context, diagnostic_context};

/// How long the read after a TLS 1.3 handshake waits for an alert: a
/// target that asks for a client certificate answers the client's
/// Finished at once.
const READ_AFTER: Duration = Duration::from_millis(300);

/// Handshakes with targets.
#[async_trait]
pub trait ProbeSource: Send + Sync {
    /// What each of `targets` did with the handshake it was offered, in order.
    async fn probe(&self, targets: &[ProbeTarget]) -> Result<Vec<Handshake>, SourceError>;
}

/// The probe before an allow-list is configured: it connects to nothing.
pub struct Off;

#[async_trait]
impl ProbeSource for Off {
    async fn probe(&self, targets: &[ProbeTarget]) -> Result<Vec<Handshake>, SourceError> {
        Ok(targets.iter().map(|_| Handshake::not_probed("the probe is off (--probe-targets)")).collect())
    }
}

/// The addresses the probe may connect to (`--probe-targets`); empty: none,
/// and the probe is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList(pub Vec<IpNet>);

impl AllowList {
    pub fn admits(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    pub fn is_off(&self) -> bool {
        self.0.is_empty()
    }
}

/// The probe with OpenSSL.
pub struct TlsProber {
    allow: AllowList,
    permits: Arc<Semaphore>,
    concurrency: usize,
    timeout: Duration,
    /// One context per version with every cipher, for the diagnostics.
    diagnostics: Vec<(&'static str, SslContext)>,
}

impl TlsProber {
    /// A probe of the addresses `allow` admits, `concurrency` targets at once.
    pub fn new(allow: AllowList, concurrency: usize) -> Result<Self, String> {
        let diagnostics = VERSIONS
            .iter()
            .map(|version| diagnostic_context(version).map(|context| (*version, context)))
            .collect::<Result<_, _>>()
            .map_err(|err| format!("OpenSSL cannot build the probe's TLS client: {err}"))?;
        let concurrency = concurrency.max(1);
        Ok(Self {
            allow,
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            timeout: Duration::from_secs(HANDSHAKE_TIMEOUT_SECONDS),
            diagnostics,
        })
    }

    /// Every handshake with one target, one at a time: the load balancer's,
    /// then, on a failure, each version alone with every cipher; on a
    /// success at a newer version, each of TLS 1.0 and 1.1 the offer holds,
    /// alone (what a compliance review asks); and for HTTP2 and gRPC groups
    /// the informational ALPN `h2` one.
    async fn probe_one(&self, target: &ProbeTarget, offer: &SslContext, alpn: Option<&SslContext>) -> Handshake {
        if !self.allow.admits(target.address.ip()) {
            return Handshake::not_probed(format!("{} is outside the allow-list (--probe-targets)", target.address));
        }
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        let first = handshake::handshake(target.address, offer, self.timeout, READ_AFTER).await;
        let mut handshakes = u32::from(first.started);
        let mut diagnostics = Vec::new();
        // The certificate a failing target presents to a handshake it accepts.
        let mut certificate = first.certificate;
        if needs_diagnosis(&first.seen) {
            for (version, context) in &self.diagnostics {
                let made = handshake::handshake(target.address, context, self.timeout, READ_AFTER).await;
                handshakes += u32::from(made.started);
                certificate = certificate.or(made.certificate);
                diagnostics.push((*version, made.seen));
            }
        }
        let (outcome, error, accepts) = classify(&first.seen, &diagnostics, &target.offer.protocols);
        let legacy_accepted = match &first.seen {
            // A target that asks for a client certificate refuses every version alike.
            Seen::Done { protocol, .. } if outcome == Outcome::Ok && !is_legacy(protocol) => {
                let mut accepted = Vec::new();
                for (version, context) in self.legacy_checks(&target.offer) {
                    let made = handshake::handshake(target.address, context, self.timeout, Duration::ZERO).await;
                    handshakes += u32::from(made.started);
                    if matches!(made.seen, Seen::Done { .. }) {
                        accepted.push(version.to_string());
                    }
                }
                Some(accepted).filter(|_| target.offer.protocols.iter().any(|v| is_legacy(v)))
            }
            _ => None,
        };
        let alpn = match (alpn, &first.seen) {
            (Some(context), Seen::Done { .. }) => {
                let made = handshake::handshake(target.address, context, self.timeout, Duration::ZERO).await;
                handshakes += u32::from(made.started);
                Some(alpn_check(made))
            }
            _ => None,
        };
        let (protocol, cipher) = match first.seen {
            Seen::Done { protocol, cipher, .. } => (Some(protocol), Some(cipher)),
            _ => (None, None),
        };
        Handshake {
            outcome,
            error,
            protocol,
            cipher,
            duration_ms: first.duration.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            certificate,
            accepts,
            handshakes,
            alpn,
            legacy_accepted,
        }
    }

    /// The diagnostic contexts of the versions older than TLS 1.2 that
    /// `offer` holds.
    fn legacy_checks<'a>(&'a self, offer: &'a SslPolicy) -> impl Iterator<Item = &'a (&'static str, SslContext)> {
        self.diagnostics
            .iter()
            .filter(move |(version, _)| is_legacy(version) && offer.protocols.iter().any(|v| v == version))
    }
}

impl TlsProber {
    async fn probe_with(&self, target: &ProbeTarget, contexts: &Contexts<'_>) -> Handshake {
        if target.offer.protocols.is_empty() {
            return Handshake::not_probed("DescribeSSLPolicies did not describe the backend policy");
        }
        let offer = &contexts[&(&target.offer, false)];
        let alpn = target.alpn_h2.then(|| &contexts[&(&target.offer, true)]);
        self.probe_one(target, offer, alpn).await
    }
}

/// The client contexts of a request, by offer and whether they ask for ALPN `h2`.
type Contexts<'a> = HashMap<(&'a SslPolicy, bool), SslContext>;

fn alpn_check(made: Made) -> AlpnCheck {
    let error = match &made.seen {
        Seen::Done { .. } => None,
        other => Some(classify(other, &[], &[]).1.unwrap_or_else(|| "the handshake failed".to_string())),
    };
    AlpnCheck { offered: "h2".to_string(), selected: made.alpn, error }
}

#[async_trait]
impl ProbeSource for TlsProber {
    async fn probe(&self, targets: &[ProbeTarget]) -> Result<Vec<Handshake>, SourceError> {
        // One context per offer (and per offer with ALPN) for the whole request.
        let mut contexts: Contexts = HashMap::new();
        for target in targets {
            for alpn in [false, target.alpn_h2].into_iter().collect::<std::collections::BTreeSet<_>>() {
                if let std::collections::hash_map::Entry::Vacant(entry) = contexts.entry((&target.offer, alpn)) {
                    let built = context(&target.offer.protocols, &target.offer.ciphers, alpn).map_err(|err| {
                        SourceError::Internal(format!("OpenSSL refused the offer of {:?}: {err}", target.offer))
                    })?;
                    entry.insert(built);
                }
            }
        }
        // Made before the stream, so that the stream holds futures, not a closure.
        let probes: Vec<_> = targets.iter().map(|target| self.probe_with(target, &contexts)).collect();
        Ok(stream::iter(probes).buffered(self.concurrency).collect().await)
    }
}
