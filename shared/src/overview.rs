//! The fleet overview: every load balancer of every account and region the
//! caller may read, ranked by errors. This module reads the overview's
//! query string and turns one load balancer's datapoints into its row; the
//! proxy only fetches.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::account::AccountName;
use crate::annotate::onset;
use crate::api::NamedValue;
use crate::catalog::{Metric, period_multiple_for_age};
use crate::dims::{LoadBalancer, Region};
use crate::error::{ErrorCode, ViewError, quote_key};
use crate::fleet_summary::FleetSummary;
use crate::grid::fill_grid;
use crate::plan::{Plan, auto_period_within};
use crate::query;
use crate::review::{Finding, FindingCode, FindingFilter, Severity};
use crate::stat::{Fill, Statistic};
use crate::time::TimeSpec;
use crate::view::{DEFAULT_FROM, Period, View};

/// The overview's parameters, in canonical order.
pub const OVERVIEW_PARAMETERS: [&str; 9] =
    ["metric", "stat", "from", "to", "account", "region", "finding", "severity", "sort"];

/// Most points of a row's sparkline.
pub const MAX_SPARK_POINTS: usize = 120;

/// Most buckets a row is computed from: a day at five minutes however it
/// is aligned (289 buckets). Worst bucket and buckets with errors are
/// counted at that resolution.
pub const MAX_OVERVIEW_BUCKETS: i64 = 300;

/// What an overview shows: one metric and statistic over one range, in the
/// accounts and regions named (none named: every one the caller may read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverviewQuery {
    pub metric: Metric,
    pub stat: Statistic,
    pub from: TimeSpec,
    pub to: TimeSpec,
    /// `account`, repeatable: only these accounts.
    pub accounts: Vec<AccountName>,
    /// `region`, repeatable: only these regions.
    pub regions: Vec<Region>,
    /// `finding` (repeatable) and `severity`: only load balancers with such findings.
    pub filter: FindingFilter,
    pub sort: OverviewSort,
}

/// How the overview's rows are ordered (`sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverviewSort {
    /// Most errors first.
    #[default]
    Errors,
    /// Most severe findings first, then most findings, then most errors.
    Findings,
}

impl OverviewSort {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Errors => "errors",
            Self::Findings => "findings",
        }
    }

    fn parse(text: &str) -> Result<Self, ViewError> {
        match text {
            "errors" => Ok(Self::Errors),
            "findings" => Ok(Self::Findings),
            _ => Err(ViewError::invalid("sort", text, "errors or findings")),
        }
    }
}

impl Default for OverviewQuery {
    fn default() -> Self {
        Self {
            metric: Metric::TargetTlsNegotiationErrorCount,
            stat: Statistic::Sum,
            from: DEFAULT_FROM,
            to: TimeSpec::Now,
            accounts: Vec::new(),
            regions: Vec::new(),
            filter: FindingFilter::default(),
            sort: OverviewSort::Errors,
        }
    }
}

impl OverviewQuery {
    /// Reads a query string strictly: any unknown, repeated single-valued
    /// or malformed parameter is refused, naming it.
    pub fn from_query(text: &str) -> Result<Self, ViewError> {
        let mut parsed = Self::default();
        let (mut accounts, mut regions, mut codes) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let mut seen = BTreeSet::new();
        for (key, value) in query::parse_pairs(text)? {
            let repeatable = matches!(key.as_str(), "account" | "region" | "finding");
            if !repeatable && !seen.insert(key.clone()) {
                return Err(ViewError::new(
                    ErrorCode::RepeatedParameter,
                    quote_key(&key),
                    format!(
                        "`{}` was given more than once; it takes a single value (only account, region and finding \
                         repeat)",
                        quote_key(&key)
                    ),
                ));
            }
            match key.as_str() {
                "metric" => parsed.metric = Metric::parse(&value)?,
                "stat" => parsed.stat = overview_statistic(&value)?,
                "from" => parsed.from = TimeSpec::parse("from", &value)?,
                "to" => parsed.to = TimeSpec::parse("to", &value)?,
                "account" => {
                    accounts.insert(AccountName::parse(&value)?);
                }
                "region" => {
                    regions.insert(Region::parse(&value)?);
                }
                "finding" => {
                    codes.insert(FindingCode::parse(&value)?);
                }
                "severity" => parsed.filter.severity = Some(Severity::parse(&value)?),
                "sort" => parsed.sort = OverviewSort::parse(&value)?,
                _ => {
                    return Err(ViewError::new(
                        ErrorCode::UnknownParameter,
                        quote_key(&key),
                        format!(
                            "unknown parameter `{}`; accepted: {}",
                            quote_key(&key),
                            OVERVIEW_PARAMETERS.join(", ")
                        ),
                    ));
                }
            }
        }
        parsed.accounts = accounts.into_iter().collect();
        parsed.regions = regions.into_iter().collect();
        parsed.filter.codes = codes.into_iter().collect();
        Ok(parsed)
    }

    /// The canonical query string: defaults left out, lists sorted.
    pub fn to_query(&self) -> String {
        let default = Self::default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.metric != default.metric {
            pairs.push(("metric", self.metric.as_str().to_string()));
        }
        if self.stat != default.stat {
            pairs.push(("stat", self.stat.to_string()));
        }
        if self.from != default.from {
            pairs.push(("from", self.from.to_string()));
        }
        if self.to != default.to {
            pairs.push(("to", self.to.to_string()));
        }
        pairs.extend(self.accounts.iter().map(|account| ("account", account.to_string())));
        pairs.extend(self.regions.iter().map(|region| ("region", region.to_string())));
        pairs.extend(self.filter.codes.iter().map(|code| ("finding", code.as_str().to_string())));
        pairs.extend(self.filter.severity.map(|s| ("severity", s.as_str().to_string())));
        if self.sort != default.sort {
            pairs.push(("sort", self.sort.as_str().to_string()));
        }
        query::write_pairs(pairs)
    }

    /// The range and period at `now`: the smallest period (allowed by
    /// retention) that keeps the range at or under [`MAX_OVERVIEW_BUCKETS`].
    pub fn plan(&self, now: i64) -> Result<Plan, ViewError> {
        let from = self.from.resolve(now);
        let to = self.to.resolve(now);
        let period = auto_period_within(from, to, period_multiple_for_age(now - from), MAX_OVERVIEW_BUCKETS);
        let view =
            View { stat: self.stat, from: self.from, to: self.to, period: Period::Seconds(period), ..View::default() };
        Plan::new(&view, now)
    }

    /// The view of one load balancer of a row, over the same range: what
    /// the row links to.
    pub fn view_of(&self, account: &AccountName, region: &Region, load_balancer: &LoadBalancer) -> View {
        View {
            metrics: vec![self.metric],
            load_balancers: vec![load_balancer.clone()],
            stat: self.stat,
            from: self.from,
            to: self.to,
            account: Some(account.clone()),
            region: Some(region.clone()),
            ..View::default()
        }
    }
}

/// The statistics an overview ranks by: the four the dashboard offers.
fn overview_statistic(text: &str) -> Result<Statistic, ViewError> {
    match Statistic::parse(text) {
        Ok(stat @ (Statistic::Sum | Statistic::Average | Statistic::Minimum | Statistic::Maximum)) => Ok(stat),
        _ => Err(ViewError::invalid("stat", text, "Sum, Average, Minimum or Maximum")),
    }
}

/// A bucket: its start in epoch seconds and its value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub t: i64,
    pub value: f64,
}

/// A row's sparkline: evenly spaced values from `start`, `period` seconds apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spark {
    pub start: i64,
    pub period: u32,
    /// `null` where the statistic has no value (no datapoint, for statistics
    /// where that does not mean zero).
    pub values: Vec<Option<f64>>,
    /// The start of the first point that holds a bucket CloudWatch may still
    /// add to: it and every later one are drawn as still filling, never as
    /// a drop. Absent when every bucket is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_from: Option<i64>,
}

/// One load balancer of the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewRow {
    pub account: String,
    pub region: String,
    pub load_balancer: NamedValue,
    /// The buckets' values added up: with Sum, the errors in the range.
    pub total: f64,
    pub buckets_with_errors: usize,
    /// The highest bucket, if any bucket has errors.
    pub worst: Option<Bucket>,
    /// The start of the last bucket with errors.
    pub last_error: Option<i64>,
    /// Where failing began, from final buckets only.
    pub onset: Option<i64>,
    /// The start of the first bucket that is not final yet, as in the series
    /// answer; absent when every bucket is final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_from: Option<i64>,
    pub spark: Spark,
    /// The dashboard view of this load balancer over the same range.
    pub view: String,
    /// Its review's findings, counted; absent when its configuration could
    /// not be read (or it was not found: deleted, or of another kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<RowFindings>,
}

/// A load balancer's findings, counted for its row.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RowFindings {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
    /// The code of the most severe finding.
    pub worst: Option<FindingCode>,
    /// Every code found, each once, most severe first.
    pub codes: Vec<FindingCode>,
}

impl RowFindings {
    /// Counts `findings` (most severe first, as a review sorts them).
    pub fn of(findings: &[Finding]) -> Self {
        let mut counted = Self { worst: findings.first().map(|f| f.code), ..Self::default() };
        for finding in findings {
            match finding.severity {
                Severity::High => counted.high += 1,
                Severity::Medium => counted.medium += 1,
                Severity::Low => counted.low += 1,
                Severity::Info => counted.info += 1,
            }
            if !counted.codes.contains(&finding.code) {
                counted.codes.push(finding.code);
            }
        }
        counted
    }

    /// The severity of the most severe finding.
    pub fn worst_severity(&self) -> Option<Severity> {
        [
            (self.high, Severity::High),
            (self.medium, Severity::Medium),
            (self.low, Severity::Low),
            (self.info, Severity::Info),
        ]
        .into_iter()
        .find(|(count, _)| *count > 0)
        .map(|(_, severity)| severity)
    }

    /// How many findings in all.
    pub fn total(&self) -> usize {
        self.high + self.medium + self.low + self.info
    }
}

/// Whether an account and region could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeState {
    Ok,
    Error,
}

/// One account and region of the overview, and how reading it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeStatus {
    pub account: String,
    pub region: String,
    pub status: ScopeState,
    /// Why it failed, worded for the page.
    pub message: Option<String>,
    /// Load balancers that reported the metric (0 when it failed).
    pub load_balancers: usize,
}

impl ScopeStatus {
    /// A scope that could not be read, and why.
    pub fn failed(account: String, region: String, message: String) -> Self {
        Self { account, region, status: ScopeState::Error, message: Some(message), load_balancers: 0 }
    }
}

/// `GET /api/v1/overview`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewResponse {
    /// The canonical query.
    pub view: String,
    pub start: i64,
    pub end: i64,
    pub period: u32,
    /// In the query's order.
    pub rows: Vec<OverviewRow>,
    /// The fleet's findings and policies at a glance.
    #[serde(default)]
    pub fleet: FleetSummary,
    pub scopes: Vec<ScopeStatus>,
    pub warnings: Vec<String>,
}

/// Where one load balancer's row comes from.
pub struct RowSource<'a> {
    pub account: &'a AccountName,
    pub region: &'a Region,
    pub load_balancer: &'a LoadBalancer,
    /// Its datapoints, in any order, possibly outside the plan.
    pub datapoints: &'a [(i64, f64)],
}

/// The row of one load balancer, on the plan's grid; `final_points`
/// buckets from the first are final (only those can show an onset).
pub fn row(query: &OverviewQuery, plan: &Plan, final_points: usize, source: RowSource<'_>) -> OverviewRow {
    let values = fill_grid(plan, source.datapoints.iter().copied(), Fill::default_for(query.stat));
    let times: Vec<i64> = plan.timestamps().collect();
    let mut total = 0.0;
    let mut buckets_with_errors = 0;
    let mut worst: Option<Bucket> = None;
    let mut last_error = None;
    for (&t, value) in times.iter().zip(&values) {
        let Some(value) = *value else { continue };
        total += value;
        if value > 0.0 {
            buckets_with_errors += 1;
            last_error = Some(t);
            if worst.is_none_or(|w| value > w.value) {
                worst = Some(Bucket { t, value });
            }
        }
    }
    let finals = &values[..final_points.min(values.len())];
    let lb = source.load_balancer;
    OverviewRow {
        account: source.account.to_string(),
        region: source.region.to_string(),
        load_balancer: NamedValue { value: lb.to_string(), name: lb.name().to_string() },
        total,
        buckets_with_errors,
        worst,
        last_error,
        onset: onset(finals).map(|(index, _)| times[index]),
        partial_from: times.get(final_points).copied(),
        spark: spark(query.stat, plan, &values, final_points),
        view: query.view_of(source.account, source.region, lb).to_query(),
        findings: None,
    }
}

/// `values` in at most [`MAX_SPARK_POINTS`] points: runs of whole buckets
/// combined as the statistic combines (added for Sum, highest for Maximum,
/// lowest for Minimum, mean for Average), so a spike stays as high as it was.
/// A point is still filling when any of its buckets is (`final_points` are
/// final).
fn spark(stat: Statistic, plan: &Plan, values: &[Option<f64>], final_points: usize) -> Spark {
    let group = values.len().div_ceil(MAX_SPARK_POINTS).max(1);
    let combined = values
        .chunks(group)
        .map(|chunk| {
            let present: Vec<f64> = chunk.iter().flatten().copied().collect();
            if present.is_empty() {
                return None;
            }
            Some(match stat {
                Statistic::Maximum => present.iter().copied().fold(f64::MIN, f64::max),
                Statistic::Minimum => present.iter().copied().fold(f64::MAX, f64::min),
                Statistic::Average => present.iter().sum::<f64>() / present.len() as f64,
                _ => present.iter().sum(),
            })
        })
        .collect();
    let period = plan.period * group as u32;
    let partial_from =
        (final_points < values.len()).then(|| plan.start + (final_points / group) as i64 * i64::from(period));
    Spark { start: plan.start, period, values: combined, partial_from }
}

/// Rows in `sort`'s order. By errors: most errors first, ties by worst
/// bucket. By findings: the most severe finding first (rows whose findings
/// are unknown last), then the most findings of each severity in turn, then
/// by errors. Then by account, region and name, so the order is the same on
/// every request.
pub fn rank(rows: &mut [OverviewRow], sort: OverviewSort) {
    let by_errors = |a: &OverviewRow, b: &OverviewRow| {
        let worst = |row: &OverviewRow| row.worst.map_or(0.0, |w| w.value);
        b.total.total_cmp(&a.total).then(worst(b).total_cmp(&worst(a)))
    };
    let severity_rank = |row: &OverviewRow| {
        let found = row.findings.as_ref();
        let worst = found.and_then(RowFindings::worst_severity).map_or(4, |s| s as u8);
        let counts = found.map_or([0; 4], |f| [f.high, f.medium, f.low, f.info]);
        (found.is_none(), worst, counts.map(std::cmp::Reverse))
    };
    rows.sort_by(|a, b| {
        let first = match sort {
            OverviewSort::Errors => by_errors(a, b),
            OverviewSort::Findings => severity_rank(a).cmp(&severity_rank(b)).then_with(|| by_errors(a, b)),
        };
        first.then_with(|| {
            (&a.account, &a.region, &a.load_balancer.value).cmp(&(&b.account, &b.region, &b.load_balancer.value))
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_750_000_000;
    const LB: &str = "app/edge-alb/50dc6c495c0c9188";

    fn row_of(query: &OverviewQuery, plan: &Plan, final_points: usize, datapoints: &[(i64, f64)]) -> OverviewRow {
        let (account, region) = (AccountName::parse("prod").unwrap(), Region::parse("eu-west-1").unwrap());
        let load_balancer = LoadBalancer::parse(LB).unwrap();
        let source = RowSource { account: &account, region: &region, load_balancer: &load_balancer, datapoints };
        row(query, plan, final_points, source)
    }

    fn ranked(account: &str, total: f64, worst: f64, name: &str) -> OverviewRow {
        OverviewRow {
            account: account.to_string(),
            region: "us-east-1".to_string(),
            load_balancer: NamedValue { value: format!("app/{name}/50dc6c495c0c9188"), name: name.to_string() },
            total,
            buckets_with_errors: 0,
            worst: (worst > 0.0).then_some(Bucket { t: 0, value: worst }),
            last_error: None,
            onset: None,
            partial_from: None,
            spark: Spark { start: 0, period: 300, values: Vec::new(), partial_from: None },
            view: String::new(),
            findings: None,
        }
    }

    #[test]
    fn queries_read_and_write_canonically() {
        let query =
            OverviewQuery::from_query("region=eu-west-1&account=prod&stat=Maximum&account=dev&from=now-7d").unwrap();
        assert_eq!(query.accounts.iter().map(AccountName::as_str).collect::<Vec<_>>(), ["dev", "prod"]);
        assert_eq!(query.to_query(), "stat=Maximum&from=now-7d&account=dev&account=prod&region=eu-west-1");
        assert_eq!(OverviewQuery::from_query(&query.to_query()).unwrap(), query);
        assert_eq!(OverviewQuery::from_query("").unwrap().to_query(), "");
    }

    #[test]
    fn bad_overview_queries_name_the_parameter() {
        for (query, param) in [
            ("lb=app/a/50dc6c495c0c9188", "lb"),
            ("stat=p99", "stat"),
            ("stat=Sum&stat=Sum", "stat"),
            ("account=no%20spaces", "account"),
            ("region=mars", "region"),
            ("from=yesterday", "from"),
            ("finding=weak", "finding"),
            ("severity=urgent", "severity"),
            ("sort=name", "sort"),
            ("sort=errors&sort=findings", "sort"),
        ] {
            assert_eq!(OverviewQuery::from_query(query).unwrap_err().param, param, "{query}");
        }
    }

    #[test]
    fn a_day_is_planned_at_five_minutes_and_a_month_coarser() {
        let day = OverviewQuery::default().plan(NOW).unwrap();
        assert_eq!(day.period, 300);
        assert!(day.points() as i64 <= MAX_OVERVIEW_BUCKETS);
        let month = OverviewQuery::from_query("from=now-30d").unwrap().plan(NOW).unwrap();
        assert!(month.points() as i64 <= MAX_OVERVIEW_BUCKETS, "{}", month.points());
    }

    #[test]
    fn a_row_counts_errors_on_the_grid_and_keeps_spikes_in_its_sparkline() {
        let plan = OverviewQuery::default().plan(NOW).unwrap();
        let at = |bucket: i64| plan.start + bucket * i64::from(plan.period);
        let points = [(at(10), 3.0), (at(200), 40.0), (at(201), 1.0), (plan.end + 300, 99.0)];
        let sum = row_of(&OverviewQuery::default(), &plan, plan.points(), &points);
        assert_eq!(sum.total, 44.0);
        assert_eq!(sum.buckets_with_errors, 3);
        assert_eq!(sum.worst, Some(Bucket { t: at(200), value: 40.0 }));
        assert_eq!(sum.last_error, Some(at(201)));
        assert_eq!(sum.view, format!("lb={LB}&account=prod&region=eu-west-1"));
        assert!(sum.spark.values.len() <= MAX_SPARK_POINTS);
        assert_eq!(sum.spark.values.iter().flatten().sum::<f64>(), 44.0, "a Sum sparkline adds up to the total");
        let maximum = OverviewQuery { stat: Statistic::Maximum, ..OverviewQuery::default() };
        let spark = row_of(&maximum, &plan, plan.points(), &points).spark;
        assert_eq!(spark.values.iter().flatten().copied().fold(0.0, f64::max), 40.0);
        assert!(spark.values.iter().any(Option::is_none), "no datapoint is no Maximum");
    }

    #[test]
    fn the_onset_reads_final_buckets_only() {
        let plan = OverviewQuery::default().plan(NOW).unwrap();
        let failing: Vec<(i64, f64)> = plan.timestamps().skip(200).map(|t| (t, 5.0)).collect();
        let query = OverviewQuery::default();
        let onset = row_of(&query, &plan, plan.points(), &failing).onset;
        assert_eq!(onset, Some(plan.start + 200 * i64::from(plan.period)));
        let onset = row_of(&query, &plan, 150, &failing).onset;
        assert_eq!(onset, None, "buckets still filling cannot start an onset");
    }

    #[test]
    fn still_filling_buckets_are_said_in_the_row_and_its_sparkline() {
        let plan = OverviewQuery::default().plan(NOW).unwrap();
        let every: Vec<(i64, f64)> = plan.timestamps().map(|t| (t, 1.0)).collect();
        let settled = row_of(&OverviewQuery::default(), &plan, plan.points(), &every);
        assert_eq!((settled.partial_from, settled.spark.partial_from), (None, None), "every bucket final");
        let last_final = plan.points() - 3;
        let filling = row_of(&OverviewQuery::default(), &plan, last_final, &every);
        let from = plan.start + last_final as i64 * i64::from(plan.period);
        assert_eq!(filling.partial_from, Some(from));
        // The sparkline's point holding that bucket, and every later one, is still filling.
        let spark = &filling.spark;
        let first = spark.partial_from.expect("a filling sparkline");
        assert!(first <= from && from < first + i64::from(spark.period), "{first} holds {from}");
        assert_eq!((first - spark.start) % i64::from(spark.period), 0, "on a point of the sparkline");
    }

    #[test]
    fn rows_rank_by_total_then_worst_then_name() {
        let mut rows = vec![
            ranked("a", 5.0, 1.0, "x"),
            ranked("a", 9.0, 2.0, "y"),
            ranked("a", 5.0, 4.0, "z"),
            ranked("b", 0.0, 0.0, "a"),
        ];
        rank(&mut rows, OverviewSort::Errors);
        let order: Vec<&str> = rows.iter().map(|r| r.load_balancer.name.as_str()).collect();
        assert_eq!(order, ["y", "z", "x", "a"]);
    }

    fn finding(code: FindingCode, severity: Severity) -> Finding {
        Finding {
            code,
            severity,
            load_balancer: String::new(),
            target_group: None,
            listener_port: None,
            text: String::new(),
            doc: String::new(),
        }
    }

    #[test]
    fn rows_rank_by_findings_most_severe_first_then_errors() {
        let with = |name: &str, total: f64, findings: Option<Vec<Finding>>| OverviewRow {
            findings: findings.map(|f| RowFindings::of(&f)),
            ..ranked("a", total, total, name)
        };
        let medium = || finding(FindingCode::PlaintextTargets, Severity::Medium);
        let high = || finding(FindingCode::TlsErrors, Severity::High);
        let mut rows = vec![
            with("unknown", 50.0, None),
            with("clean", 90.0, Some(vec![])),
            with("one-medium", 1.0, Some(vec![medium()])),
            with("two-medium", 0.0, Some(vec![medium(), medium()])),
            with("high", 0.0, Some(vec![high(), medium()])),
        ];
        rank(&mut rows, OverviewSort::Findings);
        let order: Vec<&str> = rows.iter().map(|r| r.load_balancer.name.as_str()).collect();
        assert_eq!(order, ["high", "two-medium", "one-medium", "clean", "unknown"]);
        let counted = rows[0].findings.as_ref().unwrap();
        assert_eq!((counted.high, counted.medium, counted.worst), (1, 1, Some(FindingCode::TlsErrors)));
        assert_eq!(counted.codes, vec![FindingCode::TlsErrors, FindingCode::PlaintextTargets]);
    }

    #[test]
    fn finding_filters_and_sort_are_written_canonically() {
        let query = OverviewQuery::from_query("sort=findings&severity=medium&finding=legacy-client-tls").unwrap();
        assert_eq!(query.to_query(), "finding=legacy-client-tls&severity=medium&sort=findings");
        assert_eq!(OverviewQuery::from_query("sort=errors").unwrap().to_query(), "");
    }
}
