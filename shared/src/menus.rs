//! The menus the page offers (periods, presets, statistics, breakdowns, ...)
//! and the catalog answer that carries them with the metrics and limits.
//! Above the view and the catalog: it lists their values, they know nothing
//! of menus.

use crate::api::{CatalogResponse, Limits};
use crate::catalog::{self, AUTO_PERIODS, Choice, Metric};
use crate::display::{Refresh, TimeZone};
use crate::time::{DAY, HOUR, MINUTE};
use crate::view::{Breakdown, DEFAULT_TOP, Period};

fn choice(value: &str, label: &str) -> Choice {
    Choice { value: value.to_string(), label: label.to_string() }
}

/// The period menu: the periods `period=auto` chooses from, then `auto`.
pub fn period_choices() -> Vec<Choice> {
    AUTO_PERIODS
        .iter()
        .map(|&seconds| choice(&seconds.to_string(), &period_label(seconds)))
        .chain(std::iter::once(choice(&Period::Auto.to_string(), "Automatic")))
        .collect()
}

/// A period in words, in its largest whole unit: `5 minutes`, `1 hour`, `1 day`.
fn period_label(seconds: u32) -> String {
    let seconds = i64::from(seconds);
    let (amount, unit) = [(DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")]
        .into_iter()
        .find(|(unit, _)| seconds % unit == 0)
        .map_or((seconds, "second"), |(length, name)| (seconds / length, name));
    if amount == 1 { format!("1 {unit}") } else { format!("{amount} {unit}s") }
}

/// The relative time range presets, as values of `from` (with `to=now`).
pub fn time_presets() -> Vec<Choice> {
    vec![
        choice("now-1h", "Last 1 hour"),
        choice("now-3h", "Last 3 hours"),
        choice("now-12h", "Last 12 hours"),
        choice("now-24h", "Last 24 hours"),
        choice("now-7d", "Last 7 days"),
        choice("now-30d", "Last 30 days"),
        choice("now-90d", "Last 90 days"),
    ]
}

/// The breakdown menu (`by`); no breakdown is its absence.
pub fn breakdown_choices() -> Vec<Choice> {
    vec![choice(Breakdown::TargetGroup.as_str(), "Target group"), choice(Breakdown::Zone.as_str(), "Availability zone")]
}

/// The menu of how many lines a breakdown draws (`top`); any value from 1
/// to [`crate::view::MAX_TOP`] is accepted.
pub fn top_choices() -> Vec<Choice> {
    [5, DEFAULT_TOP, 20, 50].iter().map(|n| choice(&n.to_string(), &n.to_string())).collect()
}

/// How times are shown (`tz`).
pub fn time_zone_choices() -> Vec<Choice> {
    vec![choice(TimeZone::Utc.as_str(), "UTC"), choice(TimeZone::Local.as_str(), "Local time")]
}

/// How often a relative view reloads (`refresh`).
pub fn refresh_choices() -> Vec<Choice> {
    let label = |refresh: Refresh| match refresh {
        Refresh::Off => "Off",
        Refresh::OneMinute => "Every minute",
        Refresh::FiveMinutes => "Every 5 minutes",
    };
    Refresh::ALL.into_iter().map(|refresh| choice(refresh.as_str(), label(refresh))).collect()
}

/// The statistic menu; percentiles (`p99`, `p99.9`) are accepted besides these.
pub fn statistic_choices() -> Vec<Choice> {
    vec![
        choice("Sum", "Sum"),
        choice("Average", "Average"),
        choice("Minimum", "Minimum"),
        choice("Maximum", "Maximum"),
        choice("SampleCount", "Sample count"),
    ]
}

impl CatalogResponse {
    pub fn new(source: &str, regions: Vec<String>, default_region: String) -> Self {
        Self {
            source: source.to_string(),
            regions,
            default_region,
            metrics: Metric::ALL.iter().map(|metric| metric.info()).collect(),
            statistics: statistic_choices(),
            periods: period_choices(),
            time_presets: time_presets(),
            breakdowns: breakdown_choices(),
            tops: top_choices(),
            time_zones: time_zone_choices(),
            refresh: refresh_choices(),
            retention: catalog::RETENTION.to_vec(),
            limits: Limits {
                max_load_balancers: catalog::MAX_LOAD_BALANCERS,
                max_target_groups: catalog::MAX_TARGET_GROUPS,
                max_availability_zones: catalog::MAX_ZONES,
                max_series: catalog::MAX_SERIES,
                max_points_per_series: catalog::MAX_POINTS_PER_SERIES,
                max_points: None,
                max_range_seconds: catalog::MAX_RANGE,
                max_future_seconds: catalog::MAX_FUTURE,
                max_value_chars: catalog::MAX_VALUE_CHARS,
            },
            accounts: Vec::new(),
            default_account: crate::account::DEFAULT_ACCOUNT.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_menu_lists_every_automatic_period_in_words() {
        let menu = period_choices();
        let values: Vec<&str> = menu.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(values, ["60", "300", "900", "3600", "21600", "86400", "auto"]);
        let labels: Vec<&str> = menu.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["1 minute", "5 minutes", "15 minutes", "1 hour", "6 hours", "1 day", "Automatic"]);
        assert_eq!(period_label(90), "90 seconds");
    }

    #[test]
    fn every_menu_value_is_one_a_view_accepts() {
        for choice in period_choices() {
            crate::View::from_query(&format!("period={}", choice.value)).unwrap();
        }
        for choice in breakdown_choices() {
            crate::View::from_query(&format!("by={}", choice.value)).unwrap();
        }
        for choice in top_choices() {
            crate::View::from_query(&format!("by=tg&top={}", choice.value)).unwrap();
        }
    }
}
