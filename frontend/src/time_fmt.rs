//! Times as the page shows and reads them, in UTC or the browser's zone.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tlswatch_shared::TimeZone;

/// `2026-11-28 14:05 UTC`, or the same in the browser's zone with its offset
/// (`2026-11-28 15:05 UTC+01:00`).
pub fn show(seconds: i64, tz: TimeZone) -> String {
    match tz {
        TimeZone::Utc => match utc_parts(seconds) {
            Some((y, mo, d, h, mi)) => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC"),
            None => seconds.to_string(),
        },
        TimeZone::Local => {
            let (y, mo, d, h, mi) = local_parts(seconds);
            // The zone's offset then, so a local time is read as one.
            let east = -(js_sys::Date::new(&((seconds as f64) * 1_000.0).into()).get_timezone_offset() as i32);
            let sign = if east < 0 { '-' } else { '+' };
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC{sign}{:02}:{:02}", east.abs() / 60, east.abs() % 60)
        }
    }
}

/// The value of a `datetime-local` input: `2026-11-28T14:05`.
pub fn to_input(seconds: i64, tz: TimeZone) -> String {
    match tz {
        TimeZone::Utc => match utc_parts(seconds) {
            Some((y, mo, d, h, mi)) => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}"),
            None => String::new(),
        },
        TimeZone::Local => {
            let (y, mo, d, h, mi) = local_parts(seconds);
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}")
        }
    }
}

/// Reads a `datetime-local` input's value in `tz`.
pub fn from_input(value: &str, tz: TimeZone) -> Option<i64> {
    if value.len() < 16 {
        return None;
    }
    match tz {
        TimeZone::Utc => {
            OffsetDateTime::parse(&format!("{}:00Z", &value[..16]), &Rfc3339).ok().map(|t| t.unix_timestamp())
        }
        TimeZone::Local => {
            // An ISO date-time without an offset is local time to `Date`.
            let millis = js_sys::Date::new(&value[..16].into()).get_time();
            millis.is_finite().then(|| (millis / 1_000.0) as i64)
        }
    }
}

fn local_parts(seconds: i64) -> (u32, u32, u32, u32, u32) {
    let date = js_sys::Date::new(&((seconds as f64) * 1_000.0).into());
    (date.get_full_year(), date.get_month() + 1, date.get_date(), date.get_hours(), date.get_minutes())
}

/// Year, month, day, hour and minute in UTC; `None` past what a date can hold.
fn utc_parts(seconds: i64) -> Option<(i32, u8, u8, u8, u8)> {
    let t = OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    Some((t.year(), t.month().into(), t.day(), t.hour(), t.minute()))
}

/// Epoch seconds now, from the browser's clock.
pub fn now() -> i64 {
    (js_sys::Date::now() / 1_000.0) as i64
}
