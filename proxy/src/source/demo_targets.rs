//! Targets that answer on loopback, for the demo (which probes them for
//! real) and the bench: a TLS server of chosen versions with a certificate
//! made at start, a port that answers plain HTTP, and one that accepts and
//! never answers. Each counts the connections it got, at once and in all.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::ssl::{Ssl, SslContext, SslMethod, SslVersion};
use openssl::x509::{X509Builder, X509NameBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_openssl::SslStream;

/// How long a connection is kept open at most (the silent target's is
/// longer than any handshake timeout).
const HOLD: Duration = Duration::from_secs(15);

/// What a target does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// TLS, from version `.0` to `.1`, with a self-signed EC certificate.
    Tls(SslVersion, SslVersion),
    /// An HTTP response on the HTTPS port.
    PlainHttp,
    /// Accepts, then says nothing.
    Silent,
}

/// A target listening on loopback until the process ends.
#[derive(Debug, Clone)]
pub struct TargetServer {
    pub address: SocketAddr,
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    open: AtomicUsize,
    peak: AtomicUsize,
    total: AtomicUsize,
}

impl Counts {
    fn opened(&self) {
        let open = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(open, Ordering::SeqCst);
        self.total.fetch_add(1, Ordering::SeqCst);
    }

    fn closed(&self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Connections counted over many targets together (the bench's): the most
/// that were open at once across all of them.
#[derive(Debug, Clone, Default)]
pub struct Gauge(Arc<Counts>);

impl Gauge {
    /// The most connections open at once, over every target counted.
    pub fn peak(&self) -> usize {
        self.0.peak.load(Ordering::SeqCst)
    }
}

impl TargetServer {
    /// A target behaving as `behaviour` on a free loopback port of `host`
    /// (an address of 127.0.0.0/8), named `name` in its certificate.
    pub async fn start(host: [u8; 4], name: &str, behaviour: Behaviour) -> Result<Self, String> {
        Self::start_counted(host, name, behaviour, Gauge::default()).await
    }

    /// As [`TargetServer::start`], its connections also counted in `gauge`.
    pub async fn start_counted(host: [u8; 4], name: &str, behaviour: Behaviour, gauge: Gauge) -> Result<Self, String> {
        let context = match behaviour {
            Behaviour::Tls(min, max) => Some(Arc::new(
                server_context(name, min, max).map_err(|err| format!("OpenSSL cannot make {name}'s TLS: {err}"))?,
            )),
            _ => None,
        };
        let listener = TcpListener::bind(SocketAddr::from((host, 0)))
            .await
            .map_err(|err| format!("cannot listen on loopback for {name}: {err}"))?;
        let address = listener.local_addr().map_err(|err| err.to_string())?;
        let counts = Arc::new(Counts::default());
        let server = Self { address, counts: counts.clone() };
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (counts, gauge, context) = (counts.clone(), gauge.clone(), context.clone());
                tokio::spawn(async move {
                    counts.opened();
                    gauge.0.opened();
                    let _ = tokio::time::timeout(HOLD, serve(tcp, behaviour, context.as_deref())).await;
                    counts.closed();
                    gauge.0.closed();
                });
            }
        });
        Ok(server)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.counts.total.load(Ordering::SeqCst)
    }

    /// The most connections it held at once.
    pub fn peak(&self) -> usize {
        self.counts.peak.load(Ordering::SeqCst)
    }
}

async fn serve(mut tcp: TcpStream, behaviour: Behaviour, context: Option<&SslContext>) {
    match (behaviour, context) {
        (Behaviour::Tls(..), Some(context)) => {
            let Ok(mut tls) = Ssl::new(context).and_then(|ssl| SslStream::new(ssl, tcp)) else { return };
            if Pin::new(&mut tls).accept().await.is_ok() {
                // Until the client goes.
                let mut buffer = [0u8; 256];
                while matches!(tls.read(&mut buffer).await, Ok(read) if read > 0) {}
            }
        }
        (Behaviour::PlainHttp, _) => {
            let mut request = [0u8; 1024];
            let _ = tcp.read(&mut request).await;
            let body = "This port speaks HTTP, not HTTPS.\r\n";
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = tcp.write_all(response.as_bytes()).await;
        }
        _ => tokio::time::sleep(HOLD).await,
    }
}

/// A server context of versions `min` to `max` with a new self-signed
/// P-256 certificate for `name`, valid a year.
fn server_context(name: &str, min: SslVersion, max: SslVersion) -> Result<SslContext, openssl::error::ErrorStack> {
    let curve = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
    let key = PKey::from_ec_key(EcKey::generate(&curve)?)?;
    let mut subject = X509NameBuilder::new()?;
    subject.append_entry_by_text("CN", name)?;
    let subject = subject.build();
    let mut certificate = X509Builder::new()?;
    certificate.set_version(2)?;
    let serial = BigNum::from_u32(1)?.to_asn1_integer()?;
    certificate.set_serial_number(&serial)?;
    certificate.set_subject_name(&subject)?;
    certificate.set_issuer_name(&subject)?;
    certificate.set_pubkey(&key)?;
    let (not_before, not_after) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(365)?);
    certificate.set_not_before(&not_before)?;
    certificate.set_not_after(&not_after)?;
    certificate.sign(&key, MessageDigest::sha256())?;
    let mut builder = SslContext::builder(SslMethod::tls_server())?;
    builder.set_private_key(&key)?;
    builder.set_certificate(&certificate.build())?;
    builder.set_min_proto_version(Some(min))?;
    builder.set_max_proto_version(Some(max))?;
    Ok(builder.build())
}
