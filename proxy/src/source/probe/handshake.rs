//! One TLS handshake with a target, made as the load balancer makes it:
//! OpenSSL's client with exactly the offered versions and ciphers, at
//! security level 0 (so TLS 1.0 and SHA-1 ciphers can be offered), no
//! certificate validation (the load balancer validates none) and no SNI
//! (AWS documents none toward targets). No application data is sent: after
//! a TLS 1.3 handshake one short read, then the connection is dropped.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use openssl::asn1::Asn1Time;
use openssl::error::ErrorStack;
use openssl::pkey::Id;
use openssl::ssl::{ErrorCode, Ssl, SslContext, SslMethod, SslOptions, SslVerifyMode, SslVersion};
use openssl::x509::{X509NameRef, X509Ref};
use tlswatch_shared::probe::CertificateInfo;
use tlswatch_shared::tls::VERSIONS;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use super::classify::{Failure, Seen};

/// The first bytes a target sent that are kept, for `not-tls`.
const RECEIVED_KEPT: usize = 64;
/// Every TLS 1.3 suite OpenSSL 3 has, for the diagnostic handshakes.
const EVERY_TLS13_SUITE: &str = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256";
/// Every cipher OpenSSL 3 has for TLS 1.2 and older, weak ones included.
const EVERY_CIPHER: &str = "ALL:@SECLEVEL=0";

/// What one handshake saw, and what it learned of the target.
pub struct Made {
    pub seen: Seen,
    /// Whether a TLS handshake was started (the TCP connection was made).
    pub started: bool,
    pub duration: Option<Duration>,
    pub certificate: Option<CertificateInfo>,
    /// The ALPN protocol the target selected.
    pub alpn: Option<String>,
}

/// A client context that offers exactly `versions` (AWS's names) and
/// `ciphers` (OpenSSL's names, which are AWS's; TLS 1.3 suites among them),
/// with ALPN `h2` when asked.
pub fn context(versions: &[String], ciphers: &[String], alpn_h2: bool) -> Result<SslContext, ErrorStack> {
    let (suites, others): (Vec<&str>, Vec<&str>) =
        ciphers.iter().map(String::as_str).partition(|name| name.starts_with("TLS_"));
    let others = (!others.is_empty()).then(|| format!("{}:@SECLEVEL=0", others.join(":")));
    build(versions, others.as_deref(), &suites.join(":"), alpn_h2)
}

/// A client context for one `version` with every cipher: what a target
/// accepts at all.
pub fn diagnostic_context(version: &str) -> Result<SslContext, ErrorStack> {
    build(&[version.to_string()], Some(EVERY_CIPHER), EVERY_TLS13_SUITE, false)
}

fn build(versions: &[String], ciphers: Option<&str>, suites: &str, alpn_h2: bool) -> Result<SslContext, ErrorStack> {
    let mut builder = SslContext::builder(SslMethod::tls_client())?;
    builder.set_security_level(0);
    builder.set_verify(SslVerifyMode::NONE);
    let offered: Vec<usize> = versions.iter().filter_map(|v| VERSIONS.iter().position(|k| k == v)).collect();
    let openssl_version =
        |index: usize| [SslVersion::TLS1, SslVersion::TLS1_1, SslVersion::TLS1_2, SslVersion::TLS1_3][index];
    let (lowest, highest) = (offered.iter().min().copied().unwrap_or(2), offered.iter().max().copied().unwrap_or(2));
    builder.set_min_proto_version(Some(openssl_version(lowest)))?;
    builder.set_max_proto_version(Some(openssl_version(highest)))?;
    // A version between the two that the policy leaves out.
    let holes = [SslOptions::NO_TLSV1, SslOptions::NO_TLSV1_1, SslOptions::NO_TLSV1_2, SslOptions::NO_TLSV1_3];
    for (index, hole) in holes.into_iter().enumerate() {
        if (lowest..=highest).contains(&index) && !offered.contains(&index) {
            builder.set_options(hole);
        }
    }
    if let Some(ciphers) = ciphers {
        builder.set_cipher_list(ciphers)?;
    }
    builder.set_ciphersuites(suites)?;
    if alpn_h2 {
        builder.set_alpn_protos(b"\x02h2")?;
    }
    Ok(builder.build())
}

/// One handshake with `address` under `context`: connection and handshake
/// each within `timeout`, and after a TLS 1.3 handshake a read of at most
/// `read_after` for an alert.
pub async fn handshake(address: SocketAddr, context: &SslContext, timeout: Duration, read_after: Duration) -> Made {
    let not_started = |seen| Made { seen, started: false, duration: None, certificate: None, alpn: None };
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Err(_) => return not_started(Seen::NoAnswer),
        Ok(Err(err)) => return not_started(Seen::NotConnected(connect_error(&err))),
        Ok(Ok(tcp)) => tcp,
    };
    let started = |seen| Made { seen, started: true, duration: None, certificate: None, alpn: None };
    let stream = Ssl::new(context).and_then(|ssl| SslStream::new(ssl, Recording { inner: tcp, received: Vec::new() }));
    let mut stream = match stream {
        Ok(stream) => stream,
        Err(err) => return started(Seen::Failed(Failure { reason: err.to_string(), ..Failure::default() })),
    };
    let began = Instant::now();
    match tokio::time::timeout(timeout, Pin::new(&mut stream).connect()).await {
        Err(_) => started(Seen::TimedOut),
        Ok(Err(err)) => {
            let mut failed = failure(&err, &stream.get_ref().received);
            if !failed.received.is_empty() && !failed.closed {
                // OpenSSL stops at the first record header: read on, for the row.
                failed.received.extend(read_more(stream.get_mut()).await);
            }
            started(Seen::Failed(failed))
        }
        Ok(Ok(())) => {
            let duration = began.elapsed();
            let ssl = stream.ssl();
            let protocol = ssl.version_str().to_string();
            let cipher = ssl.current_cipher().map(|c| c.name().to_string()).unwrap_or_default();
            let certificate = ssl.peer_certificate().map(|cert| certificate_info(&cert));
            let alpn = ssl.selected_alpn_protocol().map(|p| String::from_utf8_lossy(p).into_owned());
            let alert_after = if protocol == "TLSv1.3" { alert_on_read(&mut stream, read_after).await } else { None };
            Made {
                seen: Seen::Done { protocol, cipher, alert_after },
                started: true,
                duration: Some(duration),
                certificate,
                alpn,
            }
        }
    }
}

/// What else the target sent, within a moment (for `not-tls`).
async fn read_more(tcp: &mut Recording) -> Vec<u8> {
    let mut more = vec![0u8; RECEIVED_KEPT.saturating_sub(tcp.received.len())];
    match tokio::time::timeout(Duration::from_millis(200), tcp.inner.read(&mut more)).await {
        Ok(Ok(read)) => more[..read].to_vec(),
        _ => Vec::new(),
    }
}

/// `connection refused`, and the like, for the row.
fn connect_error(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        _ => format!("cannot connect: {err}"),
    }
}

/// The alert a target sends on the short read after the handshake, if any.
async fn alert_on_read(stream: &mut SslStream<Recording>, read_after: Duration) -> Option<u8> {
    let mut buffer = [0u8; 512];
    match tokio::time::timeout(read_after, stream.read(&mut buffer)).await {
        Ok(Err(err)) => err.get_ref().and_then(|inner| inner.downcast_ref::<openssl::ssl::Error>()).and_then(alert),
        _ => None,
    }
}

/// The alert the target sent, from OpenSSL's error: its reason codes for
/// received alerts are 1000 plus the alert.
fn alert(err: &openssl::ssl::Error) -> Option<u8> {
    err.ssl_error()?.errors().iter().find_map(|e| u8::try_from(e.reason_code() - 1000).ok())
}

fn failure(err: &openssl::ssl::Error, received: &[u8]) -> Failure {
    let reason = err
        .ssl_error()
        .and_then(|stack| stack.errors().first().and_then(|e| e.reason()).map(str::to_string))
        .or_else(|| err.io_error().map(|io| io.to_string()))
        .unwrap_or_else(|| err.to_string());
    let reset = err.io_error().is_some_and(|io| {
        matches!(
            io.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    });
    let eof = err.code() == ErrorCode::ZERO_RETURN
        || (err.code() == ErrorCode::SYSCALL && err.io_error().is_none())
        || reason.contains("unexpected eof");
    Failure { alert: alert(err), reason, received: received.to_vec(), closed: reset || eof }
}

/// What a certificate says of itself (nothing is validated).
fn certificate_info(cert: &X509Ref) -> CertificateInfo {
    let key = cert.public_key().ok();
    let sans = cert
        .subject_alt_names()
        .map(|names| {
            names
                .iter()
                .filter_map(|name| {
                    name.dnsname().map(str::to_string).or_else(|| {
                        let ip = name.ipaddress()?;
                        let ip: std::net::IpAddr = match ip.len() {
                            4 => <[u8; 4]>::try_from(ip).ok()?.into(),
                            16 => <[u8; 16]>::try_from(ip).ok()?.into(),
                            _ => return None,
                        };
                        Some(ip.to_string())
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let same_name = cert.subject_name().try_cmp(cert.issuer_name()).is_ok_and(|order| order.is_eq());
    CertificateInfo {
        subject: name_text(cert.subject_name()),
        sans,
        issuer: name_text(cert.issuer_name()),
        not_after: epoch_seconds(cert.not_after()),
        key_type: key.as_ref().map_or("unknown", |key| key_type(key.id())).to_string(),
        key_bits: key.as_ref().map_or(0, |key| key.bits()),
        self_signed: same_name && key.as_ref().is_some_and(|key| cert.verify(key).unwrap_or(false)),
    }
}

/// `CN=checkout.internal, O=Example`.
fn name_text(name: &X509NameRef) -> String {
    let parts: Vec<String> = name
        .entries()
        .map(|entry| {
            let field = entry.object().nid().short_name().unwrap_or("?");
            let value = entry.data().to_string().unwrap_or_default();
            format!("{field}={value}")
        })
        .collect();
    parts.join(", ")
}

fn epoch_seconds(time: &openssl::asn1::Asn1TimeRef) -> i64 {
    let Ok(epoch) = Asn1Time::from_unix(0) else { return 0 };
    epoch.diff(time).map_or(0, |diff| i64::from(diff.days) * 86_400 + i64::from(diff.secs))
}

fn key_type(id: Id) -> &'static str {
    match id {
        Id::RSA | Id::RSA_PSS => "RSA",
        Id::EC => "EC",
        Id::DSA => "DSA",
        Id::ED25519 => "Ed25519",
        Id::ED448 => "Ed448",
        _ => "other",
    }
}

/// The TCP stream under the TLS one, keeping the first bytes the target
/// sent, for a target that answers something other than TLS.
struct Recording {
    inner: TcpStream,
    received: Vec<u8>,
}

impl AsyncRead for Recording {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let new = &buf.filled()[before..];
            let room = RECEIVED_KEPT.saturating_sub(this.received.len());
            this.received.extend_from_slice(&new[..new.len().min(room)]);
        }
        polled
    }
}

impl AsyncWrite for Recording {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_take_every_cipher_name_of_the_default_backend_policy() {
        // ELBSecurityPolicy-2016-08's ciphers, as DescribeSSLPolicies lists them.
        let ciphers: Vec<String> = [
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES128-SHA256",
            "ECDHE-RSA-AES128-SHA256",
            "ECDHE-ECDSA-AES128-SHA",
            "ECDHE-RSA-AES128-SHA",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES256-SHA384",
            "ECDHE-RSA-AES256-SHA384",
            "ECDHE-RSA-AES256-SHA",
            "ECDHE-ECDSA-AES256-SHA",
            "AES128-GCM-SHA256",
            "AES128-SHA256",
            "AES128-SHA",
            "AES256-GCM-SHA384",
            "AES256-SHA256",
            "AES256-SHA",
        ]
        .map(String::from)
        .to_vec();
        let versions = ["TLSv1", "TLSv1.1", "TLSv1.2"].map(String::from);
        // OpenSSL refuses a cipher list in which it knows no name.
        for name in &ciphers {
            assert!(context(&versions, std::slice::from_ref(name), false).is_ok(), "OpenSSL knows {name}");
        }
        assert!(context(&versions, &["NO-SUCH-CIPHER".to_string()], false).is_err());
        context(&versions, &ciphers, true).expect("the whole policy, with ALPN");
        let tls13 =
            ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"].map(String::from);
        context(&["TLSv1.3".to_string()], &tls13, false).expect("TLS 1.3 suites alone");
        for version in VERSIONS {
            diagnostic_context(version).expect("a diagnostic context per version");
        }
    }
}
