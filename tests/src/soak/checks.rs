//! What every answer of the soak is held to: a 200 series answer's buckets
//! are what was put for its account and view (or it says it is stale, and
//! then holds nothing else); no answer holds another account's data or
//! names it; every refusal is a JSON error of a documented status, for the
//! caller's own reason.

use serde_json::Value;
use tlswatch_shared::TimeSpec;

use super::fleet::{ACCOUNTS, Account, Fleet, View, own_balancer};

/// What a client asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    Series,
    Csv,
    Breakdown,
    Dimensions,
    Catalog,
    Overview,
    Review,
    Changes,
    Alarm,
    /// A series view of the account the caller may not read.
    OtherAccount,
}

impl Route {
    pub fn name(self) -> &'static str {
        match self {
            Self::Series => "series",
            Self::Csv => "series (CSV)",
            Self::Breakdown => "series by=tg",
            Self::Dimensions => "dimensions",
            Self::Catalog => "catalog",
            Self::Overview => "overview",
            Self::Review => "review",
            Self::Changes => "changes",
            Self::Alarm => "alarm",
            Self::OtherAccount => "another account's series",
        }
    }
}

/// What a check found wrong with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// An answer that is not what was put, or a refusal not documented.
    Wrong(String),
    /// An answer holding, or naming, the other account.
    CrossAccount(String),
    /// A refusal without the JSON error body.
    Bare(String),
}

/// One answer as a client read it.
pub struct Answer<'a> {
    pub status: u16,
    pub stale: bool,
    pub content_type: &'a str,
    pub body: &'a str,
}

/// Checks `answer` to `route`, asked by the reader of `caller` about `view`.
pub fn check(route: Route, caller: &Account, view: &View, answer: &Answer) -> Result<(), Fault> {
    let other = &ACCOUNTS[usize::from(caller == &ACCOUNTS[0])];
    if let Some(marker) = markers(other).into_iter().find(|marker| answer.body.contains(marker.as_str()))
        && !(route == Route::OtherAccount && answer.status == 403)
    {
        return Err(Fault::CrossAccount(format!("{} answer names {marker}: {}", route.name(), excerpt(answer.body))));
    }
    if answer.status != 200 {
        return check_refusal(route, answer);
    }
    if route == Route::OtherAccount {
        return Err(Fault::CrossAccount(format!("{} was served: {}", view.query(), excerpt(answer.body))));
    }
    match route {
        Route::Csv => check_csv(view, answer),
        _ => {
            let body: Value =
                serde_json::from_str(answer.body).map_err(|_| Fault::Wrong(format!("{}: not JSON", route.name())))?;
            match route {
                Route::Series => check_series(view, answer.stale, &body),
                Route::Breakdown => check_breakdown(view, answer.stale, &body),
                Route::Catalog => check_catalog(caller, &body),
                Route::Overview => check_overview(caller, &body),
                _ => Ok(()),
            }
        }
    }
}

/// What only `account`'s answers hold: its own load balancer, its ID, its role.
fn markers(account: &Account) -> Vec<String> {
    let own = own_balancer(account);
    let name = own.split('/').nth(1).unwrap_or_default().to_string();
    [Some(name), Some(account.id.to_string()), account.role.map(str::to_string)].into_iter().flatten().collect()
}

/// A refusal: a JSON error with a code; for the caller's own series of the
/// other account the 403 naming `account`; otherwise only what upstream
/// faults are documented to answer (the caller may read the account).
fn check_refusal(route: Route, answer: &Answer) -> Result<(), Fault> {
    let body: Value = serde_json::from_str(answer.body)
        .map_err(|_| Fault::Bare(format!("{} {}: {}", route.name(), answer.status, excerpt(answer.body))))?;
    let code = body["error"]["code"].as_str().unwrap_or_default();
    if code.is_empty() || !answer.content_type.starts_with("application/json") {
        return Err(Fault::Bare(format!("{} {}: {}", route.name(), answer.status, excerpt(answer.body))));
    }
    let documented = match route {
        Route::OtherAccount => answer.status == 403 && code == "forbidden" && body["error"]["param"] == "account",
        _ => matches!(
            (answer.status, code),
            (502, "upstream_access_denied" | "upstream_unreachable" | "upstream_error")
                | (503, "upstream_throttled" | "busy")
                | (504, "upstream_timeout")
        ),
    };
    if documented {
        Ok(())
    } else {
        Err(Fault::Wrong(format!("{} {} {code}: {}", route.name(), answer.status, excerpt(answer.body))))
    }
}

/// Each bucket against what was put; a stale answer may leave buckets it
/// does not cover empty, and must say so.
fn check_series(view: &View, stale: bool, body: &Value) -> Result<(), Fault> {
    let series = &body["series"][0];
    let (Some(timestamps), Some(values)) = (series["timestamps"].as_array(), series["values"].as_array()) else {
        return Err(Fault::Wrong(format!("{}: no series in {}", view.query(), excerpt(&body.to_string()))));
    };
    if stale && !body["warnings"].to_string().contains("showing the answer from") {
        return Err(Fault::Wrong(format!("{}: stale without saying from when", view.query())));
    }
    let buckets = timestamps.iter().zip(values).map(|(t, value)| (t.as_i64().unwrap_or_default(), value.as_f64()));
    check_buckets(view, stale, buckets)
}

fn check_csv(view: &View, answer: &Answer) -> Result<(), Fault> {
    let mut rows = answer.body.lines().skip(1);
    let buckets: Vec<(i64, Option<f64>)> = rows
        .by_ref()
        .filter_map(|row| {
            let (time, value) = row.split_once(',')?;
            let t = match TimeSpec::parse("time", time) {
                Ok(TimeSpec::At(t)) => t,
                _ => return None,
            };
            Some((t, value.parse().ok()))
        })
        .collect();
    if buckets.is_empty() {
        return Err(Fault::Wrong(format!("{} as CSV: no rows: {}", view.query(), excerpt(answer.body))));
    }
    check_buckets(view, answer.stale, buckets.into_iter())
}

fn check_buckets(view: &View, stale: bool, buckets: impl Iterator<Item = (i64, Option<f64>)>) -> Result<(), Fault> {
    let mut seen = 0;
    for (t, value) in buckets {
        seen += 1;
        let expected = view.expected(t);
        let same = match (value, expected) {
            (Some(value), Some(expected)) => (value - expected).abs() <= 1e-9 * expected.abs().max(1.0),
            (None, _) => stale,
            (Some(_), None) => false,
        };
        if same {
            continue;
        }
        let other = view.of_the_other_account();
        let said = format!("{} at {t}: {value:?}, put {expected:?}", view.query());
        return Err(match value {
            Some(value) if Fleet::could_be(other.account(), value, view.period) => Fault::CrossAccount(said),
            _ => Fault::Wrong(said),
        });
    }
    let wanted = (view.to - view.from) / view.period;
    if seen == wanted { Ok(()) } else { Err(Fault::Wrong(format!("{}: {seen} buckets of {wanted}", view.query()))) }
}

/// The breakdown's one target group carries its load balancer's values,
/// bucket by bucket as a series does (a stale answer may leave buckets it
/// does not cover empty: its last good answer may be of another range),
/// and its ranking total is what its buckets add up to.
fn check_breakdown(view: &View, stale: bool, body: &Value) -> Result<(), Fault> {
    let ranking = body["ranking"].as_array().map(Vec::as_slice).unwrap_or_default();
    let [group] = ranking else {
        return Err(Fault::Wrong(format!("{} by=tg: {} groups, put 1", view.query(), ranking.len())));
    };
    check_series(view, stale, body)?;
    if view.stat != 0 {
        return Ok(());
    }
    let total = group["total"].as_f64().unwrap_or(f64::NAN);
    let values = body["series"][0]["values"].as_array().map(Vec::as_slice).unwrap_or_default();
    let drawn: f64 = values.iter().filter_map(Value::as_f64).sum();
    if (total - drawn).abs() < 1e-6 {
        Ok(())
    } else {
        Err(Fault::Wrong(format!("{} by=tg: ranking total {total}, buckets add up to {drawn}", view.query())))
    }
}

/// The catalog lists the caller's account and no other.
fn check_catalog(caller: &Account, body: &Value) -> Result<(), Fault> {
    let accounts: Vec<&str> = body["accounts"]
        .as_array()
        .map(|accounts| accounts.iter().filter_map(|account| account["name"].as_str()).collect())
        .unwrap_or_default();
    if accounts == [caller.name] {
        Ok(())
    } else if accounts.iter().any(|name| *name != caller.name) {
        Err(Fault::CrossAccount(format!("the catalog of {} lists {accounts:?}", caller.user)))
    } else {
        Err(Fault::Wrong(format!("the catalog of {} lists {accounts:?}", caller.user)))
    }
}

/// Every overview row is of the caller's account.
fn check_overview(caller: &Account, body: &Value) -> Result<(), Fault> {
    let rows = body["rows"].as_array().map(Vec::as_slice).unwrap_or_default();
    match rows.iter().find(|row| row["account"] != caller.name) {
        Some(row) => Err(Fault::CrossAccount(format!("the overview of {} has {}", caller.user, row["account"]))),
        None if rows.is_empty() && body["scopes"].to_string().contains("\"ok\"") => {
            Err(Fault::Wrong(format!("the overview of {} has no rows", caller.user)))
        }
        None => Ok(()),
    }
}

/// The start of a long answer, for a failure message.
fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soak::fleet::Fleet;

    fn answer(body: &str) -> Answer<'_> {
        Answer { status: 200, stale: false, content_type: "application/json", body }
    }

    fn series_of(view: &View, value: impl Fn(i64) -> Option<f64>) -> String {
        let timestamps: Vec<i64> = (view.from..view.to).step_by(view.period as usize).collect();
        let values: Vec<Option<f64>> = timestamps.iter().map(|t| value(*t)).collect();
        serde_json::json!({"series": [{"timestamps": timestamps, "values": values}], "warnings": []}).to_string()
    }

    fn a_view() -> View {
        let fleet = Fleet::ending_before(1_800_000_000, 1);
        View { account: 0, region: 1, balancer: 0, stat: 0, period: 3_600, from: fleet.start, to: fleet.start + 7_200 }
    }

    #[test]
    fn a_series_is_right_wrong_or_another_accounts() {
        let view = a_view();
        let caller = &ACCOUNTS[0];
        assert_eq!(check(Route::Series, caller, &view, &answer(&series_of(&view, |t| view.expected(t)))), Ok(()));
        let off_by_one = series_of(&view, |t| view.expected(t).map(|v| v + 1.0));
        assert!(matches!(check(Route::Series, caller, &view, &answer(&off_by_one)), Err(Fault::Wrong(_))));
        let other = view.of_the_other_account();
        let theirs = series_of(&view, |t| other.expected(t));
        assert!(matches!(check(Route::Series, caller, &view, &answer(&theirs)), Err(Fault::CrossAccount(_))));
        let empty = series_of(&view, |_| None);
        assert!(matches!(check(Route::Series, caller, &view, &answer(&empty)), Err(Fault::Wrong(_))));
    }

    #[test]
    fn refusals_must_be_json_of_a_documented_status_and_never_name_the_other_account() {
        let view = a_view();
        let caller = &ACCOUNTS[0];
        let refusal = |status, body| Answer { status, stale: false, content_type: "application/json", body };
        let throttled = r#"{"error":{"code":"upstream_throttled","message":"CloudWatch throttled"}}"#;
        assert_eq!(check(Route::Series, caller, &view, &refusal(503, throttled)), Ok(()));
        let bare = Answer { status: 414, stale: false, content_type: "", body: "" };
        assert!(matches!(check(Route::Series, caller, &view, &bare), Err(Fault::Bare(_))));
        let forbidden = r#"{"error":{"code":"forbidden","message":"no","param":"account"}}"#;
        assert!(matches!(check(Route::Series, caller, &view, &refusal(403, forbidden)), Err(Fault::Wrong(_))));
        assert_eq!(check(Route::OtherAccount, caller, &view, &refusal(403, forbidden)), Ok(()));
        let named =
            r#"{"error":{"code":"upstream_error","message":"role arn:aws:iam::111111111111:role/tlswatch-reader"}}"#;
        assert!(matches!(check(Route::Series, caller, &view, &refusal(502, named)), Err(Fault::CrossAccount(_))));
        let served = series_of(&view, |t| view.expected(t));
        assert!(matches!(check(Route::OtherAccount, caller, &view, &answer(&served)), Err(Fault::CrossAccount(_))));
    }
}
