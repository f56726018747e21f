//! The `tlswatch` command: reads its configuration and serves.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use tlswatch::app::{self, AppState, Regions};
use tlswatch::source::MetricSource;
use tlswatch::source::cloudwatch::CloudWatchSource;
use tlswatch::source::demo::DemoSource;
use tlswatch_shared::Region;
use tracing_subscriber::EnvFilter;

/// Watch TLS handshake failures between AWS Application Load Balancers and
/// their targets (CloudWatch metric TargetTLSNegotiationErrorCount).
///
/// Every flag can also be set with the environment variable named beside it.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Address and port to listen on. Port 0 picks a free port.
    #[arg(long, env = "TLSWATCH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// Where metric data comes from: CloudWatch (with the standard AWS
    /// credential chain), or built-in synthetic demo data.
    #[arg(long, env = "TLSWATCH_SOURCE", value_enum, default_value_t = SourceKind::Cloudwatch)]
    source: SourceKind,

    /// AWS region to serve; repeat it (or separate with commas) for several.
    /// The first is the default of views that name none. Without it, AWS_REGION,
    /// then AWS_DEFAULT_REGION, then us-east-1.
    #[arg(long, env = "TLSWATCH_REGION", value_delimiter = ',')]
    region: Vec<String>,

    /// Send CloudWatch calls to this URL instead of AWS's endpoint (for a
    /// CloudWatch-compatible server).
    #[arg(long, env = "TLSWATCH_ENDPOINT_URL")]
    endpoint_url: Option<String>,

    /// Folder of the built frontend (made by `cargo xtask dist`).
    #[arg(long, env = "TLSWATCH_DIST", default_value = "dist")]
    dist: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SourceKind {
    Cloudwatch,
    Demo,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(false)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("tlswatch: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let regions = regions(&cli.region)?;
    let source: Arc<dyn MetricSource> = match cli.source {
        SourceKind::Cloudwatch => Arc::new(CloudWatchSource::new(&regions.allowed, cli.endpoint_url.as_deref()).await),
        SourceKind::Demo => Arc::new(DemoSource::new(app::system_clock(), app::system_clock)),
    };
    let frontend = cli.dist.join("index.html").is_file().then(|| cli.dist.clone());
    if frontend.is_none() {
        tracing::warn!(dist = %cli.dist.display(), "no built frontend there; the API works, the page does not (run `cargo xtask dist`)");
    }

    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", cli.listen))?;
    let address = listener.local_addr().map_err(|err| err.to_string())?;
    let allowed: Vec<&str> = regions.allowed.iter().map(Region::as_str).collect();
    tracing::info!(
        source = source.kind(),
        regions = %allowed.join(","),
        endpoint = cli.endpoint_url.as_deref().unwrap_or("AWS"),
        "listening on http://{address}"
    );

    let state = AppState { source, regions, frontend, clock: app::system_clock };
    axum::serve(listener, app::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|err| format!("server failed: {err}"))?;
    tracing::info!("stopped");
    Ok(())
}

/// The configured regions, checked; the first is the default.
fn regions(flags: &[String]) -> Result<Regions, String> {
    let names: Vec<String> = if flags.is_empty() {
        let from_env = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION"));
        vec![from_env.unwrap_or_else(|_| "us-east-1".to_string())]
    } else {
        flags.to_vec()
    };
    let mut allowed = Vec::new();
    for name in names {
        let region = Region::parse(name.trim()).map_err(|err| format!("--region: {err}"))?;
        if !allowed.contains(&region) {
            allowed.push(region);
        }
    }
    Ok(Regions { default: allowed[0].clone(), allowed })
}

/// Resolves on SIGINT or SIGTERM: the server then stops accepting and lets
/// in-flight requests finish.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
