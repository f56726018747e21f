//! What the benchmarks' figures were measured on: cores, CPU, memory,
//! compiler and commit, as a Markdown table.

use std::process::Command;

use crate::process::project_root;

/// What the figures were measured on.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("?", |l| l.trim_start_matches([' ', '\t', ':']));
    let meminfo = read("/proc/meminfo");
    let memory_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rustc =
        Command::new("rustc").arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(project_root())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    format!(
        "| machine | |\n|---|---|\n| cores | {cores} |\n| CPU | {model} |\n| memory | {:.0} GiB |\n| compiler | {} |\n| commit | {} |\n",
        memory_kb as f64 / 1_048_576.0,
        rustc.unwrap_or_default(),
        commit.unwrap_or_default()
    )
}
