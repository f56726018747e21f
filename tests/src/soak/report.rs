//! What a soak tells: whether anything wrong, cross-account, bare or
//! unanswered came back, any panic, any replica slow to recover; and the
//! figures of the run, as Markdown.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::Settings;
use super::replicas::Instance;
use super::traffic::Tally;

/// Everything a soak measured.
#[derive(Debug)]
pub struct Outcome {
    pub settings: Settings,
    pub elapsed: Duration,
    pub tally: Tally,
    /// What the faults did, and when.
    pub steps: Vec<String>,
    /// Per replica and account, how long it took to answer fresh after the faults.
    pub recovery: Vec<Result<Duration, String>>,
    /// GetMetricData calls that reached the upstream.
    pub calls: usize,
    pub instances: Vec<Instance>,
}

impl Outcome {
    /// Everything that must not happen, said; empty when the soak held.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let tally = &self.tally;
        for (what, found) in [
            ("wrong answers", &tally.wrong),
            ("cross-account answers", &tally.cross_account),
            ("bare refusals", &tally.bare),
            ("requests unanswered by a replica that was up", &tally.unanswered),
        ] {
            if found.count > 0 {
                failures.push(format!("{} {what}, first: {:#?}", found.count, found.first));
            }
        }
        for instance in &self.instances {
            if let Some(line) = instance.log.iter().find(|line| line.contains("panicked")) {
                failures.push(format!("replica {} panicked: {line}", instance.replica));
            }
        }
        failures.extend(self.recovery.iter().filter_map(|wait| wait.as_ref().err().cloned()));
        if tally.requests() == 0 {
            failures.push("no request was answered".to_string());
        }
        failures
    }

    /// The figures, as a section of docs/benchmarks.md.
    pub fn markdown(&self) -> String {
        let tally = &self.tally;
        let seconds = self.elapsed.as_secs_f64();
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{} s of {} clients over keep-alive against 3 replicas sharing one redis-server, two accounts (the own \
             identity and a role assumed through moto's STS) in two regions, HTTP Basic with one reader per \
             account; each client asks for the other account's views on every tenth request. \
             {} requests answered ({:.0} a second); {} refused connections to the replica while it was down.\n",
            seconds.round(),
            self.settings.clients,
            tally.requests(),
            tally.requests() as f64 / seconds,
            tally.while_down,
        );
        let _ = writeln!(text, "Faults, in order:\n");
        for step in &self.steps {
            let _ = writeln!(text, "- {step}");
        }
        let _ = writeln!(text, "\n| checked | count |\n|---|---:|");
        for (what, found) in [
            ("wrong answers", &tally.wrong),
            ("cross-account answers", &tally.cross_account),
            ("bare (non-JSON) refusals", &tally.bare),
            ("unanswered requests (replica up)", &tally.unanswered),
        ] {
            let _ = writeln!(text, "| {what} | {} |", found.count);
        }
        let panics = self.instances.iter().filter(|i| i.log.iter().any(|l| l.contains("panicked"))).count();
        let _ = writeln!(text, "| replicas that panicked | {panics} |");
        let _ = writeln!(text, "| stale answers served (said so, with the time of the answer) | {} |", tally.stale);
        text.push_str(&self.routes_table());
        text.push_str(&self.calls_and_cache());
        text.push_str(&self.memory_table());
        text.push_str(&self.recovery_line());
        text
    }

    fn routes_table(&self) -> String {
        let mut text = String::from("\n| route | requests | p50 | p99 | statuses |\n|---|---:|---:|---:|---|\n");
        for (route, latencies) in &self.tally.answers {
            let mut sorted = latencies.clone();
            sorted.sort();
            let at = |share: f64| sorted[((sorted.len() - 1) as f64 * share) as usize];
            let statuses: Vec<String> = self
                .tally
                .statuses
                .iter()
                .filter(|((of, _), _)| of == route)
                .map(|((_, status), count)| format!("{status}: {count}"))
                .collect();
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} |",
                route.name(),
                sorted.len(),
                millis(at(0.5)),
                millis(at(0.99)),
                statuses.join(", ")
            );
        }
        text
    }

    fn calls_and_cache(&self) -> String {
        let views = self.tally.distinct_views.len();
        let mut lookups: BTreeMap<String, f64> = BTreeMap::new();
        let mut errors = 0.0;
        for instance in &self.instances {
            for (labels, value) in crate::samples_of(&instance.metrics, "tlswatch_shared_cache_lookups_total") {
                *lookups.entry(labels).or_default() += value;
            }
            errors += crate::samples_of(&instance.metrics, "tlswatch_shared_cache_errors_total").values().sum::<f64>();
        }
        let lookups: Vec<String> = lookups.iter().map(|(labels, value)| format!("{labels}: {value:.0}")).collect();
        format!(
            "\nCloudWatch: {} GetMetricData calls reached the upstream for {views} distinct series views asked \
             (JSON, CSV and breakdowns; the overview and alarm exports call it too), {:.2} per view, where one per \
             view would be the least: the faults make replicas call again (a throttled, failed, garbage or hung \
             call caches nothing, and the shared cache was emptied twice). Shared cache, over every replica \
             process (a killed process's counters are read just before it is killed): {}; {errors:.0} commands \
             failed or timed out.\n",
            self.calls,
            self.calls as f64 / views.max(1) as f64,
            if lookups.is_empty() { "no lookups".to_string() } else { lookups.join(", ") },
        )
    }

    fn memory_table(&self) -> String {
        let cache = f64::from(self.settings.cache_mib);
        let mut text = format!(
            "\n| replica process | peak resident MiB | over `--cache-mib {}` |\n|---|---:|---:|\n",
            self.settings.cache_mib
        );
        for (index, instance) in self.instances.iter().enumerate() {
            let _ = writeln!(
                text,
                "| {} (process {}) | {:.1} | {:+.1} |",
                instance.replica,
                index + 1,
                instance.peak_resident_mib,
                instance.peak_resident_mib - cache
            );
        }
        text
    }

    fn recovery_line(&self) -> String {
        let waits: Vec<String> = self
            .recovery
            .iter()
            .map(|wait| match wait {
                Ok(took) => millis(*took),
                Err(_) => "not within 30 s".to_string(),
            })
            .collect();
        format!(
            "\nAfter the faults ended, each replica answered a view nobody had asked, for each account, fresh and \
             right after: {} (replica by replica, account by account).\n",
            waits.join(", ")
        )
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1_000.0)
}
