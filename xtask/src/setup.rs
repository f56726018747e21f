//! Installs the tools the project builds and tests with, each only when it
//! is missing or at another version.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{cargo, project_root, run_command};

/// Trunk 0.22 needs a newer Rust than the project's toolchain.
const TRUNK_VERSION: &str = "0.21.14";
/// The CloudWatch-compatible test server.
const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";
const MOTO_VERSION: &str = "5.2.5";
/// What the alarm export's tests apply its output with: the AWS CLI, the
/// CloudFormation linter and a Terraform (HCL) parser, with boto3 and
/// PyYAML for the rest; in a virtualenv of their own, so the AWS CLI's
/// pinned botocore never moves moto's.
const ALARM_TOOLS: [&str; 4] = ["awscli==1.46.3", "cfn-lint==1.58.0", "python-hcl2==8.1.4", "boto3==1.44.8"];

/// Debian's Chromium and ChromeDriver, where their packages install them;
/// the browser tests are pointed here (`TLSWATCH_CHROMIUM`, `TLSWATCH_CHROMEDRIVER`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's Redis server, for the tests of the cache replicas share
/// (`--cache-url`); BSD-licensed like Valkey, which Debian does not package here.
pub const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// What building the frontend (and, with `native_libraries`, the proxy) needs.
pub fn build_tools() -> Result<(), String> {
    native_libraries()?;
    wasm_target()?;
    trunk()?;
    wasm_bindgen()?;
    npm_packages()
}

/// What the black-box tests need besides the build tools.
pub fn test_tools() -> Result<(), String> {
    nextest()?;
    moto()?;
    alarm_tools()?;
    redis()?;
    browser()
}

/// A Redis-protocol server (Valkey where installed, else Debian's Redis),
/// and openssl, which makes the certificates of its TLS test.
fn redis() -> Result<(), String> {
    let server = Path::new("/usr/bin/valkey-server").is_file() || Path::new(REDIS_SERVER).is_file();
    if server && Path::new("/usr/bin/openssl").is_file() {
        return Ok(());
    }
    eprintln!("xtask: installing redis-server and openssl");
    apt_install(&["redis-server", "openssl"])
}

/// OpenSSL's headers and pkg-config, which the `openssl` crate (the target
/// probe's TLS client) builds against: Debian's OpenSSL 3.
pub fn native_libraries() -> Result<(), String> {
    let found = Command::new("pkg-config").args(["--exists", "openssl"]).status().is_ok_and(|status| status.success());
    if found {
        return Ok(());
    }
    eprintln!("xtask: installing libssl-dev and pkg-config");
    apt_install(&["libssl-dev", "pkg-config"])
}

/// Debian's Chromium and its WebDriver, for the browser tests and screenshots.
pub fn browser() -> Result<(), String> {
    let present = |path: &str| Path::new(path).is_file();
    if present(CHROMIUM) && present(CHROMEDRIVER) {
        return Ok(());
    }
    eprintln!("xtask: installing chromium and chromium-driver");
    apt_install(&["chromium", "chromium-driver"])
}

fn nextest() -> Result<(), String> {
    if cargo().args(["nextest", "--version"]).output().is_ok_and(|out| out.status.success()) {
        return Ok(());
    }
    eprintln!("xtask: installing cargo-nextest");
    run_command(cargo().args(["install", "cargo-nextest", "--locked"]))
}

fn wasm_target() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    if installed.lines().any(|line| line.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run_command(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn trunk() -> Result<(), String> {
    if version_of("trunk").is_some_and(|v| v.contains(TRUNK_VERSION)) {
        return Ok(());
    }
    eprintln!("xtask: installing trunk {TRUNK_VERSION} (several minutes, once)");
    run_command(cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))
}

fn wasm_bindgen() -> Result<(), String> {
    let wanted = locked_version("wasm-bindgen")?;
    let pinned = trunk_pinned_wasm_bindgen()?;
    if pinned != wanted {
        return Err(format!(
            "Trunk.toml pins wasm_bindgen = \"{pinned}\" but Cargo.lock has {wanted}; set Trunk.toml to {wanted}"
        ));
    }
    if version_of("wasm-bindgen").is_some_and(|v| v.split_whitespace().nth(1) == Some(wanted.as_str())) {
        return Ok(());
    }
    eprintln!("xtask: installing wasm-bindgen-cli {wanted}");
    // `--locked` does not build with this toolchain; the CLI's own ranges do.
    run_command(cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted, "--force"]))
}

fn npm_packages() -> Result<(), String> {
    let frontend = project_root().join("frontend");
    let installed = frontend.join("node_modules/.package-lock.json");
    let lock = frontend.join("package-lock.json");
    if is_newer(&installed, &lock) {
        return Ok(());
    }
    if version_of("npm").is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    run_command(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(frontend))
}

/// The virtualenv the tests take moto from.
pub fn venv() -> PathBuf {
    project_root().join(".tools/venv")
}

fn moto() -> Result<(), String> {
    let venv = venv();
    let python = venv.join("bin/python");
    let has_moto = python.is_file()
        && output(Command::new(&python).args(["-c", "import moto; print(moto.__version__)"]))
            .is_ok_and(|version| version.trim() == MOTO_VERSION)
        && venv.join("bin/moto_server").is_file();
    if has_moto {
        return Ok(());
    }
    create_venv(&venv)?;
    eprintln!("xtask: installing {MOTO_REQUIREMENT} into {}", venv.display());
    run_command(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        MOTO_REQUIREMENT,
    ]))
}

/// The virtualenv the alarm export's tests take their tools from.
pub fn alarm_venv() -> PathBuf {
    project_root().join(".tools/alarm-venv")
}

fn alarm_tools() -> Result<(), String> {
    let venv = alarm_venv();
    // The requirements installed last, written once they are in.
    let installed = venv.join("installed.txt");
    let wanted = ALARM_TOOLS.join("\n");
    if std::fs::read_to_string(&installed).is_ok_and(|text| text == wanted) && venv.join("bin/aws").is_file() {
        return Ok(());
    }
    create_venv(&venv)?;
    eprintln!("xtask: installing {} into {}", ALARM_TOOLS.join(" "), venv.display());
    run_command(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(ALARM_TOOLS),
    )?;
    std::fs::write(&installed, wanted).map_err(|err| format!("cannot write {}: {err}", installed.display()))
}

/// A Python virtualenv at `venv`, unless there is one.
fn create_venv(venv: &Path) -> Result<(), String> {
    if venv.join("bin/python").is_file() {
        return Ok(());
    }
    if Command::new("python3").args(["-m", "venv", "--help"]).output().map_or(true, |o| !o.status.success()) {
        apt_install(&["python3", "python3-venv"])?;
    }
    run_command(Command::new("python3").arg("-m").arg("venv").arg(venv))
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    run_command(Command::new("apt-get").arg("update").arg("-qq"))?;
    run_command(Command::new("apt-get").args(["install", "-y", "-qq", "--no-install-recommends"]).args(packages))
}

/// The version a locked package has in Cargo.lock.
pub fn locked_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(project_root().join("Cargo.lock"))
        .map_err(|err| format!("cannot read Cargo.lock: {err}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|v| v.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_string());
        }
    }
    Err(format!("{package} is not in Cargo.lock"))
}

fn trunk_pinned_wasm_bindgen() -> Result<String, String> {
    let config = std::fs::read_to_string(project_root().join("Trunk.toml"))
        .map_err(|err| format!("cannot read Trunk.toml: {err}"))?;
    config
        .lines()
        .find_map(|line| line.trim().strip_prefix("wasm_bindgen = \""))
        .map(|rest| rest.trim_end_matches('"').to_string())
        .ok_or_else(|| "Trunk.toml has no [tools] wasm_bindgen version".to_string())
}

/// The first line a tool prints for `--version`, if it runs.
fn version_of(tool: &str) -> Option<String> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("").to_string())
}

fn output(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|err| format!("cannot run {command:?}: {err}"))?;
    if !out.status.success() {
        return Err(format!("{command:?} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn is_newer(path: &Path, than: &Path) -> bool {
    let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
    matches!((modified(path), modified(than)), (Some(a), Some(b)) if a >= b)
}
