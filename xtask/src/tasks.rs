//! The commands themselves.

use std::process::Command;

use crate::process::{cargo, project_root, run_command, target_dir};
use crate::{circles, compress, setup};

/// The pages Trunk builds, one app each: the HTML file under frontend/ and
/// its name in dist/. The first is Trunk.toml's target, built into dist/
/// itself (Trunk empties its dist directory first); each other page is
/// built beside it and moved in.
const PAGES: [(&str, &str); 2] = [("frontend/index.html", "index.html"), ("frontend/overview.html", "overview.html")];

/// Builds every page into dist/ (and, for release, its compressed copies).
pub fn trunk_build(release: bool) -> Result<(), String> {
    // Trunk finds wasm-opt (npm's binaryen, Trunk.toml's [tools]) on PATH.
    let npm_bin = project_root().join("frontend/node_modules/.bin");
    let path = std::env::join_paths(
        std::iter::once(npm_bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .map_err(|err| format!("cannot extend PATH: {err}"))?;
    let dist = project_root().join("dist");
    for (index, (page, output)) in PAGES.into_iter().enumerate() {
        let page_dist = if index == 0 {
            dist.clone()
        } else {
            project_root().join("frontend/build/pages").join(output.trim_end_matches(".html"))
        };
        let mut trunk = Command::new("trunk");
        trunk.current_dir(project_root()).env("PATH", &path).args(["build", page, "--offline"]);
        trunk.arg("--dist").arg(&page_dist).args(["--html-output", output]);
        if release {
            trunk.arg("--release");
        }
        run_command(&mut trunk)?;
        if index > 0 {
            move_files(&page_dist, &dist)?;
        }
    }
    if release {
        compress::precompress(&dist)?;
    }
    Ok(())
}

/// Moves every file of `from` into `to`. Files both pages load (the
/// stylesheet, ECharts) carry the same content hash: one copy is kept.
fn move_files(from: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|err| format!("cannot list {}: {err}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list {}: {err}", from.display()))?;
        let target = to.join(entry.file_name());
        std::fs::rename(entry.path(), &target)
            .map_err(|err| format!("cannot move {} to {}: {err}", entry.path().display(), target.display()))?;
    }
    Ok(())
}

/// Every native package: building them in one selection keeps cargo's
/// feature unification the same for `run`, `test` and `lint`, so the AWS SDK
/// is compiled once rather than once per selection.
pub const NATIVE_PACKAGES: [&str; 3] = ["--workspace", "--exclude", "tlswatch-frontend"];

pub fn run(args: &[String]) -> Result<(), String> {
    setup::build_tools()?;
    trunk_build(true)?;
    run_command(cargo().arg("build").args(NATIVE_PACKAGES).arg("--bins"))?;
    let mut proxy = Command::new(target_dir().join("debug/tlswatch"));
    proxy.args(["--source", "demo", "--dist"]).arg(project_root().join("dist")).args(args);
    run_command(&mut proxy)
}

pub fn test() -> Result<(), String> {
    setup::build_tools()?;
    setup::test_tools()?;
    // Style and lints first: they fail fast and cost little on a warm target.
    check_style()?;
    // The frontend must build; the proxy binary is what the black-box tests start.
    trunk_build(false)?;
    run_command(cargo().arg("build").args(NATIVE_PACKAGES).arg("--bins"))?;
    // nextest runs each test in its own process (each black-box test owns its
    // moto and tlswatch processes) and ends with one summary line.
    run_command(
        cargo()
            .args(["nextest", "run"])
            .args(NATIVE_PACKAGES)
            .args(["--no-fail-fast", "--status-level", "fail"])
            .env("TLSWATCH_CHROMIUM", setup::CHROMIUM)
            .env("TLSWATCH_CHROMEDRIVER", setup::CHROMEDRIVER),
    )
}

pub fn dist() -> Result<(), String> {
    setup::build_tools()?;
    trunk_build(true)?;
    // The same selection as `bench`, so both share one release build.
    run_command(cargo().args(["build", "--release"]).args(NATIVE_PACKAGES).arg("--bins"))?;
    eprintln!("xtask: frontend in dist/, binary in the target directory's release/tlswatch");
    Ok(())
}

pub fn lint() -> Result<(), String> {
    setup::build_tools()?;
    check_style()
}

/// rustfmt, module circles, clippy (native and wasm) and rustdoc, all
/// warnings as errors.
fn check_style() -> Result<(), String> {
    run_command(cargo().args(["fmt", "--all", "--check"]))?;
    circles::check()?;
    run_command(cargo().arg("clippy").args(NATIVE_PACKAGES).args(["--all-targets", "--", "-D", "warnings"]))?;
    run_command(cargo().args([
        "clippy",
        "--package",
        "tlswatch-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--",
        "-D",
        "warnings",
    ]))?;
    run_command(cargo().arg("doc").args(NATIVE_PACKAGES).arg("--no-deps").env("RUSTDOCFLAGS", "-D warnings"))
}

/// The view the README's screenshot shows: the demo's failing target group
/// beside its healthy neighbour over the last day.
const SCREENSHOT_VIEW: &str = "lb=app/payments-alb/3e9c1f0a7b2d4c68&tg=targetgroup/checkout-tls/4b1e8d2c9f0a7365\
    &tg=targetgroup/ledger-api/9c7a2e5f1d3b8046&period=900";

pub fn screenshot() -> Result<(), String> {
    setup::build_tools()?;
    setup::browser()?;
    trunk_build(true)?;
    run_command(cargo().arg("build").args(NATIVE_PACKAGES).arg("--bins"))?;
    let dist = project_root().join("dist");
    let mut server = Command::new(target_dir().join("debug/tlswatch"))
        .args(["--source", "demo", "--listen", "127.0.0.1:0", "--dist"])
        .arg(&dist)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot start tlswatch: {err}"))?;
    let address = match listening_address(&mut server) {
        Ok(address) => address,
        Err(err) => {
            let _ = server.kill();
            let _ = server.wait();
            return Err(err);
        }
    };
    let profile = std::env::temp_dir().join(format!("tlswatch-screenshot-{}", std::process::id()));
    let output = project_root().join("docs/screenshot.png");
    let result = run_command(
        Command::new(setup::CHROMIUM)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                "--window-size=1280,800",
                "--virtual-time-budget=10000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--screenshot={}", output.display()))
            .arg(format!("{address}/?{SCREENSHOT_VIEW}")),
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(profile);
    result?;
    eprintln!("xtask: wrote {}", output.display());
    Ok(())
}

/// The address a starting tlswatch reports (`listening on http://ADDR`),
/// read from its log; the rest of the log is drained so it never blocks.
fn listening_address(server: &mut std::process::Child) -> Result<String, String> {
    use std::io::{BufRead, BufReader};
    let stdout = server.stdout.take().ok_or("tlswatch's log is not piped")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = line.split("listening on ").nth(1).and_then(|rest| rest.split_whitespace().next()) {
                let _ = sender.send(address.to_string());
            }
        }
    });
    receiver.recv_timeout(std::time::Duration::from_secs(30)).map_err(|_| "tlswatch did not start listening".into())
}
