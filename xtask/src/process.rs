//! Where the project is and how its commands are run: the lowest layer of
//! xtask, which every task and the set-up use.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root (xtask lives one level below it).
///
/// Read from the environment `cargo run` sets, not from the path baked in at
/// compile time: with a target directory shared between checkouts, the
/// binary cargo runs may have been built from another checkout.
pub fn project_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(manifest_dir).parent().expect("xtask/ has a parent").to_path_buf()
}

/// `cargo`, as the one running xtask.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(project_root());
    command
}

/// Runs a command to completion, failing if it fails.
pub fn run_command(command: &mut Command) -> Result<(), String> {
    let status = command.status().map_err(|err| format!("cannot run {command:?}: {err}"))?;
    if status.success() { Ok(()) } else { Err(format!("{command:?} failed ({status})")) }
}

/// The target directory cargo builds into.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| project_root().join("target"))
}
