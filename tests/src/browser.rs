//! Headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`, installed by `cargo xtask test`).

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::{Reaped, START_TIMEOUT, wait_for_port};

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
    let (_driver, port) = start_chromedriver(&program);

    let profile = std::env::temp_dir().join(format!("tlswatch-chromium-{}-{port}", std::process::id()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium(),
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

/// Starts chromedriver on a port it picks itself (`--port=0`) and returns it
/// with that port, read from what it prints when it listens: a port picked
/// beforehand could be taken by another process before chromedriver binds it.
/// Without `--allowed-ips`, chromedriver listens on loopback only and says
/// "Only local connections are allowed"; the harness insists on both lines.
/// A chromedriver that exits before it listens (seen once in several hundred
/// parallel starts) is started again, twice at most, and the panic quotes
/// what it said.
fn start_chromedriver(program: &Path) -> (Reaped, u16) {
    let mut said = Vec::new();
    for _attempt in 0..3 {
        match try_start_chromedriver(program) {
            Ok(started) => return started,
            Err(lines) => said.push(lines.join("\n")),
        }
    }
    panic!("{} exited before it listened, three times; it said:\n{}", program.display(), said.join("\n---\n"))
}

/// One start of chromedriver: its child and port, or what it printed before
/// it exited without listening.
fn try_start_chromedriver(program: &Path) -> Result<(Reaped, u16), Vec<String>> {
    let mut child = Command::new(program)
        .arg("--port=0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let child = Reaped(child);
    let (sender, receiver) = mpsc::channel::<Result<u16, String>>();
    let port_of = |line: &str| {
        let port = line.strip_prefix("ChromeDriver was started successfully on port ")?;
        port.trim_end_matches('.').parse::<u16>().ok()
    };
    crate::forward_lines(stdout, sender.clone(), move |line| Some(port_of(line).ok_or_else(|| line.to_string())));
    crate::forward_lines(stderr, sender, |line| Some(Err(line.to_string())));
    let deadline = Instant::now() + START_TIMEOUT;
    let mut lines = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(Ok(port)) => {
                let local_only =
                    lines.iter().any(|line: &String| line.starts_with("Only local connections are allowed"));
                assert!(local_only, "chromedriver must accept local connections only; it said {lines:?}");
                // The port it reports is the one the session is asked on: IPv4 loopback.
                wait_for_port(port, "chromedriver");
                return Ok((child, port));
            }
            Ok(Err(line)) => lines.push(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(lines),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{} did not report its port within {START_TIMEOUT:?}; it said {lines:?}", program.display())
            }
        }
    }
}

/// The Chromium the browser tests drive: `TLSWATCH_CHROMIUM` (set by
/// `cargo xtask test` and `bench`), else where Debian's package puts it.
pub fn chromium() -> String {
    std::env::var("TLSWATCH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string())
}

/// Waits for the page to show the figures of a loaded view.
pub async fn wait_for_data(client: &Client) {
    wait_until(client, "document.querySelector('#summary-buckets') && document.querySelector('.loading.hidden')").await;
}

/// Opens the view `query` and reads it with `read_page` until that agrees
/// (`agree`) with the API's answer to the same view, three tries at most:
/// the newest buckets move with the clock, so a bucket boundary can pass
/// between the page's request and the test's. Returns both readings.
pub async fn open_until_it_agrees_with_the_api<Fut: Future<Output = serde_json::Value>>(
    client: &Client,
    tlswatch: &crate::Tlswatch,
    query: &str,
    read_page: impl Fn() -> Fut,
    agree: impl Fn(&serde_json::Value, &serde_json::Value) -> bool,
) -> (serde_json::Value, serde_json::Value) {
    for attempt in 1.. {
        client.goto(&format!("{}/?{query}", tlswatch.url)).await.expect("the page opens");
        wait_for_data(client).await;
        let shown = read_page().await;
        let (status, body) = tlswatch.get(&format!("/api/v1/series?{query}")).await;
        assert_eq!(status, 200, "{body}");
        if agree(&shown, &body) {
            return (shown, body);
        }
        assert!(attempt < 3, "the page shows {shown}; the API answered {body}");
    }
    unreachable!("the loop returns or fails")
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

/// The JavaScript expression of the chart's ECharts instance.
pub const CHART: &str = "echarts.getInstanceByDom(document.getElementById('chart'))";

/// The JavaScript expression of the chart's current ECharts option.
pub const CHART_OPTION: &str = "echarts.getInstanceByDom(document.getElementById('chart')).getOption()";

/// The JavaScript expression of the chart's lines: its series without the
/// dashed tails that draw the buckets still filling, the bridges to them
/// and the invisible lines that name marks in the tooltip (ids ending
/// `-partial`, `-bridge` and `-notes`).
pub const CHART_LINES: &str = "echarts.getInstanceByDom(document.getElementById('chart')).getOption().series
    .filter(s => !/-(partial|bridge|notes)$/.test(s.id))";

/// The JavaScript expression of the text of the chart's tooltip while it is
/// shown, else `''`, read from ECharts' tooltip view: the page has it drawn
/// on the canvas (rich text), and an HTML tooltip is read too.
pub const TOOLTIP_TEXT: &str = "(content => content?.isShow() ? content.el.style.text ?? content.el.textContent : '')
    (echarts.getInstanceByDom(document.getElementById('chart'))._componentsViews
        .find(view => view.type === 'tooltip')?._tooltipContent)";

/// WCAG's contrast ratio of two `#rrggbb` colours.
pub fn contrast(a: &str, b: &str) -> f64 {
    let luminance = |hex: &str| {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("a #rrggbb colour")) / 255.0;
            if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Evaluates `path` (e.g. `.series.length`) on the chart's current option.
pub async fn chart_option(client: &Client, path: &str) -> serde_json::Value {
    eval(client, &format!("{CHART_OPTION}{path}")).await
}

/// Evaluates `path` (e.g. `.map(s => s.name)`) on the chart's lines.
pub async fn chart_lines(client: &Client, path: &str) -> serde_json::Value {
    eval(client, &format!("{CHART_LINES}{path}")).await
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

/// axe-core's script (npm, installed into frontend/node_modules by
/// `cargo xtask test` with the frontend's other packages).
fn axe_script() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("{}: {err}; run `cargo xtask test`, which installs it", path.display()))
}

/// Runs axe-core's WCAG 2.x A and AA rules on the page as it is, injected
/// from the test (never from the network), and returns what it found: every
/// violation, and every node whose ARIA attribute values it could not
/// confirm (`aria-valid-attr-value` left incomplete), as `"rule: target"`.
pub async fn axe_findings(client: &Client) -> Vec<String> {
    if eval(client, "typeof axe").await != "object" {
        client.execute(&axe_script(), vec![]).await.expect("axe-core loads");
    }
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
                .then(result => done([
                    ...result.violations,
                    ...result.incomplete.filter(item => item.id === 'aria-valid-attr-value'),
                ].flatMap(item => item.nodes.map(node =>
                    `${item.id}: ${node.target.join(' ')}: ${node.failureSummary ?? item.help}`))))
                .catch(err => done([`axe-core failed: ${err}`]));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    serde_json::from_value(found).expect("a list of findings")
}
