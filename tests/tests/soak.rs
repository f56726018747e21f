//! The soak's short run: half a minute of 64 clients against three replicas
//! sharing a redis-server, two accounts in two regions, while CloudWatch
//! throttles, fails, answers garbage and hangs for one account, its role is
//! refused, the shared cache is killed twice, a replica is killed and moto
//! restarted. Every answer is checked as it comes: no wrong answer, no
//! answer of the other account, no bare refusal, no panic, and every
//! replica fresh again within 30 s of the faults ending. `cargo xtask soak`
//! runs the same for minutes, for its figures.

use tlswatch_tests::soak::{self, Settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn load_and_faults_together_leave_every_answer_right_and_in_its_account() {
    let outcome = soak::run(Settings::short()).await;
    let failures = outcome.failures();
    assert!(failures.is_empty(), "{failures:#?}\n\n{}", outcome.markdown());
    // The faults were met: some answers were refusals of upstream faults, or stale.
    let refused: usize = outcome.tally.statuses.iter().filter(|((_, status), _)| *status >= 500).map(|(_, n)| n).sum();
    assert!(refused + outcome.tally.stale > 0, "no answer met a fault:\n{}", outcome.markdown());
    // Every tenth request asked for the other account, and was refused.
    let other: usize = outcome
        .tally
        .statuses
        .iter()
        .filter(|((route, _), _)| route.name() == "another account's series")
        .map(|(_, n)| n)
        .sum();
    assert!(other * 12 >= outcome.tally.requests(), "{other} of {} for the other account", outcome.tally.requests());
    println!("{}", outcome.markdown());
}
