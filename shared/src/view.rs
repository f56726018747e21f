//! The view: everything that decides what a user looks at, read from and
//! written to a URL query string. The page URL and the API request carry the
//! same query string, so a link is the view.

use std::collections::BTreeSet;
use std::fmt;

use crate::account::AccountName;
use crate::catalog::{
    DimensionName, MAX_LOAD_BALANCERS, MAX_RANGE, MAX_SERIES, MAX_TARGET_GROUPS, MAX_VALUE_CHARS, MAX_ZONES, Metric,
};
use crate::dims::{AvailabilityZone, Dimensions, LoadBalancer, Region, TargetGroup};
use crate::display::{AlarmFormat, Format, Refresh, TimeZone};
use crate::error::{ErrorCode, ViewError, quote, quote_key};
use crate::query;
use crate::stat::{Fill, Statistic};
use crate::time::{TimeSpec, TimeUnit, minute_floor};

/// The parameters a view is made of, in the canonical order of its query string.
pub const PARAMETERS: [&str; 19] = [
    "metric", "lb", "tg", "az", "by", "top", "stat", "period", "fill", "from", "to", "account", "region", "tz",
    "refresh", "rate", "stack", "alarm", "format",
];

/// Default of `top`: how many series a breakdown draws before summing the rest.
pub const DEFAULT_TOP: u32 = 10;
/// Largest `top`.
pub const MAX_TOP: u32 = 100;

/// A breakdown of the chosen load balancers (`by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Breakdown {
    /// One series per target group.
    TargetGroup,
    /// One series per availability zone.
    Zone,
}

impl Breakdown {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        match text {
            "tg" => Ok(Self::TargetGroup),
            "az" => Ok(Self::Zone),
            _ => Err(ViewError::invalid(
                "by",
                text,
                "`tg` (one series per target group) or `az` (per availability zone)",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TargetGroup => "tg",
            Self::Zone => "az",
        }
    }
}

fn parse_top(text: &str) -> Result<u32, ViewError> {
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_TOP).contains(n) && !text.starts_with('+') && !text.starts_with('0'))
        .ok_or_else(|| ViewError::invalid("top", text, &format!("a whole number from 1 to {MAX_TOP}")))
}

/// The bucket length of a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Chosen from the range and CloudWatch's retention (see [`crate::plan`]).
    Auto,
    /// Seconds: a positive multiple of 60.
    Seconds(u32),
}

impl Period {
    pub const DEFAULT: Self = Self::Seconds(300);

    pub fn parse(text: &str) -> Result<Self, ViewError> {
        if text == "auto" {
            return Ok(Self::Auto);
        }
        let accepted = format!(
            "`auto` or a number of seconds that is a positive multiple of 60 and at most {MAX_RANGE} (e.g. 300)"
        );
        let seconds: u32 = (!text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
            .ok_or_else(|| ViewError::invalid("period", text, &accepted))?;
        if seconds == 0 || !seconds.is_multiple_of(60) || i64::from(seconds) > MAX_RANGE {
            return Err(ViewError::invalid("period", text, &accepted));
        }
        Ok(Self::Seconds(seconds))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auto => f.write_str("auto"),
            Self::Seconds(seconds) => write!(f, "{seconds}"),
        }
    }
}

/// What a user looks at. Lists are kept sorted and free of repeats, so one
/// view has one query string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct View {
    /// `metric`, one or both of the catalog's metrics, in catalog order.
    pub metrics: Vec<Metric>,
    /// `lb`: empty means every load balancer that reported the metric.
    pub load_balancers: Vec<LoadBalancer>,
    /// `tg`: narrows the view to per-target-group series.
    pub target_groups: Vec<TargetGroup>,
    /// `az`: narrows the view to per-zone series.
    pub zones: Vec<AvailabilityZone>,
    /// `by`: one series per target group or zone of the chosen load balancers.
    pub by: Option<Breakdown>,
    /// `top`: with `by`, how many series are drawn before the rest are summed as "others".
    pub top: u32,
    pub stat: Statistic,
    pub period: Period,
    pub fill: Fill,
    pub from: TimeSpec,
    pub to: TimeSpec,
    /// `None` means the proxy's default account.
    pub account: Option<AccountName>,
    /// `None` means the account's default region.
    pub region: Option<Region>,
    /// How the page shows times (does not change the data).
    pub tz: TimeZone,
    /// How often the page reloads a relative view (does not change the data).
    pub refresh: Refresh,
    /// `rate=on`: also errors per 1,000 requests (target side) or new
    /// connections (client side). Needs `stat=Sum`.
    pub rate: bool,
    /// Whether the page stacks the lines (does not change the data).
    pub stack: bool,
    /// The alarm dialog, open on this form (does not change the data).
    pub alarm: Option<AlarmFormat>,
    /// What the API answers with (the page always asks for JSON).
    pub format: Format,
}

/// The default start of a view: the last 24 hours.
pub const DEFAULT_FROM: TimeSpec = TimeSpec::Ago { amount: 24, unit: TimeUnit::Hours };

impl Default for View {
    fn default() -> Self {
        Self {
            metrics: vec![Metric::TargetTlsNegotiationErrorCount],
            load_balancers: Vec::new(),
            target_groups: Vec::new(),
            zones: Vec::new(),
            by: None,
            top: DEFAULT_TOP,
            stat: Statistic::Sum,
            period: Period::DEFAULT,
            fill: Fill::Zero,
            from: DEFAULT_FROM,
            to: TimeSpec::Now,
            account: None,
            region: None,
            tz: TimeZone::default(),
            refresh: Refresh::default(),
            rate: false,
            stack: false,
            alarm: None,
            format: Format::default(),
        }
    }
}

impl View {
    /// Reads a view from a query string (with or without the leading `?`).
    ///
    /// Refuses unknown parameters, repeats of single-valued ones, malformed or
    /// overlong values and combinations the metric is not published with.
    pub fn from_query(query: &str) -> Result<Self, ViewError> {
        let mut view = View::default();
        let mut fill = None;
        let mut seen = BTreeSet::new();
        let (mut lbs, mut tgs, mut azs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        let mut metrics = BTreeSet::new();
        for (key, value) in query::parse_pairs(query)? {
            if value.chars().count() > MAX_VALUE_CHARS {
                return Err(ViewError::new(
                    ErrorCode::InvalidParameter,
                    quote_key(&key),
                    format!(
                        "`{}`: got {}; values are at most {MAX_VALUE_CHARS} characters",
                        quote_key(&key),
                        quote(&value)
                    ),
                ));
            }
            let repeatable = matches!(key.as_str(), "metric" | "lb" | "tg" | "az");
            if !repeatable && PARAMETERS.contains(&key.as_str()) && !seen.insert(key.clone()) {
                return Err(ViewError::new(
                    ErrorCode::RepeatedParameter,
                    key.clone(),
                    format!("`{key}` was given more than once; it takes a single value (only lb, tg and az repeat)"),
                ));
            }
            match key.as_str() {
                "metric" => {
                    metrics.insert(Metric::parse(&value)?);
                }
                "lb" => {
                    insert_limited(&mut lbs, LoadBalancer::parse(&value)?, "lb", "load balancers", MAX_LOAD_BALANCERS)?
                }
                "tg" => {
                    insert_limited(&mut tgs, TargetGroup::parse(&value)?, "tg", "target groups", MAX_TARGET_GROUPS)?
                }
                "az" => {
                    insert_limited(&mut azs, AvailabilityZone::parse(&value)?, "az", "availability zones", MAX_ZONES)?
                }
                "by" => view.by = Some(Breakdown::parse(&value)?),
                "top" => view.top = parse_top(&value)?,
                "stat" => view.stat = Statistic::parse(&value)?,
                "period" => view.period = Period::parse(&value)?,
                "fill" => fill = Some(Fill::parse(&value)?),
                "from" => view.from = TimeSpec::parse("from", &value)?,
                "to" => view.to = TimeSpec::parse("to", &value)?,
                "account" => view.account = Some(AccountName::parse(&value)?),
                "region" => view.region = Some(Region::parse(&value)?),
                "tz" => view.tz = TimeZone::parse(&value)?,
                "refresh" => view.refresh = Refresh::parse(&value)?,
                "alarm" => view.alarm = Some(AlarmFormat::parse("alarm", &value, "cloudformation, terraform or cli")?),
                "rate" => view.rate = on_off("rate", &value)?,
                "stack" => view.stack = on_off("stack", &value)?,
                "format" => view.format = Format::parse(&value)?,
                _ => {
                    return Err(ViewError::new(
                        ErrorCode::UnknownParameter,
                        quote_key(&key),
                        format!("unknown parameter `{}`; accepted: {}", quote_key(&key), PARAMETERS.join(", ")),
                    ));
                }
            }
        }
        if !metrics.is_empty() {
            view.metrics = metrics.into_iter().collect();
        }
        view.load_balancers = lbs.into_iter().collect();
        view.target_groups = tgs.into_iter().collect();
        view.zones = azs.into_iter().collect();
        view.fill = fill.unwrap_or(Fill::default_for(view.stat));
        view.check_dimension_set()?;
        if view.rate && view.stat != Statistic::Sum {
            return Err(ViewError::new(
                ErrorCode::InvalidParameter,
                "rate",
                format!(
                    "`rate`: rates are errors per 1,000 requests or new connections and must be asked with \
                     stat=Sum (got stat={})",
                    view.stat
                ),
            ));
        }
        Ok(view)
    }

    /// Reads as much of a view as a query string holds: every parameter
    /// that [`View::from_query`] accepts alongside the ones before it is
    /// kept, and each one it refuses is left out and reported, in order. A
    /// shared link with one bad value still opens the rest of its view.
    ///
    /// The strict parser decides alone (one parser): each parameter is
    /// tried on top of those kept so far, so a combination refused as a
    /// whole (say `rate=on` after `stat=Maximum`) blames its later part.
    pub fn from_query_lenient(query: &str) -> (Self, Vec<ViewError>) {
        let query = query.strip_prefix('?').unwrap_or(query);
        let (mut view, mut kept, mut errors) = (View::default(), String::new(), Vec::new());
        for piece in query.split('&').filter(|piece| !piece.is_empty()) {
            let tried = if kept.is_empty() { piece.to_string() } else { format!("{kept}&{piece}") };
            match View::from_query(&tried) {
                Ok(read) => (view, kept) = (read, tried),
                Err(err) => errors.push(err),
            }
        }
        (view, errors)
    }

    /// Writes the view as its canonical query string: parameters in
    /// [`PARAMETERS`] order, lists sorted, defaults left out.
    pub fn to_query(&self) -> String {
        let default = View::default();
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if self.metrics != default.metrics {
            pairs.extend(self.metrics.iter().map(|metric| ("metric", metric.as_str().to_string())));
        }
        pairs.extend(self.load_balancers.iter().map(|lb| ("lb", lb.to_string())));
        pairs.extend(self.target_groups.iter().map(|tg| ("tg", tg.to_string())));
        pairs.extend(self.zones.iter().map(|az| ("az", az.to_string())));
        if let Some(by) = self.by {
            pairs.push(("by", by.as_str().to_string()));
        }
        if self.top != default.top {
            pairs.push(("top", self.top.to_string()));
        }
        if self.stat != default.stat {
            pairs.push(("stat", self.stat.to_string()));
        }
        if self.period != default.period {
            pairs.push(("period", self.period.to_string()));
        }
        if self.fill != Fill::default_for(self.stat) {
            pairs.push(("fill", self.fill.as_str().to_string()));
        }
        if self.from != default.from {
            pairs.push(("from", self.from.to_string()));
        }
        if self.to != default.to {
            pairs.push(("to", self.to.to_string()));
        }
        if let Some(account) = &self.account {
            pairs.push(("account", account.to_string()));
        }
        if let Some(region) = &self.region {
            pairs.push(("region", region.to_string()));
        }
        if self.tz != default.tz {
            pairs.push(("tz", self.tz.as_str().to_string()));
        }
        if self.refresh != default.refresh {
            pairs.push(("refresh", self.refresh.to_string()));
        }
        if self.rate {
            pairs.push(("rate", "on".to_string()));
        }
        if self.stack {
            pairs.push(("stack", "on".to_string()));
        }
        if let Some(form) = self.alarm {
            pairs.push(("alarm", form.as_str().to_string()));
        }
        if self.format != default.format {
            pairs.push(("format", self.format.as_str().to_string()));
        }
        query::write_pairs(pairs)
    }

    /// The dimension names every series of this view has.
    pub fn dimension_names(&self) -> Vec<DimensionName> {
        let mut names = vec![DimensionName::LoadBalancer];
        if !self.target_groups.is_empty() || self.by == Some(Breakdown::TargetGroup) {
            names.push(DimensionName::TargetGroup);
        }
        if !self.zones.is_empty() || self.by == Some(Breakdown::Zone) {
            names.push(DimensionName::AvailabilityZone);
        }
        names
    }

    /// Whether the series must first be discovered: no `lb` given, or a
    /// breakdown into the target groups or zones that reported.
    pub fn needs_discovery(&self) -> bool {
        self.load_balancers.is_empty() || self.by.is_some()
    }

    /// The series this view shows, one per dimension combination.
    ///
    /// With load balancers named, every combination of the named values; with
    /// none named, the `discovered` combinations (what CloudWatch lists as
    /// having reported the metric) that have this view's dimension names and
    /// match its target groups and zones.
    pub fn series(&self, discovered: &[Dimensions]) -> Result<Vec<Dimensions>, ViewError> {
        let series: BTreeSet<Dimensions> = if self.needs_discovery() {
            let wanted = self.dimension_names();
            discovered
                .iter()
                .filter(|dims| dims.names() == wanted)
                .filter(|dims| matches_filter(&self.load_balancers, Some(&dims.load_balancer)))
                .filter(|dims| matches_filter(&self.target_groups, dims.target_group.as_ref()))
                .filter(|dims| matches_filter(&self.zones, dims.availability_zone.as_ref()))
                .cloned()
                .collect()
        } else {
            let tgs = optional_values(&self.target_groups);
            let azs = optional_values(&self.zones);
            let count = self.load_balancers.len() * tgs.len() * azs.len();
            if count > MAX_SERIES {
                return Err(too_many_series(count));
            }
            let mut combinations = BTreeSet::new();
            for lb in &self.load_balancers {
                for tg in &tgs {
                    for az in &azs {
                        combinations.insert(Dimensions {
                            load_balancer: lb.clone(),
                            target_group: tg.clone(),
                            availability_zone: az.clone(),
                        });
                    }
                }
            }
            combinations
        };
        if series.len() > MAX_SERIES {
            return Err(too_many_series(series.len()));
        }
        Ok(series.into_iter().collect())
    }

    /// The first metric of the view: what pickers list.
    pub fn metric(&self) -> Metric {
        self.metrics[0]
    }

    fn check_dimension_set(&self) -> Result<(), ViewError> {
        let names = self.dimension_names();
        let Some(metric) = self.metrics.iter().copied().find(|metric| !metric.has_dimension_set(&names)) else {
            return Ok(());
        };
        let published: Vec<String> = metric
            .info()
            .dimension_sets
            .iter()
            .map(|set| set.iter().map(|name| name.as_str()).collect::<Vec<_>>().join("+"))
            .collect();
        let param = match self.by {
            Some(_) => "by",
            None if self.target_groups.is_empty() => "az",
            None => "tg",
        };
        Err(ViewError::new(
            ErrorCode::InvalidParameter,
            param,
            format!(
                "`{param}`: {} is not published with these dimensions; it is published per {}",
                metric.as_str(),
                published.join(", ")
            ),
        ))
    }
}

/// What a change of one parameter does to the rest of a view: the rules
/// the page's controls follow, here so that both ends and the tests read
/// one definition.
impl View {
    /// The view without what only changes how the page shows it (time
    /// zone, refresh, stacking, format): what the API is asked.
    pub fn data_only(&self) -> View {
        View {
            tz: TimeZone::default(),
            refresh: Refresh::default(),
            stack: false,
            alarm: None,
            format: Format::default(),
            ..self.clone()
        }
    }

    /// Adds or removes a metric, keeping at least one and the catalog's
    /// order. A metric not published per target group takes the target
    /// groups (and a breakdown by them) with it.
    pub fn set_metric(&mut self, metric: Metric, on: bool) {
        let mut chosen: Vec<Metric> =
            Metric::ALL.into_iter().filter(|m| if *m == metric { on } else { self.metrics.contains(m) }).collect();
        if chosen.is_empty() {
            chosen.push(metric);
        }
        self.metrics = chosen;
        if !self.metrics.iter().all(|m| m.has_dimension_set(&self.dimension_names())) {
            self.target_groups.clear();
            if self.by == Some(Breakdown::TargetGroup) {
                self.by = None;
            }
        }
    }

    /// Moves the view to another account: its region, load balancers,
    /// target groups and zones belong to the account left.
    pub fn set_account(&mut self, account: AccountName) {
        if self.account.as_ref() == Some(&account) {
            return;
        }
        self.account = Some(account);
        self.region = None;
        self.load_balancers.clear();
        self.target_groups.clear();
        self.zones.clear();
    }

    /// Sets the statistic, with the fill that suits it (no datapoint is a
    /// zero for a sum, not for a maximum).
    pub fn set_stat(&mut self, stat: Statistic) {
        self.stat = stat;
        self.fill = Fill::default_for(stat);
    }

    /// Turns rates on or off; rates are of error counts, so on sets the
    /// statistic to Sum.
    pub fn set_rate(&mut self, on: bool) {
        self.rate = on;
        if on {
            self.set_stat(Statistic::Sum);
        }
    }

    /// A range that ends now, starting at `from`.
    pub fn set_relative_range(&mut self, from: TimeSpec) {
        self.from = from;
        self.to = TimeSpec::Now;
    }

    /// The range between two absolute times.
    pub fn set_absolute_range(&mut self, from: i64, to: i64) {
        self.from = TimeSpec::At(from);
        self.to = TimeSpec::At(to);
    }

    /// Pins a relative range to the times it stands for `now`, in whole
    /// minutes (a short link, aligned buckets); a pinned view does not
    /// refresh.
    pub fn pin_time(&mut self, now: i64) {
        self.set_absolute_range(minute_floor(self.from.resolve(now)), minute_floor(self.to.resolve(now)));
        self.refresh = Refresh::Off;
    }

    /// Whether the range is pinned to fixed times (neither end moves with now).
    pub fn is_pinned(&self) -> bool {
        !self.from.is_relative() && !self.to.is_relative()
    }
}

fn on_off(param: &str, value: &str) -> Result<bool, ViewError> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(ViewError::invalid(param, value, "`on` or `off`")),
    }
}

fn insert_limited<T: Ord>(
    set: &mut BTreeSet<T>,
    value: T,
    param: &str,
    what: &str,
    limit: usize,
) -> Result<(), ViewError> {
    set.insert(value);
    if set.len() > limit {
        return Err(ViewError::new(
            ErrorCode::InvalidParameter,
            param,
            format!("`{param}`: at most {limit} {what} per view"),
        ));
    }
    Ok(())
}

fn optional_values<T: Clone>(values: &[T]) -> Vec<Option<T>> {
    if values.is_empty() { vec![None] } else { values.iter().cloned().map(Some).collect() }
}

fn matches_filter<T: PartialEq>(filter: &[T], value: Option<&T>) -> bool {
    filter.is_empty() || value.is_some_and(|value| filter.contains(value))
}

fn too_many_series(count: usize) -> ViewError {
    ViewError::new(
        ErrorCode::TooManySeries,
        "lb",
        format!(
            "this view has {count} series; one view shows at most {MAX_SERIES}: name fewer load balancers \
             (lb), target groups (tg) or availability zones (az)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_view_drops_only_what_the_page_shows_differently() {
        let mut view = View::from_query(&format!("lb={LB_A}&stat=Maximum")).unwrap();
        let data = view.clone();
        view.tz = TimeZone::Local;
        view.refresh = Refresh::OneMinute;
        view.stack = true;
        view.format = Format::Csv;
        assert_ne!(view, data);
        assert_eq!(view.data_only(), data);
    }

    #[test]
    fn a_metric_change_keeps_one_metric_and_drops_what_the_new_set_lacks() {
        let mut view = View::default();
        view.set_metric(Metric::TargetTlsNegotiationErrorCount, false);
        assert_eq!(view.metrics, [Metric::TargetTlsNegotiationErrorCount], "at least one metric");
        let mut view = View::from_query(&format!("tg={TG}&by=tg")).unwrap();
        view.set_metric(Metric::ClientTlsNegotiationErrorCount, true);
        assert_eq!(view.metrics, Metric::ALL, "in the catalog's order");
        assert!(view.target_groups.is_empty() && view.by.is_none(), "the client side has no target groups");
        let mut view = View::from_query(&format!("tg={TG}")).unwrap();
        view.set_metric(Metric::TargetTlsNegotiationErrorCount, true);
        assert_eq!(view.target_groups.len(), 1, "the target side keeps them");
    }

    #[test]
    fn another_account_clears_what_belonged_to_the_last() {
        let mut view = View::from_query(&format!("lb={LB_A}&tg={TG}&az=us-east-1a&region=eu-west-1&by=tg")).unwrap();
        let same = view.clone();
        view.set_account(AccountName::parse("prod").unwrap());
        assert_eq!(view.account, Some(AccountName::parse("prod").unwrap()));
        assert!(view.region.is_none() && view.load_balancers.is_empty());
        assert!(view.target_groups.is_empty() && view.zones.is_empty());
        assert_eq!(view.by, same.by, "the breakdown is no account's");
        let mut again = view.clone();
        again.set_account(AccountName::parse("prod").unwrap());
        assert_eq!(again, view, "the same account changes nothing");
    }

    #[test]
    fn statistics_bring_their_fill_and_rates_need_sums() {
        let mut view = View::default();
        view.set_stat(Statistic::Maximum);
        assert_eq!(view.fill, Fill::default_for(Statistic::Maximum));
        view.set_rate(true);
        assert!(view.rate);
        assert_eq!((view.stat, view.fill), (Statistic::Sum, Fill::default_for(Statistic::Sum)));
        view.set_stat(Statistic::Average);
        view.set_rate(false);
        assert_eq!(view.stat, Statistic::Average, "turning rates off keeps the statistic");
    }

    #[test]
    fn ranges_and_pinning() {
        let mut view = View::from_query("from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&refresh=1m").unwrap();
        view.set_relative_range(DEFAULT_FROM);
        assert_eq!((view.from, view.to), (DEFAULT_FROM, TimeSpec::Now));
        assert!(!view.is_pinned());
        view.refresh = Refresh::OneMinute;
        // 1_800_000_000 is a whole minute.
        view.pin_time(1_800_000_059);
        assert!(view.is_pinned());
        assert_eq!((view.from, view.to), (TimeSpec::At(1_800_000_000 - 86_400), TimeSpec::At(1_800_000_000)));
        assert_eq!(view.refresh, Refresh::Off);
    }

    const LB_A: &str = "app/edge-alb/50dc6c495c0c9188";
    const LB_B: &str = "app/payments/0a1b2c3d4e5f6071";
    const TG: &str = "targetgroup/api-tls/73e2d6bc24d8a067";

    #[test]
    fn the_empty_query_is_the_default_view() {
        assert_eq!(View::from_query("").unwrap(), View::default());
        assert_eq!(View::default().to_query(), "");
    }

    #[test]
    fn writes_canonical_order_with_defaults_left_out() {
        let query = format!(
            "to=now&period=3600&lb={LB_B}&stat=Maximum&lb={LB_A}&from=now-7d&fill=none&metric=TargetTLSNegotiationErrorCount"
        );
        let view = View::from_query(&query).unwrap();
        assert_eq!(view.to_query(), format!("lb={LB_A}&lb={LB_B}&stat=Maximum&period=3600&from=now-7d"));
        let zero_fill = View::from_query("stat=Average&fill=zero").unwrap();
        assert_eq!(zero_fill.to_query(), "stat=Average&fill=zero");
    }

    #[test]
    fn refuses_unknown_and_repeated_parameters() {
        assert_eq!(View::from_query("colour=red").unwrap_err().code, ErrorCode::UnknownParameter);
        let repeated = View::from_query("stat=Sum&stat=Maximum").unwrap_err();
        assert_eq!((repeated.code, repeated.param.as_str()), (ErrorCode::RepeatedParameter, "stat"));
        let repeated_lb = View::from_query(&format!("lb={LB_A}&lb={LB_A}")).unwrap();
        assert_eq!(repeated_lb.load_balancers.len(), 1);
    }

    #[test]
    fn periods_are_positive_multiples_of_a_minute() {
        for good in ["60", "300", "86400", "auto"] {
            Period::parse(good).unwrap();
        }
        for bad in ["", "0", "-60", "61", "1e3", "NaN", "300.0", "99999999999", "39312060"] {
            assert_eq!(Period::parse(bad).unwrap_err().param, "period", "{bad}");
        }
    }

    #[test]
    fn refuses_dimension_sets_the_metric_is_not_published_with() {
        let err = View::from_query(&format!("metric=ClientTLSNegotiationErrorCount&lb={LB_A}&tg={TG}")).unwrap_err();
        assert_eq!(err.param, "tg");
        View::from_query(&format!("metric=ClientTLSNegotiationErrorCount&lb={LB_A}&az=us-east-1a")).unwrap();
    }

    #[test]
    fn named_load_balancers_expand_to_every_combination() {
        let view = View::from_query(&format!("lb={LB_A}&lb={LB_B}&az=us-east-1a&az=us-east-1b")).unwrap();
        let series = view.series(&[]).unwrap();
        assert_eq!(series.len(), 4);
        assert!(series.iter().all(|dims| dims.availability_zone.is_some() && dims.target_group.is_none()));
    }

    #[test]
    fn discovered_series_are_filtered_by_shape_and_values() {
        let pairs = |pairs: &[(&str, &str)]| Dimensions::from_pairs(pairs.iter().copied()).unwrap();
        let discovered = vec![
            pairs(&[("LoadBalancer", LB_A)]),
            pairs(&[("LoadBalancer", LB_B)]),
            pairs(&[("LoadBalancer", LB_A), ("TargetGroup", TG)]),
            pairs(&[("LoadBalancer", LB_A), ("AvailabilityZone", "us-east-1a")]),
        ];
        let all = View::default().series(&discovered).unwrap();
        assert_eq!(all.len(), 2);
        let by_tg = View::from_query(&format!("tg={TG}")).unwrap().series(&discovered).unwrap();
        assert_eq!(by_tg, vec![discovered[2].clone()]);
    }

    #[test]
    fn a_breakdown_lists_the_reporting_groups_of_the_chosen_balancers() {
        let pairs = |pairs: &[(&str, &str)]| Dimensions::from_pairs(pairs.iter().copied()).unwrap();
        let other = "targetgroup/other/0000000000000001";
        let discovered = vec![
            pairs(&[("LoadBalancer", LB_A)]),
            pairs(&[("LoadBalancer", LB_A), ("TargetGroup", TG)]),
            pairs(&[("LoadBalancer", LB_B), ("TargetGroup", other)]),
            pairs(&[("LoadBalancer", LB_A), ("AvailabilityZone", "us-east-1a")]),
        ];
        let view = View::from_query(&format!("lb={LB_A}&by=tg&top=3")).unwrap();
        assert!(view.needs_discovery());
        assert_eq!(view.series(&discovered).unwrap(), vec![discovered[1].clone()]);
        assert_eq!(view.to_query(), format!("lb={LB_A}&by=tg&top=3"));
        let all = View::from_query("by=tg").unwrap().series(&discovered).unwrap();
        assert_eq!(all.len(), 2);
        let zones = View::from_query("by=az").unwrap().series(&discovered).unwrap();
        assert_eq!(zones, vec![discovered[3].clone()]);
        assert_eq!(View::from_query("by=tg&metric=ClientTLSNegotiationErrorCount").unwrap_err().param, "by");
        for bad in ["top=0", "top=101", "top=01", "top=+5", "top=x", "by=lb"] {
            assert!(View::from_query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn both_metrics_and_rates_can_be_asked_together() {
        let view =
            View::from_query("metric=ClientTLSNegotiationErrorCount&metric=TargetTLSNegotiationErrorCount&rate=on")
                .unwrap();
        assert_eq!(view.metrics, vec![Metric::TargetTlsNegotiationErrorCount, Metric::ClientTlsNegotiationErrorCount]);
        assert_eq!(
            view.to_query(),
            "metric=TargetTLSNegotiationErrorCount&metric=ClientTLSNegotiationErrorCount&rate=on"
        );
        assert_eq!(View::from_query("rate=on&stat=Maximum").unwrap_err().param, "rate");
        assert_eq!(View::from_query("metric=RequestCount").unwrap_err().param, "metric", "denominators are not views");
        assert_eq!(View::from_query("metric=TargetTLSNegotiationErrorCount").unwrap().to_query(), "");
    }

    #[test]
    fn a_lenient_read_keeps_every_valid_parameter_and_reports_the_bad_ones() {
        let query = format!("lb={LB_A}&by=az&stat=Maximum&period=7&from=now-7d");
        assert_eq!(View::from_query(&query).unwrap_err().param, "period", "the strict read refuses it whole");
        let (view, errors) = View::from_query_lenient(&query);
        assert_eq!(view.to_query(), format!("lb={LB_A}&by=az&stat=Maximum&from=now-7d"));
        assert_eq!(errors.iter().map(|e| e.param.as_str()).collect::<Vec<_>>(), ["period"]);
        assert_eq!(errors[0], View::from_query("period=7").unwrap_err(), "the strict parser's own message");

        // Unknown, repeated, malformed and combined refusals each drop only their own part.
        let (view, errors) = View::from_query_lenient("?colour=red&stat=Maximum&stat=Sum&tz=%zz&rate=on&top=3");
        assert_eq!(view.to_query(), "top=3&stat=Maximum");
        let params: Vec<_> = errors.iter().map(|e| (e.code, e.param.as_str())).collect();
        assert_eq!(
            params,
            [
                (ErrorCode::UnknownParameter, "colour"),
                (ErrorCode::RepeatedParameter, "stat"),
                (ErrorCode::InvalidParameter, "tz"),
                (ErrorCode::InvalidParameter, "rate"),
            ]
        );

        // A valid query reads as the strict parser reads it.
        let valid = format!("lb={LB_B}&lb={LB_A}&period=3600&tz=local");
        assert_eq!(View::from_query_lenient(&valid), (View::from_query(&valid).unwrap(), Vec::new()));
        assert_eq!(View::from_query_lenient(""), (View::default(), Vec::new()));
    }

    #[test]
    fn too_many_combinations_are_refused() {
        let lbs: String = (0..20).map(|i| format!("lb=app/lb{i}/50dc6c495c0c9188&")).collect();
        let tgs: String = (0..20).map(|i| format!("tg=targetgroup/tg{i}/50dc6c495c0c9188&")).collect();
        let azs: String = (0..6).map(|i| format!("az=us-east-1{}&", (b'a' + i) as char)).collect();
        let view = View::from_query(&format!("{lbs}{tgs}{azs}")).unwrap();
        assert_eq!(view.series(&[]).unwrap_err().code, ErrorCode::TooManySeries);
        let too_many_lbs: String = (0..21).map(|i| format!("lb=app/lb{i}/50dc6c495c0c9188&")).collect();
        assert_eq!(View::from_query(&too_many_lbs).unwrap_err().param, "lb");
    }
}

/// The query of `GET /api/v1/dimensions`: `metric`, `account` and `region`, all optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DimensionsQuery {
    pub metric: Metric,
    pub account: Option<AccountName>,
    pub region: Option<Region>,
}

impl DimensionsQuery {
    pub fn from_query(query: &str) -> Result<Self, ViewError> {
        let mut parsed = Self::default();
        let mut seen = BTreeSet::new();
        for (key, value) in query::parse_pairs(query)? {
            if !seen.insert(key.clone()) {
                return Err(ViewError::new(
                    ErrorCode::RepeatedParameter,
                    quote_key(&key),
                    format!("`{}` was given more than once; it takes a single value", quote_key(&key)),
                ));
            }
            match key.as_str() {
                "metric" => parsed.metric = Metric::parse(&value)?,
                "account" => parsed.account = Some(AccountName::parse(&value)?),
                "region" => parsed.region = Some(Region::parse(&value)?),
                _ => {
                    return Err(ViewError::new(
                        ErrorCode::UnknownParameter,
                        quote_key(&key),
                        format!("unknown parameter `{}`; accepted: metric, account, region", quote_key(&key)),
                    ));
                }
            }
        }
        Ok(parsed)
    }
}
