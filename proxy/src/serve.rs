//! Serving the router on a listener: HTTP/1.1 connections through hyper,
//! each closed when its client is slow to send a request's headers, and a
//! graceful stop. `axum::serve` sets no timer, so a client trickling its
//! headers (or idling between requests) would hold a connection forever.
//! Each connection's request heads are measured first ([`HeadGuard`]): one
//! too long for hyper is refused by the application, not by hyper's bare
//! 414 or 431.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::request_head::{HeadGuard, HeadLimits, Overlong};

/// What a connection may do before the application sees its request.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a connection may take to send the headers of a request,
    /// counted from when it opened or its previous answer was sent: a slow
    /// client is cut off, and an idle keep-alive connection closed, after it.
    pub header_read: Duration,
    /// Where a request head is stopped before hyper would refuse it.
    pub heads: HeadLimits,
}

impl ConnectionLimits {
    /// The limits for a server whose application accepts header sections
    /// of `max_header_bytes`.
    pub fn new(header_read: Duration, max_header_bytes: usize) -> Self {
        Self { header_read, heads: HeadLimits::for_header_bytes(max_header_bytes) }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting and waits for the connections' requests in flight.
pub async fn serve(listener: TcpListener, app: Router, limits: ConnectionLimits, shutdown: impl Future<Output = ()>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_headers(limits.heads.hyper_header_lines())
        .max_buf_size(limits.heads.hyper_buffer());
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            request
        });
        let (guarded, handed_back) = HeadGuard::new(stream, limits.heads);
        let connection =
            connections.watch(http.serve_connection(TokioIo::new(guarded), TowerToHyperService::new(service)));
        let app = app.clone();
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection closed");
            }
            if let Ok((stream, overlong)) = handed_back.await {
                let answered = tokio::time::timeout(limits.header_read, refuse(stream, overlong, peer, app)).await;
                if !matches!(answered, Ok(Ok(()))) {
                    tracing::debug!(%peer, "the refusal of an overlong request head was not delivered");
                }
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}

/// The most of an overlong request read and dropped after its refusal, so
/// that closing the socket with the request unread does not reset the
/// connection before the client reads the answer.
const DRAINED_AFTER_A_REFUSAL: u64 = 1 << 20;

/// Answers a request whose head the guard stopped with the application's
/// own refusal (the request, unparsed, carries only what was over), and
/// closes the connection.
async fn refuse(mut stream: TcpStream, overlong: Overlong, peer: SocketAddr, app: Router) -> std::io::Result<()> {
    let mut request = Request::new(Body::empty());
    request.extensions_mut().insert(overlong);
    request.extensions_mut().insert(ConnectInfo(peer));
    let Ok(response) = app.oneshot(request).await;
    stream.write_all(&http1_bytes(response).await).await?;
    stream.shutdown().await?;
    let mut rest = (&mut stream).take(DRAINED_AFTER_A_REFUSAL);
    tokio::io::copy(&mut rest, &mut tokio::io::sink()).await?;
    Ok(())
}

/// A response as HTTP/1.1 puts it on the wire, closing the connection.
async fn http1_bytes(response: Response<Body>) -> Vec<u8> {
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let reason = parts.status.canonical_reason().unwrap_or("");
    let mut bytes = format!("HTTP/1.1 {} {reason}\r\n", parts.status.as_u16()).into_bytes();
    for (name, value) in parts.headers.iter().filter(|(name, _)| *name != "content-length" && *name != "connection") {
        bytes.extend_from_slice(name.as_str().as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()).as_bytes());
    bytes.extend_from_slice(&body);
    bytes
}
