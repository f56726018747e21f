//! tlswatch's server: a small HTTP API over CloudWatch's ALB TLS metrics that
//! signs every AWS call server-side (no browser ever holds AWS
//! credentials), and serves the dashboard.
//!
//! `main.rs` reads the command line and starts this; [`router`] is the
//! whole application, which tests call in-process.

mod accounts;
mod api;
mod app;
mod auth;
mod cache;
mod config;
mod error;
mod fleet_refresh;
mod hosts;
mod identity;
mod limits;
mod metrics;
mod request_head;
mod security;
mod serve;
mod source;
mod state;
mod upstream;
mod web;
mod work;

// What the binary, the tests and the bench use; nothing else is public.
pub use accounts::{Accounts, Regions};
pub use app::{PUBLIC_ROUTE, protected_routes, router, router_and_metrics};
pub use auth::Auth;
pub use cache::{CacheSettings, Lifetimes, SharedCacheAddress};
pub use config::{Config, DEFAULT_LISTEN, DEFAULT_REGION, ProbeSettings, system_clock};
pub use fleet_refresh::spawn as spawn_fleet_refresh;
pub use hosts::AllowedHosts;
pub use identity::Readers;
pub use limits::Limits;
pub use serve::{ConnectionLimits, serve};
pub use source::Sources;
pub use source::aws::CallPolicy;
pub use source::demo::{DEMO_ACCOUNT, DEMO_REGIONS};
pub use source::demo_targets::{Behaviour, Gauge, TargetServer};
pub use source::elbv2::OPERATIONS as ELB_OPERATIONS;
pub use source::probe::{AllowList, TlsProber};
pub use state::AppState;
