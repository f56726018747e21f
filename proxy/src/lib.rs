//! tlswatch's server: a small HTTP API over CloudWatch's ALB TLS metrics that
//! signs every CloudWatch call server-side (no browser ever holds AWS
//! credentials), and serves the dashboard.
//!
//! `main.rs` reads the command line and starts this; [`app::router`] is the
//! whole application, which tests call in-process.

pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod cache;
pub mod config;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod security;
pub mod source;
pub mod state;
pub mod web;
