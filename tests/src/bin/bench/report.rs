//! The report: Markdown sections with tables, echoed to stderr as they come.

use std::time::Duration;

pub struct Report {
    sections: Vec<String>,
    /// Guards that did not hold, in words with their figures.
    broken: Vec<String>,
}

impl Report {
    pub fn new() -> Self {
        Self { sections: Vec::new(), broken: Vec::new() }
    }

    /// A limit the project keeps: recorded when `holds` is false, so the
    /// bench fails after printing the whole report.
    pub fn guard(&mut self, holds: bool, what: String) {
        if !holds {
            eprintln!("bench: guard broken: {what}");
            self.broken.push(what);
        }
    }

    /// The guards that did not hold.
    pub fn broken(&self) -> &[String] {
        &self.broken
    }

    /// A section: a heading, what was measured, and a table.
    pub fn section(&mut self, title: &str, how: &str, header: &[&str], rows: Vec<Vec<String>>) {
        let mut text = format!("## {title}\n\n{how}\n\n| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
        for row in rows {
            text.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        eprintln!("{text}");
        self.sections.push(text);
    }

    pub fn note(&mut self, text: &str) {
        eprintln!("{text}");
        self.sections.push(format!("{text}\n"));
    }

    pub fn markdown(&self) -> String {
        self.sections.join("\n")
    }
}

/// Latencies of one kind of request.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        Self(samples)
    }

    pub fn quantile(&self, q: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.0.len() - 1) as f64 * q).round() as usize;
        self.0[index]
    }

    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }
}

pub fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1_000.0)
}

pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1_000.0)
}

/// Bytes in KiB (1,024 bytes), as page weight is counted.
pub fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1_024.0)
}
