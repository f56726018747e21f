//! `cargo xtask soak [--minutes N]`: runs the soak (see `tlswatch_tests::soak`)
//! for N minutes (default 5) and prints its figures as Markdown; exits 1 when
//! any answer was wrong, of the other account, a bare refusal or missing, a
//! replica panicked, or one did not recover.

use tlswatch_tests::soak::{self, Settings};

fn main() {
    let minutes = match minutes(std::env::args().skip(1).collect()) {
        Ok(minutes) => minutes,
        Err(err) => {
            eprintln!("soak: {err}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let outcome = runtime.block_on(soak::run(Settings::bench(minutes)));
    print!("{}", outcome.markdown());
    let failures = outcome.failures();
    if !failures.is_empty() {
        eprintln!("soak: {} failure(s):\n- {}", failures.len(), failures.join("\n- "));
        std::process::exit(1);
    }
}

/// `--minutes N` (1 to 600), or 5.
fn minutes(args: Vec<String>) -> Result<u64, String> {
    match args.as_slice() {
        [] => Ok(5),
        [flag, value] if flag == "--minutes" => match value.parse::<u64>() {
            Ok(minutes @ 1..=600) => Ok(minutes),
            _ => Err(format!("--minutes takes a whole number of minutes from 1 to 600, not {value:?}")),
        },
        _ => Err(format!("unknown arguments {args:?}: the soak takes only --minutes N")),
    }
}
