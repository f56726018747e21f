//! Serving the router on a listener: HTTP/1.1 connections through hyper,
//! each closed when its client is slow to send a request's headers, and a
//! graceful stop. `axum::serve` sets no timer, so a client trickling its
//! headers (or idling between requests) would hold a connection forever.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// What a connection may do before the application sees its request.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// How long a connection may take to send the headers of a request,
    /// counted from when it opened or its previous answer was sent: a slow
    /// client is cut off, and an idle keep-alive connection closed, after it.
    pub header_read: Duration,
    /// The most header lines hyper parses. Set from `--max-header-bytes`
    /// (see [`ConnectionLimits::max_headers_for`]) so that a request within
    /// the byte limit is never refused for its count by hyper's bare 431:
    /// the application's JSON 431 judges its size.
    pub max_headers: usize,
}

impl ConnectionLimits {
    /// Header lines that fit in `max_header_bytes`, counted as the
    /// application counts them (name, value and four bytes each), plus one,
    /// so that more lines than this are over the byte limit anyway.
    pub fn max_headers_for(max_header_bytes: usize) -> usize {
        max_header_bytes / 5 + 1
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops
/// accepting and waits for the connections' requests in flight.
pub async fn serve(listener: TcpListener, app: Router, limits: ConnectionLimits, shutdown: impl Future<Output = ()>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read).max_headers(limits.max_headers);
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
        let connection =
            connections.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, error = %err, "connection closed");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}
