//! `cargo xtask soak [--minutes N]`: builds the release binaries, runs the
//! soak (the `soak` binary of tlswatch-tests: three replicas, a
//! redis-server, moto behind the test upstream, faults in the middle of 64
//! clients' traffic) and writes its figures into their section of
//! docs/benchmarks.md. It fails when the soak found any wrong answer.

use std::process::{Command, Stdio};

use crate::machine::machine;
use crate::process::{cargo, project_root, run_command, target_dir};
use crate::setup;
use crate::tasks::NATIVE_PACKAGES;

/// Where the soak's section of docs/benchmarks.md starts and ends: the
/// bench rewrites the file and keeps it.
pub const SOAK_START: &str = "<!-- soak: written by cargo xtask soak -->";
pub const SOAK_END: &str = "<!-- /soak -->";

pub fn run(minutes: u64) -> Result<(), String> {
    setup::build_tools()?;
    setup::test_tools()?;
    run_command(cargo().args(["build", "--release"]).args(NATIVE_PACKAGES).arg("--bins"))?;
    let soak = Command::new(target_dir().join("release/soak"))
        .args(["--minutes", &minutes.to_string()])
        .env("CARGO_MANIFEST_DIR", project_root().join("tests"))
        .env("TLSWATCH_BIN", target_dir().join("release/tlswatch"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("cannot run the soak: {err}"))?;
    let figures = String::from_utf8_lossy(&soak.stdout);
    if !soak.status.success() {
        print!("{figures}");
        return Err(format!("the soak failed ({})", soak.status));
    }
    let section = format!(
        "{SOAK_START}\n## Soak: load and faults at once\n\nWritten by `cargo xtask soak --minutes {minutes}` (release \
         builds; moto 5.2 behind the test upstream; Debian's redis-server). `cargo xtask test` runs the same for \
         about 30 s and fails on any wrong answer.\n\n{}\n{figures}{SOAK_END}\n",
        machine()
    );
    let path = project_root().join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".to_string());
    let text = with_section(&text, &section);
    std::fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    eprintln!("xtask: wrote the soak's figures into {}", path.display());
    Ok(())
}

/// `text` with its soak section replaced by `section`, or `section` added
/// at its end.
pub fn with_section(text: &str, section: &str) -> String {
    match (text.find(SOAK_START), text.find(SOAK_END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{section}{}", &text[..start], text[end + SOAK_END.len()..].trim_start_matches('\n'))
        }
        _ => format!("{}\n\n{section}", text.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_added_at_the_end() {
        let section = format!("{SOAK_START}\nnew\n{SOAK_END}\n");
        assert_eq!(with_section("# B\n\nrest\n", &section), format!("# B\n\nrest\n\n{section}"));
        let old = format!("# B\n\n{SOAK_START}\nold\n{SOAK_END}\n\n## after\n");
        assert_eq!(with_section(&old, &section), format!("# B\n\n{section}## after\n"));
    }
}
