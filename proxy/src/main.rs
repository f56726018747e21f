//! The `tlswatch` command: reads its configuration and serves.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use ipnet::IpNet;
use tlswatch::{
    Accounts, AllowList, AllowedHosts, AppState, Auth, CacheSettings, CallPolicy, Config, ConnectionLimits,
    DEFAULT_LISTEN, DEFAULT_REGION, DEMO_ACCOUNT, DEMO_REGIONS, Lifetimes, Limits, ProbeSettings, Readers, Regions,
    SharedCacheAddress, Sources, TlsProber, router_and_metrics, serve, spawn_fleet_refresh, system_clock,
};
use tlswatch_shared::Region;
use tracing_subscriber::EnvFilter;

/// Watch TLS handshake failures between AWS Application Load Balancers and
/// their targets (CloudWatch metric TargetTLSNegotiationErrorCount).
///
/// Every flag can also be set with the environment variable named beside it.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Address and port to listen on. Port 0 picks a free port. Any address
    /// other than loopback needs --htpasswd or --trusted-user-header (or
    /// --allow-unauthenticated).
    #[arg(long, env = "TLSWATCH_LISTEN", default_value_t = DEFAULT_LISTEN)]
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

    /// Another AWS account to read, as NAME=ROLE_ARN: tlswatch assumes the
    /// role (session name `tlswatch`) and reads that account in the
    /// --region regions. Repeatable; views pick one with `account=NAME`.
    #[arg(long = "account", env = "TLSWATCH_ACCOUNTS", value_delimiter = ',', value_name = "NAME=ROLE_ARN")]
    accounts: Vec<String>,

    /// A TOML file of accounts: name, role ARN, optional external ID,
    /// regions, and the users and groups allowed to read each (see
    /// docs/deploy.md). The proxy's own identity stays the account `default`
    /// unless the file sets `own_identity = false`.
    #[arg(long = "accounts", env = "TLSWATCH_ACCOUNTS_FILE", value_name = "FILE")]
    accounts_file: Option<PathBuf>,

    /// Send every AWS call (CloudWatch, Elastic Load Balancing, STS) to this
    /// URL instead of AWS's endpoints (for an AWS-compatible server).
    /// Unset, the SDK's `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`
    /// apply.
    #[arg(long, env = "TLSWATCH_ENDPOINT_URL")]
    endpoint_url: Option<String>,

    /// Folder of the built frontend (made by `cargo xtask dist`).
    #[arg(long, env = "TLSWATCH_DIST", default_value = "dist")]
    dist: PathBuf,

    /// HTTP Basic authentication against this htpasswd file (bcrypt or argon2
    /// hashes only, e.g. made with `htpasswd -B`).
    #[arg(long, env = "TLSWATCH_HTPASSWD", conflicts_with = "trusted_user_header")]
    htpasswd: Option<PathBuf>,

    /// Take the user from this header, set by an authenticating proxy
    /// (oauth2-proxy: X-Forwarded-User; ALB with OIDC: X-Amzn-Oidc-Identity).
    /// Believed only from --trusted-proxy addresses.
    #[arg(long, env = "TLSWATCH_TRUSTED_USER_HEADER")]
    trusted_user_header: Option<String>,

    /// The header the authenticating proxy lists the user's groups in
    /// (comma-separated), for --allow-group.
    #[arg(long, env = "TLSWATCH_TRUSTED_GROUPS_HEADER", default_value = "X-Forwarded-Groups")]
    trusted_groups_header: String,

    /// Address range (CIDR, or one address) of the authenticating proxy,
    /// for --trusted-user-header; repeatable.
    #[arg(long, env = "TLSWATCH_TRUSTED_PROXY", value_delimiter = ',')]
    trusted_proxy: Vec<String>,

    /// Only these users may use tlswatch (after authentication); repeatable.
    #[arg(long, env = "TLSWATCH_ALLOW_USER", value_delimiter = ',')]
    allow_user: Vec<String>,

    /// Only members of these groups may use tlswatch (groups come from the
    /// trusted groups header, so not with --htpasswd); repeatable.
    #[arg(long, env = "TLSWATCH_ALLOW_GROUP", value_delimiter = ',')]
    allow_group: Vec<String>,

    /// Who may read /metrics on --listen (its labels name every account): a
    /// user name, or group:NAME for the members of a group; repeatable.
    /// Unset, /metrics there is refused whenever anyone logs in.
    #[arg(long, env = "TLSWATCH_METRICS_READERS", value_delimiter = ',', value_name = "USER|group:NAME")]
    metrics_readers: Vec<String>,

    /// Also serve /metrics, without login, on this loopback address and port
    /// of its own (for a local Prometheus or agent).
    #[arg(long, env = "TLSWATCH_METRICS_LISTEN", value_name = "ADDR")]
    metrics_listen: Option<SocketAddr>,

    /// Without authentication, also answer requests addressed to this host
    /// name (NAME, or NAME:PORT for one port); repeatable. Other names than
    /// the listener's (localhost, 127.0.0.1, [::1] at its port) are refused
    /// (421), against DNS rebinding.
    #[arg(long = "allowed-host", env = "TLSWATCH_ALLOWED_HOST", value_delimiter = ',', value_name = "NAME")]
    allowed_hosts: Vec<String>,

    /// Serve a non-loopback address without authentication (logged as a warning).
    #[arg(long, env = "TLSWATCH_ALLOW_UNAUTHENTICATED")]
    allow_unauthenticated: bool,

    /// Requests per minute per user (per client address where nobody logs
    /// in), and password checks per minute per address; 0 turns both off.
    /// /healthz is never limited.
    #[arg(long, env = "TLSWATCH_RATE_LIMIT", default_value_t = Config::default().rate_limit_per_minute)]
    rate_limit: u32,

    /// Most AWS calls in flight at once.
    #[arg(long, env = "TLSWATCH_MAX_UPSTREAM_CALLS", default_value_t = Config::default().cache.max_upstream_calls)]
    max_upstream_calls: usize,

    /// Seconds one AWS call may take, retries included.
    #[arg(long, env = "TLSWATCH_UPSTREAM_TIMEOUT", default_value_t = Config::default().call_policy.call_timeout.as_secs_f64())]
    upstream_timeout: f64,

    /// Seconds one attempt of an AWS call may take.
    #[arg(long, env = "TLSWATCH_UPSTREAM_ATTEMPT_TIMEOUT", default_value_t = Config::default().call_policy.attempt_timeout.as_secs_f64())]
    upstream_attempt_timeout: f64,

    /// Attempts per AWS call, the first included.
    #[arg(long, env = "TLSWATCH_UPSTREAM_ATTEMPTS", default_value_t = Config::default().call_policy.max_attempts)]
    upstream_attempts: u32,

    /// Elastic Load Balancing calls per second in each account and region
    /// (Describe calls of the review, the overview's findings and the
    /// report), with bursts of as many. AWS refills 10 a second per account
    /// and region, shared with every other caller there.
    #[arg(long, env = "TLSWATCH_ELB_CALLS_PER_SECOND", default_value_t = Config::default().call_policy.elb_calls_per_second)]
    elb_calls_per_second: NonZeroU32,

    /// Seconds between the background passes that keep every account and
    /// region's load balancer configuration cached for the overview's
    /// findings and the compliance report (a pass reads only what expired,
    /// after 5 minutes); 0 turns them off (read on request only).
    #[arg(long, env = "TLSWATCH_FLEET_REFRESH_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    fleet_refresh_seconds: u64,

    /// Seconds an answer whose newest bucket may still change is cached
    /// (answers whose buckets all ended over 10 minutes ago: an hour).
    #[arg(long, env = "TLSWATCH_CACHE_TTL", default_value_t = Config::default().cache.lifetimes.fresh.as_secs_f64())]
    cache_ttl: f64,

    /// Memory for everything cached (answers, last good answers, final
    /// buckets, lists, alarms, built responses), in MiB; 0 turns caching
    /// (and the sharing of identical concurrent calls) off, for measurements
    /// (with --cache-url: the shared cache alone). The views being built at
    /// once may hold as much again (at least 16 MiB): more wait their turn.
    #[arg(long, env = "TLSWATCH_CACHE_MIB", default_value_t = Config::default().cache.max_bytes >> 20)]
    cache_mib: u64,

    /// A cache shared by replicas, second behind each one's memory:
    /// redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS) of a Valkey
    /// or Redis server. Replicas then share CloudWatch calls; when it fails,
    /// each answers on its own. Unset: this process's memory only.
    #[arg(long, env = "TLSWATCH_CACHE_URL", hide_env_values = true)]
    cache_url: Option<String>,

    /// Longest request URL, in bytes.
    #[arg(long, env = "TLSWATCH_MAX_URL_BYTES", default_value_t = Config::default().limits.max_url_bytes)]
    max_url_bytes: usize,

    /// Largest request header section, in bytes.
    #[arg(long, env = "TLSWATCH_MAX_HEADER_BYTES", default_value_t = Config::default().limits.max_header_bytes)]
    max_header_bytes: usize,

    /// Seconds a client may take to send a request's headers, counted from
    /// when its connection opened or its previous answer was sent: slower
    /// clients, and keep-alive connections idle that long, are disconnected.
    #[arg(long, env = "TLSWATCH_HEADER_READ_TIMEOUT", default_value_t = Config::default().connections.header_read.as_secs_f64())]
    header_read_timeout: f64,

    /// Most series in one view.
    #[arg(long, env = "TLSWATCH_MAX_SERIES", default_value_t = Config::default().limits.max_series)]
    max_series: usize,

    /// Most points (series times buckets) in one view.
    #[arg(long, env = "TLSWATCH_MAX_POINTS", default_value_t = Config::default().limits.max_points)]
    max_points: usize,

    /// Largest answer sent, in MiB: a view whose JSON or CSV is larger is
    /// refused (422 answer_too_large) with a period that fits.
    #[arg(long, env = "TLSWATCH_MAX_ANSWER_MIB", default_value_t = Config::default().limits.max_answer_bytes >> 20)]
    max_answer_mib: usize,

    /// The only addresses the target probe (/api/v1/probe) may connect to:
    /// a CIDR range or one address; repeatable. Only targets that Elastic
    /// Load Balancing reports as registered and that lie inside are probed.
    /// Unset, the probe is off (the demo probes its own loopback targets).
    #[arg(long, env = "TLSWATCH_PROBE_TARGETS", value_delimiter = ',', value_name = "CIDR")]
    probe_targets: Vec<String>,

    /// Targets the probe handshakes with at once, across all requests (one
    /// connection per target at a time).
    #[arg(long, env = "TLSWATCH_PROBE_CONCURRENCY", default_value_t = Config::default().probe.concurrency)]
    probe_concurrency: usize,
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
    let accounts = match cli.source {
        SourceKind::Demo if !cli.accounts.is_empty() || cli.accounts_file.is_some() => {
            return Err(format!(
                "--account and --accounts need --source cloudwatch: the demo has its own two accounts, default and \
                 {}, in {}",
                DEMO_ACCOUNT.split('=').next().unwrap_or_default(),
                DEMO_REGIONS.join(" and ")
            ));
        }
        // The demo's fleet: its two accounts, in its two regions unless --region names others.
        SourceKind::Demo => {
            let regions = if cli.region.is_empty() {
                Regions::parse(&DEMO_REGIONS.map(str::to_string)).map_err(|err| err.to_string())?
            } else {
                regions(&cli.region)?
            };
            Accounts::configure(&regions, None, &[DEMO_ACCOUNT.to_string()])?
        }
        SourceKind::Cloudwatch => {
            Accounts::configure(&regions(&cli.region)?, cli.accounts_file.as_deref(), &cli.accounts)?
        }
    };
    let auth = auth(&cli)?;
    let metrics_readers = metrics_readers(&cli, &auth)?;
    if auth.is_open() && accounts.restricts_access() {
        tracing::warn!(
            "accounts name users or groups, but nobody logs in (no --htpasswd or --trusted-user-header): those \
             accounts are shown to nobody"
        );
    }
    if auth.is_open() && !cli.listen.ip().is_loopback() {
        if !cli.allow_unauthenticated {
            return Err(format!(
                "refusing to serve {} without authentication: anyone who reaches it could query CloudWatch with this \
                 server's credentials. Set --htpasswd FILE (TLSWATCH_HTPASSWD), or --trusted-user-header NAME with \
                 --trusted-proxy CIDR (TLSWATCH_TRUSTED_USER_HEADER, TLSWATCH_TRUSTED_PROXY), or listen on a loopback \
                 address; --allow-unauthenticated (TLSWATCH_ALLOW_UNAUTHENTICATED) overrides this",
                cli.listen
            ));
        }
        tracing::warn!(listen = %cli.listen, "serving without authentication (--allow-unauthenticated)");
    }
    let defaults = Config::default();
    let probe = ProbeSettings {
        allow: probe_allow_list(&cli)?,
        concurrency: probe_concurrency(cli.probe_concurrency)?,
        ..defaults.probe.clone()
    };
    let config = Config {
        frontend: cli.dist.join("index.html").is_file().then(|| cli.dist.clone()),
        cache: CacheSettings {
            max_bytes: cli.cache_mib.saturating_mul(1 << 20),
            max_upstream_calls: cli.max_upstream_calls,
            lifetimes: Lifetimes { fresh: seconds(cli.cache_ttl, "--cache-ttl")?, ..defaults.cache.lifetimes },
        },
        limits: Limits {
            max_url_bytes: cli.max_url_bytes,
            max_header_bytes: cli.max_header_bytes,
            max_series: cli.max_series,
            max_points: cli.max_points,
            max_answer_bytes: max_answer_mib(cli.max_answer_mib)?.saturating_mul(1 << 20),
        },
        connections: ConnectionLimits::new(
            seconds(cli.header_read_timeout, "--header-read-timeout")?,
            cli.max_header_bytes,
        ),
        shared_cache: cli
            .cache_url
            .as_deref()
            .map(SharedCacheAddress::from_url)
            .transpose()
            .map_err(|err| format!("--cache-url: {err}"))?,
        rate_limit_per_minute: cli.rate_limit,
        metrics_readers,
        call_policy: CallPolicy {
            attempt_timeout: seconds(cli.upstream_attempt_timeout, "--upstream-attempt-timeout")?,
            call_timeout: seconds(cli.upstream_timeout, "--upstream-timeout")?,
            max_attempts: cli.upstream_attempts,
            elb_calls_per_second: cli.elb_calls_per_second,
            ..defaults.call_policy
        },
        hosts: AllowedHosts::new(cli.listen, &cli.allowed_hosts)?,
        accounts,
        auth,
        probe,
        ..defaults
    };
    if config.frontend.is_none() {
        tracing::warn!(dist = %cli.dist.display(), "no built frontend there; the API works, the page does not (run `cargo xtask dist`)");
    }
    let sources = match cli.source {
        SourceKind::Cloudwatch => Sources::aws(&config.accounts, cli.endpoint_url.as_deref(), config.call_policy).await,
        SourceKind::Demo => Sources::demo(system_clock(), system_clock),
    };
    let sources = if config.probe.allow.is_off() {
        sources
    } else {
        sources.with_probe(TlsProber::new(config.probe.allow.clone(), config.probe.concurrency)?)
    };

    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .map_err(|err| format!("--listen: cannot listen on {}: {err}", cli.listen))?;
    let address = listener.local_addr().map_err(|err| err.to_string())?;
    let metrics_listener = match cli.metrics_listen {
        Some(wanted) => Some(
            tokio::net::TcpListener::bind(wanted)
                .await
                .map_err(|err| format!("--metrics-listen: cannot listen on {wanted}: {err}"))?,
        ),
        None => None,
    };
    if let Some(metrics_listener) = &metrics_listener {
        let metrics_address = metrics_listener.local_addr().map_err(|err| err.to_string())?;
        tracing::info!("serving /metrics without login on http://{metrics_address}/metrics (--metrics-listen)");
    }
    let config = Config { hosts: config.hosts.listening_on(address), ..config };
    let default_regions = &config.accounts.default_account().regions.allowed;
    let allowed: Vec<&str> = default_regions.iter().map(Region::as_str).collect();
    let accounts: Vec<&str> = config.accounts.all().iter().map(|account| account.name.as_str()).collect();
    tracing::info!(
        source = sources.kind(),
        accounts = %accounts.join(","),
        regions = %allowed.join(","),
        endpoint = cli.endpoint_url.as_deref().unwrap_or("AWS"),
        auth = config.auth.describe(),
        shared_cache = config.shared_cache.as_ref().map_or("none", SharedCacheAddress::shown),
        "listening on http://{address}"
    );
    let connection_limits = config.connections;
    let state = std::sync::Arc::new(AppState::new(config, sources));
    if cli.fleet_refresh_seconds > 0 {
        spawn_fleet_refresh(state.clone(), std::time::Duration::from_secs(cli.fleet_refresh_seconds));
    }
    let (app, metrics) = router_and_metrics(state);
    // One signal stops both listeners.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    if let Some(metrics_listener) = metrics_listener {
        tokio::spawn(serve(metrics_listener, metrics, connection_limits, until_stopped(stopped.clone())));
    }
    serve(listener, app, connection_limits, until_stopped(stopped)).await;
    tracing::info!("stopped");
    Ok(())
}

fn auth(cli: &Cli) -> Result<Auth, String> {
    let allow_users = cli.allow_user.clone();
    let allow_groups = cli.allow_group.clone();
    if !cli.trusted_proxy.is_empty() && cli.trusted_user_header.is_none() {
        return Err(format!(
            "--trusted-proxy {} names an authenticating proxy, but without --trusted-user-header no user is taken \
             from it and tlswatch would start without that authentication; add --trusted-user-header NAME (e.g. \
             X-Forwarded-User for oauth2-proxy), or remove --trusted-proxy",
            cli.trusted_proxy.join(",")
        ));
    }
    if let Some(file) = &cli.htpasswd {
        return Auth::htpasswd(file, allow_users, allow_groups);
    }
    if let Some(header) = &cli.trusted_user_header {
        let proxies = cli
            .trusted_proxy
            .iter()
            .map(|cidr| {
                let cidr = cidr.trim();
                cidr.parse::<IpNet>().or_else(|_| cidr.parse::<std::net::IpAddr>().map(IpNet::from)).map_err(|_| {
                    format!("--trusted-proxy: {cidr:?} is not an address or CIDR range (e.g. 10.0.0.0/16)")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Auth::trusted_header(header, &cli.trusted_groups_header, proxies, allow_users, allow_groups);
    }
    if !allow_users.is_empty() || !allow_groups.is_empty() {
        return Err("--allow-user and --allow-group need --htpasswd or --trusted-user-header".to_string());
    }
    Ok(Auth::open())
}

/// Who may read `/metrics` on `--listen`. Without authentication nobody can
/// be named: on loopback only this machine reaches it, so everyone may; on a
/// shared address nobody may (the `--metrics-listen` listener serves it).
fn metrics_readers(cli: &Cli, auth: &Auth) -> Result<Readers, String> {
    if let Some(address) = cli.metrics_listen
        && !address.ip().is_loopback()
    {
        return Err(format!(
            "--metrics-listen {address} is not a loopback address: /metrics there needs no login and names every \
             account, so it listens on loopback only (e.g. 127.0.0.1:9090); let a remote Prometheus log in to \
             --listen with --metrics-readers instead"
        ));
    }
    if auth.is_open() {
        if !cli.metrics_readers.is_empty() {
            return Err(
                "--metrics-readers needs --htpasswd or --trusted-user-header: without them nobody logs in to be named"
                    .to_string(),
            );
        }
        return Ok(if cli.listen.ip().is_loopback() { Readers::Everyone } else { Readers::nobody() });
    }
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    for entry in cli.metrics_readers.iter().map(|entry| entry.trim()) {
        match entry.split_once(':') {
            Some(("group", name)) if !name.is_empty() => groups.push(name.to_string()),
            Some(("user", name)) if !name.is_empty() => users.push(name.to_string()),
            None if !entry.is_empty() => users.push(entry.to_string()),
            _ => {
                return Err(format!(
                    "--metrics-readers: {entry:?} is neither a user name nor group:NAME (e.g. prometheus or group:sre)"
                ));
            }
        }
    }
    if !groups.is_empty() && !auth.has_groups() {
        return Err(format!(
            "--metrics-readers group:{}: htpasswd users have no groups, so nobody would be let in by it; name the \
             users instead",
            groups.join(",group:")
        ));
    }
    Ok(Readers::Only { users, groups })
}

/// The probe's allow-list: `--probe-targets`, or for the demo its own
/// loopback targets only.
fn probe_allow_list(cli: &Cli) -> Result<AllowList, String> {
    let nets = cli
        .probe_targets
        .iter()
        .map(|cidr| {
            let cidr = cidr.trim();
            cidr.parse::<IpNet>()
                .or_else(|_| cidr.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("--probe-targets: {cidr:?} is not an address or CIDR range (e.g. 10.0.0.0/16)"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if cli.source == SourceKind::Demo {
        if !nets.is_empty() {
            tracing::warn!("--probe-targets is ignored with --source demo: the demo probes its own loopback targets");
        }
        let loopback: IpNet = "127.0.0.0/8".parse().map_err(|err| format!("{err}"))?;
        return Ok(AllowList(vec![loopback]));
    }
    Ok(AllowList(nets))
}

fn max_answer_mib(value: usize) -> Result<usize, String> {
    if value == 0 {
        return Err("--max-answer-mib: 0 would refuse every view; give at least 1".to_string());
    }
    Ok(value)
}

fn probe_concurrency(value: usize) -> Result<usize, String> {
    if value == 0 {
        return Err("--probe-concurrency: 0 would never probe; give at least 1".to_string());
    }
    Ok(value)
}

fn seconds(value: f64, flag: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{flag}: {value} is not a positive number of seconds"))
}

/// The configured regions, checked; the first is the default.
fn regions(flags: &[String]) -> Result<Regions, String> {
    let names: Vec<String> = if flags.is_empty() {
        let from_env = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION"));
        vec![from_env.unwrap_or_else(|_| DEFAULT_REGION.to_string())]
    } else {
        flags.to_vec()
    };
    Regions::parse(&names).map_err(|err| format!("--region: {err}"))
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
