//! Headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`, installed by `cargo xtask test`).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::{Reaped, free_port, wait_for_port};

/// How long a page may take to reach the state a test waits for.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// Runs `test` with a fresh browser session, and closes the session whatever
/// happens (a session left open leaves Chromium running).
pub async fn with_browser<F, Fut>(test: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()>,
{
    let program =
        std::env::var_os("TLSWATCH_CHROMEDRIVER").map(PathBuf::from).unwrap_or("/usr/bin/chromedriver".into());
    assert!(program.is_file(), "{} is missing: run `cargo xtask test`, which installs it", program.display());
    let port = free_port();
    let driver = Command::new(&program)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
    let _driver = Reaped(driver);
    wait_for_port(port, "chromedriver");

    let profile = std::env::temp_dir().join(format!("tlswatch-chromium-{}-{port}", std::process::id()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": std::env::var("TLSWATCH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,800", format!("--user-data-dir={}", profile.display()),
            ],
        },
        "goog:loggingPrefs": {"browser": "ALL"},
    });
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities.as_object().expect("an object").clone())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session");
    let outcome = AssertUnwindSafe(test(client.clone())).catch_unwind().await;
    let _ = client.close().await;
    let _ = std::fs::remove_dir_all(&profile);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Polls `condition` (a JavaScript expression) until it is truthy.
pub async fn wait_until(client: &Client, condition: &str) {
    let script = format!("return !!({condition});");
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        if client.execute(&script, vec![]).await.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for `{condition}` on {:?}",
            client.current_url().await.ok()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Evaluates a JavaScript expression.
pub async fn eval(client: &Client, expression: &str) -> serde_json::Value {
    client.execute(&format!("return ({expression});"), vec![]).await.expect("the script runs")
}

/// The JavaScript expression of the chart's current ECharts option.
pub const CHART_OPTION: &str = "echarts.getInstanceByDom(document.getElementById('chart')).getOption()";

/// Evaluates `path` (e.g. `.series.length`) on the chart's current option.
pub async fn chart_option(client: &Client, path: &str) -> serde_json::Value {
    eval(client, &format!("{CHART_OPTION}{path}")).await
}

/// The value of the form control with this id.
pub async fn control_value(client: &Client, id: &str) -> String {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("no #{id}"))
        .prop("value")
        .await
        .expect("a value")
        .unwrap_or_default()
}

/// ChromeDriver's log command (`goog:loggingPrefs` must ask for browser logs).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_string()))
    }
}

/// The console messages of level SEVERE (errors, CSP violations) since the
/// last call.
pub async fn console_errors(client: &Client) -> Vec<String> {
    let entries = client.issue_cmd(BrowserLog).await.expect("the browser log");
    entries
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|entry| entry["level"] == "SEVERE")
                .map(|entry| entry["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}
