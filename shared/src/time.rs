//! Points in time as a view names them: `now`, `now-24h`, RFC 3339 or epoch seconds.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ViewError;

/// Seconds in a minute, an hour, a day and a week: the one definition of
/// each, for time specs, periods and retention alike.
pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;
pub const WEEK: i64 = 7 * DAY;

/// A point in time, absolute or relative to the moment the view is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSpec {
    Now,
    /// `now-<amount><unit>`.
    Ago {
        amount: u32,
        unit: TimeUnit,
    },
    /// Epoch seconds.
    At(i64),
}

/// The unit of a relative time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl TimeUnit {
    pub const fn seconds(self) -> i64 {
        match self {
            Self::Minutes => MINUTE,
            Self::Hours => HOUR,
            Self::Days => DAY,
            Self::Weeks => WEEK,
        }
    }

    const fn suffix(self) -> char {
        match self {
            Self::Minutes => 'm',
            Self::Hours => 'h',
            Self::Days => 'd',
            Self::Weeks => 'w',
        }
    }
}

const TIME_FORMAT: &str = "`now`, `now-<N><unit>` with unit m, h, d or w (e.g. now-24h), \
    an RFC 3339 timestamp (e.g. 2026-01-31T12:00:00Z) or epoch seconds";
/// Latest accepted absolute time: 9999-12-31T23:59:59Z.
const LATEST: i64 = 253_402_300_799;
/// Largest `N` in `now-<N><unit>`.
const MAX_AMOUNT: u32 = 999_999;

impl TimeSpec {
    /// Reads the value of the time parameter `param` (`from` or `to`).
    pub fn parse(param: &str, text: &str) -> Result<Self, ViewError> {
        let invalid = |accepted: &str| ViewError::invalid(param, text, accepted);
        if text == "now" {
            return Ok(Self::Now);
        }
        if let Some(relative) = text.strip_prefix("now-") {
            let unit = match relative.chars().last() {
                Some('m') => TimeUnit::Minutes,
                Some('h') => TimeUnit::Hours,
                Some('d') => TimeUnit::Days,
                Some('w') => TimeUnit::Weeks,
                _ => return Err(invalid(TIME_FORMAT)),
            };
            let digits = &relative[..relative.len() - 1];
            if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(TIME_FORMAT));
            }
            let amount: u32 = digits.parse().map_err(|_| invalid(TIME_FORMAT))?;
            debug_assert!(amount <= MAX_AMOUNT);
            return Ok(Self::Ago { amount, unit });
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<i64>() {
                Ok(seconds) if seconds <= LATEST => Ok(Self::At(seconds)),
                _ => Err(invalid(
                    "epoch seconds no later than 9999-12-31 (ten digits today; milliseconds are not accepted)",
                )),
            };
        }
        let timestamp = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| invalid(TIME_FORMAT))?;
        match timestamp.unix_timestamp() {
            seconds @ 0..=LATEST => Ok(Self::At(seconds)),
            _ => Err(invalid("a time between 1970-01-01 and 9999-12-31")),
        }
    }

    /// The time in epoch seconds, given the current time.
    pub fn resolve(self, now: i64) -> i64 {
        match self {
            Self::Now => now,
            Self::Ago { amount, unit } => now - i64::from(amount) * unit.seconds(),
            Self::At(seconds) => seconds,
        }
    }

    pub fn is_relative(self) -> bool {
        !matches!(self, Self::At(_))
    }
}

/// `t` rounded down to a whole minute: absolute times the page writes
/// (pinned or zoomed ranges) are whole minutes, so links stay short.
pub fn minute_floor(t: i64) -> i64 {
    t.div_euclid(60) * 60
}

/// `t` rounded up to a whole minute.
pub fn minute_ceil(t: i64) -> i64 {
    minute_floor(t + 59)
}

impl fmt::Display for TimeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Now => f.write_str("now"),
            Self::Ago { amount, unit } => write!(f, "now-{amount}{}", unit.suffix()),
            Self::At(seconds) => match OffsetDateTime::from_unix_timestamp(*seconds).map(|t| t.format(&Rfc3339)) {
                Ok(Ok(timestamp)) => f.write_str(&timestamp),
                _ => write!(f, "{seconds}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_accepted_form() {
        assert_eq!(TimeSpec::parse("from", "now").unwrap(), TimeSpec::Now);
        assert_eq!(TimeSpec::parse("from", "now-15m").unwrap(), TimeSpec::Ago { amount: 15, unit: TimeUnit::Minutes });
        assert_eq!(TimeSpec::parse("from", "now-4w").unwrap().resolve(1_000_000_000), 1_000_000_000 - 4 * 604_800);
        assert_eq!(TimeSpec::parse("from", "1764288000").unwrap(), TimeSpec::At(1_764_288_000));
        assert_eq!(TimeSpec::parse("from", "2025-11-28T00:00:00Z").unwrap(), TimeSpec::At(1_764_288_000));
        assert_eq!(TimeSpec::parse("from", "2025-11-28T02:00:00+02:00").unwrap(), TimeSpec::At(1_764_288_000));
    }

    #[test]
    fn whole_minutes_round_down_and_up() {
        assert_eq!((minute_floor(119), minute_ceil(119)), (60, 120));
        assert_eq!((minute_floor(120), minute_ceil(120)), (120, 120));
        assert_eq!((minute_floor(-1), minute_ceil(-61)), (-60, -60));
    }

    #[test]
    fn refuses_malformed_times() {
        for bad in [
            "",
            "yesterday",
            "now-",
            "now-h",
            "now-24",
            "now-24y",
            "now+1h",
            "now--1h",
            "now-1234567h",
            "1764288000000",
            "-5",
            "2025-11-28",
            "2025-13-01T00:00:00Z",
            "NaN",
            "1e9",
        ] {
            let err = TimeSpec::parse("from", bad).unwrap_err();
            assert_eq!(err.param, "from", "{bad}");
        }
    }

    #[test]
    fn writes_absolute_times_as_rfc3339() {
        assert_eq!(TimeSpec::At(1_764_288_000).to_string(), "2025-11-28T00:00:00Z");
        assert_eq!(TimeSpec::Ago { amount: 7, unit: TimeUnit::Days }.to_string(), "now-7d");
    }
}
