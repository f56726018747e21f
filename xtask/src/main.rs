//! tlswatch's project automation, run as `cargo xtask <command>`.
//!
//! Every command first installs what it needs (idempotently): the WASM
//! target, Trunk and wasm-bindgen-cli at pinned versions, the npm packages
//! the frontend vendors and, for tests, moto in a project-local virtualenv.
//! Nothing is downloaded from outside the package registries.

mod bench;
mod circles;
mod compress;
mod machine;
mod process;
mod setup;
mod soak;
mod tasks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "tlswatch's project automation")]
struct Xtask {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up, build the frontend and run tlswatch on the demo source at
    /// http://127.0.0.1:8080 (arguments after `--` go to tlswatch).
    Run {
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Set up and run every test: unit, property and black-box (moto-backed).
    Test,
    /// Build the release frontend into dist/ and the release binary.
    Dist,
    /// Measure speed, weight and upstream economy on release builds and
    /// write docs/benchmarks.md (sections: overhead, load, economy,
    /// response, page, review, replicas, probe, overview, fleet-review; all
    /// when none is named).
    Bench { sections: Vec<String> },
    /// Run the soak (3 replicas, a shared redis-server, two accounts in two
    /// regions, 64 clients, faults in the middle) on release builds and
    /// write its figures into docs/benchmarks.md.
    Soak {
        /// How long the soak runs.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
        minutes: u64,
    },
    /// Check formatting, module circles, clippy (native and wasm) and docs.
    Lint,
    /// Redo docs/screenshot.png: the dashboard on demo data in headless Chromium.
    Screenshot,
    /// Only install what the project needs.
    Setup,
}

fn main() -> ExitCode {
    let result = match Xtask::parse().command {
        Command::Run { args } => tasks::run(&args),
        Command::Test => tasks::test(),
        Command::Dist => tasks::dist(),
        Command::Bench { sections } => bench::run(&sections),
        Command::Soak { minutes } => soak::run(minutes),
        Command::Lint => tasks::lint(),
        Command::Screenshot => tasks::screenshot(),
        Command::Setup => setup::build_tools().and_then(|()| setup::test_tools()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
