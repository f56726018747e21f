//! `cargo xtask bench`: builds the release frontend and binaries, runs the
//! micro-benchmarks (divan) and the system benchmarks (the `bench` binary of
//! tlswatch-tests: moto, the release tlswatch, headless Chromium), and writes
//! what they print to docs/benchmarks.md.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::machine::machine;
use crate::process::{cargo, project_root, run_command, target_dir};
use crate::setup;
use crate::soak::{self, SOAK_END, SOAK_START};
use crate::tasks::{NATIVE_PACKAGES, trunk_build};

pub fn run(sections: &[String]) -> Result<(), String> {
    setup::build_tools()?;
    setup::test_tools()?;
    trunk_build(true)?;
    run_command(cargo().args(["build", "--release"]).args(NATIVE_PACKAGES).arg("--bins"))?;
    run_command(cargo().args(["bench", "--package", "tlswatch-shared", "--no-run"]))?;

    let started = Instant::now();
    let micro = if sections.is_empty() {
        Some(captured(cargo().args(["bench", "--package", "tlswatch-shared", "--bench", "assembly"]))?)
    } else {
        None
    };
    let system = captured(
        Command::new(target_dir().join("release/bench"))
            .args(sections)
            .env("CARGO_MANIFEST_DIR", project_root().join("tests"))
            .env("TLSWATCH_BIN", target_dir().join("release/tlswatch"))
            .env("TLSWATCH_CHROMIUM", setup::CHROMIUM)
            .env("TLSWATCH_CHROMEDRIVER", setup::CHROMEDRIVER),
    )?;
    let took = started.elapsed().as_secs();

    let mut text = String::from(
        "# Benchmarks\n\nWritten by `cargo xtask bench` (release builds; moto 5.2 as CloudWatch; headless \
         Chromium). Reproduce with `cargo xtask bench`, or one part with `cargo xtask bench <overhead|load|economy|\
         response|page|review|replicas|probe|overview|fleet-review>` (which prints without writing this file). The machine is shared and small: compare \
         ratios and medians, not single figures.\n\n",
    );
    text.push_str(&machine());
    text.push_str(&format!("\nThe benchmarks took {took} s after the builds.\n\n"));
    text.push_str(&system);
    if let Some(micro) = micro {
        text.push_str(
            "\n## 9. Micro-benchmarks\n\n`cargo bench -p tlswatch-shared` (divan): reading a view from its query \
             string, and assembling one 100,800-point series (70 days at 1 min).\n\n```text\n",
        );
        text.push_str(&micro);
        text.push_str("```\n");
        let path = project_root().join("docs/benchmarks.md");
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        if let (Some(start), Some(end)) = (before.find(SOAK_START), before.find(SOAK_END)) {
            text = soak::with_section(&text, &before[start..end + SOAK_END.len()]);
        }
        std::fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        eprintln!("xtask: wrote {} ({took} s of measurements)", path.display());
    } else {
        print!("{text}");
    }
    Ok(())
}

/// Runs a command, passing its stderr through, and returns its stdout; on
/// failure its stdout is printed (the figures of a broken guard) first.
fn captured(command: &mut Command) -> Result<String, String> {
    let out = command.stderr(Stdio::inherit()).output().map_err(|err| format!("cannot run {command:?}: {err}"))?;
    if !out.status.success() {
        print!("{}", String::from_utf8_lossy(&out.stdout));
        return Err(format!("{command:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
