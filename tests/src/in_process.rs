//! tlswatch's router in this process, on a clock the caller moves: for
//! what takes real minutes with the binary (a view refreshed as time
//! passes). CloudWatch is still reached through the SDK over HTTP.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt;
use tlswatch::{Accounts, AppState, Config, Regions, Sources, router};
use tlswatch_shared::Region;
use tower::ServiceExt;

use crate::REGION;

/// The simulated "now", epoch seconds.
static SIMULATED_NOW: AtomicI64 = AtomicI64::new(0);

fn simulated_clock() -> i64 {
    SIMULATED_NOW.load(Ordering::SeqCst)
}

/// The in-process proxy.
pub struct InProcess {
    app: Router,
}

impl InProcess {
    /// A proxy reading CloudWatch at `endpoint` in [`REGION`], whose answers
    /// expire between requests, as they do after a real minute. The AWS
    /// credentials come from the environment ([`test_credentials`]).
    pub async fn on_endpoint(endpoint: &str) -> Self {
        let accounts = Accounts::own(Regions::single(Region::parse(REGION).expect("a region")));
        let mut config = Config { accounts, clock: simulated_clock, ..Config::default() };
        config.cache.lifetimes.fresh = Duration::from_millis(1);
        let sources = Sources::aws(&config.accounts, Some(endpoint), config.call_policy).await;
        Self { app: router(AppState::new(config, sources)) }
    }

    /// Sets the proxy's clock.
    pub fn set_now(&self, now: i64) {
        SIMULATED_NOW.store(now, Ordering::SeqCst);
    }

    /// GETs `uri` once the previous answers have expired; its status and JSON body.
    pub async fn get(&self, uri: &str) -> (u16, serde_json::Value) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        // Addressed to the listener a default configuration names, as a browser would.
        let host = tlswatch::DEFAULT_LISTEN.to_string();
        let request = axum::http::Request::get(uri).header("host", host).body(Body::empty()).expect("a request");
        let response = self.app.clone().oneshot(request).await.expect("an answer");
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.expect("a body").to_bytes();
        (status, serde_json::from_slice(&bytes).expect("JSON"))
    }
}

/// Sets the test AWS credentials in the environment, where the in-process
/// proxy's credential chain finds them, as the binary's does.
///
/// # Safety
/// Call before any other thread exists (at the start of a test's own
/// process, as nextest runs each test, or of `main`).
pub unsafe fn test_credentials() {
    // SAFETY: the caller guarantees no other thread reads the environment.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
}
