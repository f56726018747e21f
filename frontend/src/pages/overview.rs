//! The fleet overview (`/overview`): every load balancer of every account
//! and region the user may read, most errors first, each a link to its
//! view. Like the dashboard, the URL is the view: the filters write it, and
//! everything shown is derived from it.

use leptos::html;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_location, use_navigate};
use tlswatch_shared::api::CatalogResponse;
use tlswatch_shared::fleet_review::Baseline;
use tlswatch_shared::fleet_summary::FleetSummary;
use tlswatch_shared::overview::{
    OverviewQuery, OverviewResponse, OverviewRow, OverviewSort, RowFindings, ScopeState, ScopeStatus, Spark,
};
use tlswatch_shared::review::{FindingCode, Severity};
use tlswatch_shared::{AccountName, Region, Statistic, TimeSpec, TimeZone};

use crate::api::{self, DASHBOARD_PATH, OVERVIEW_PATH, dashboard_url, fleet_report_url, overview_url};
use crate::chart_option;
use crate::components::masthead::Masthead;
use crate::components::summary::format_number;
use crate::echarts;
use crate::time_fmt;

/// The fleet overview, as the address bar names it.
#[component]
pub fn Overview() -> impl IntoView {
    let location = use_location();
    let navigate = use_navigate();
    let parsed = Memo::new(move |_| OverviewQuery::from_query(&location.search.get()));
    let query = Memo::new(move |_| parsed.get().unwrap_or_default());
    let set_query = Callback::new(move |next: OverviewQuery| {
        navigate(&overview_url(&next.to_query()), NavigateOptions { scroll: false, ..Default::default() });
    });

    let catalog = LocalResource::new(api::catalog);
    let overview = LocalResource::new(move || {
        let parsed = parsed.get();
        async move {
            match parsed {
                Ok(query) => api::overview(&query.to_query()).await,
                Err(err) => Err(api::ApiFailure { message: err.message, param: Some(err.param) }),
            }
        }
    });
    let loading = RwSignal::new(false);
    Effect::new(move |_| document().set_title("Fleet overview · tlswatch"));

    view! {
        <Masthead tagline="Every load balancer you may read, most TLS negotiation errors first"
            link=(DASHBOARD_PATH, "Dashboard")/>
        <main class="overview">
            <Suspense fallback=|| ()>
                {move || catalog.get().and_then(Result::ok).map(|catalog| view! {
                    <OverviewFilters catalog query set_query/>
                })}
            </Suspense>
            <p class="report-links">"Download the compliance report (CSV, one row per listener and target group): "
                <a id="report-tls12" href=move || fleet_report_url(&query.get(), Baseline::Tls12Minimum) download="">
                    "against TLS 1.2 minimum"</a>", "
                <a id="report-tls13" href=move || fleet_report_url(&query.get(), Baseline::Tls13Ready) download="">
                    "against TLS 1.3 ready"</a>
            </p>
            <section class="overview-results" aria-labelledby="overview-heading"
                aria-busy=move || loading.get().then_some("true")>
                <h2 id="overview-heading">"Load balancers"</h2>
                <Transition set_pending=loading.write_only()>
                    {move || overview.get().map(|answer| match answer {
                        Ok(answer) => view! { <OverviewAnswer answer/> }.into_any(),
                        Err(failure) => view! { <OverviewFailure failure retry=Callback::new(move |()| overview.refetch())/> }
                        .into_any(),
                    })}
                </Transition>
            </section>
        </main>
    }
}

/// Why there is no overview: a parameter of the link (with the way back to
/// the default overview), or a failed call (with another try).
#[component]
fn OverviewFailure(failure: api::ApiFailure, retry: Callback<()>) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <p class="error-message">{failure.message}</p>
            {if failure.param.is_some() {
                view! { <a href=OVERVIEW_PATH id="reset-overview">"Show every account and region of the last 24 hours"</a> }
                    .into_any()
            } else {
                view! { <button type="button" id="retry" on:click=move |_| retry.run(())>"Try again"</button> }.into_any()
            }}
        </div>
    }
}

/// Statistic, range, accounts and regions: each change writes the URL.
#[component]
fn OverviewFilters(
    catalog: CatalogResponse,
    query: Memo<OverviewQuery>,
    set_query: Callback<OverviewQuery>,
) -> impl IntoView {
    let update = move |change: &dyn Fn(&mut OverviewQuery)| {
        let mut next = query.get_untracked();
        change(&mut next);
        set_query.run(next);
    };
    let stats = ["Sum", "Average", "Minimum", "Maximum"];
    let presets = catalog.time_presets.clone();
    let mut regions: Vec<String> = catalog.accounts.iter().flat_map(|account| account.regions.clone()).collect();
    regions.sort();
    regions.dedup();
    let regions = regions.into_iter().map(|region| (region.clone(), region)).collect();
    let findings = FindingCode::ALL.iter().map(|code| (code.as_str().to_string(), code.as_str().to_string())).collect();
    let accounts = catalog
        .accounts
        .iter()
        .map(|account| {
            let label = match &account.account_id {
                Some(id) => format!("{} ({id})", account.name),
                None => account.name.clone(),
            };
            (account.name.clone(), label)
        })
        .collect();
    view! {
        <form class="overview-filters" aria-label="Overview filters" on:submit=|ev| ev.prevent_default()>
            <label>"Statistic "
                <select on:change=move |ev| {
                    if let Ok(stat) = Statistic::parse(&event_target_value(&ev)) {
                        update(&|q| q.stat = stat);
                    }
                }>
                    {stats.into_iter().map(|stat| view! {
                        <option value=stat selected=move || query.get().stat.to_string() == stat>{stat}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Range "
                <select on:change=move |ev| {
                    if let Ok(from) = TimeSpec::parse("from", &event_target_value(&ev)) {
                        update(&|q| { q.from = from; q.to = TimeSpec::Now; });
                    }
                }>
                    {presets.into_iter().map(|preset| {
                        let value = preset.value.clone();
                        view! {
                            <option value=preset.value.clone()
                                selected=move || { let q = query.get(); q.to == TimeSpec::Now && q.from.to_string() == value }>
                                {preset.label}
                            </option>
                        }
                    }).collect_view()}
                </select>
            </label>
            <FilterBoxes legend="Accounts" name="account" choices=accounts
                ticked=Signal::derive(move || query.get().accounts.iter().map(AccountName::to_string).collect())
                on_toggle=Callback::new(move |(value, on): (String, bool)| if let Ok(account) = AccountName::parse(&value) {
                    update(&|q| toggle(&mut q.accounts, &account, on));
                })/>
            <FilterBoxes legend="Regions" name="region" choices=regions
                ticked=Signal::derive(move || query.get().regions.iter().map(Region::to_string).collect())
                on_toggle=Callback::new(move |(value, on): (String, bool)| if let Ok(region) = Region::parse(&value) {
                    update(&|q| toggle(&mut q.regions, &region, on));
                })/>
            <label>"Findings at least "
                <select id="severity" on:change=move |ev| {
                    let severity = Severity::parse(&event_target_value(&ev)).ok();
                    update(&|q| q.filter.severity = severity);
                }>
                    <option value="" selected=move || query.get().filter.severity.is_none()>"any severity"</option>
                    {SEVERITIES.into_iter().map(|severity| view! {
                        <option value=severity.as_str() selected=move || query.get().filter.severity == Some(severity)>
                            {severity.as_str()}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Order by "
                <select id="sort" on:change=move |ev| {
                    let sort = if event_target_value(&ev) == "findings" { OverviewSort::Findings } else { OverviewSort::Errors };
                    update(&|q| q.sort = sort);
                }>
                    <option value="errors" selected=move || query.get().sort == OverviewSort::Errors>"errors"</option>
                    <option value="findings" selected=move || query.get().sort == OverviewSort::Findings>"findings"</option>
                </select>
            </label>
            <FilterBoxes legend="Findings" name="finding" choices=findings
                ticked=Signal::derive(move || query.get().filter.codes.iter().map(|code| code.as_str().to_string()).collect())
                on_toggle=Callback::new(move |(value, on): (String, bool)| if let Ok(code) = FindingCode::parse(&value) {
                    update(&|q| toggle(&mut q.filter.codes, &code, on));
                })/>
            <p class="hint">"No account or region ticked: every one you may read. No finding ticked: any."</p>
        </form>
    }
}

const SEVERITIES: [Severity; 4] = [Severity::High, Severity::Medium, Severity::Low, Severity::Info];

/// One checkbox per `(value, label)` of `choices`, ticked when `ticked`
/// holds its value; a tick or untick is passed to `on_toggle`.
#[component]
fn FilterBoxes(
    legend: &'static str,
    name: &'static str,
    choices: Vec<(String, String)>,
    ticked: Signal<Vec<String>>,
    on_toggle: Callback<(String, bool)>,
) -> impl IntoView {
    view! {
        <fieldset>
            <legend>{legend}</legend>
            {choices.into_iter().map(|(value, label)| {
                let (checked, changed) = (value.clone(), value.clone());
                view! {
                    <label class="choice">
                        <input type="checkbox" name=name value=value
                            prop:checked=move || ticked.with(|ticked| ticked.contains(&checked))
                            on:change=move |ev| on_toggle.run((changed.clone(), event_target_checked(&ev)))/>
                        {label}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// Adds `item` to a sorted filter list, or takes it out.
fn toggle<T: Ord + Clone>(list: &mut Vec<T>, item: &T, on: bool) {
    list.retain(|existing| existing != item);
    if on {
        list.push(item.clone());
        list.sort();
    }
}

/// The failing scopes, then the ranked table.
#[component]
fn OverviewAnswer(answer: OverviewResponse) -> impl IntoView {
    let by_findings = answer.view.split('&').any(|pair| pair == "sort=findings");
    let filtered = answer.view.split('&').any(|pair| pair.starts_with("finding=") || pair.starts_with("severity="));
    let caption = if by_findings {
        "Most severe findings first; each load balancer links to its view over the same range"
    } else {
        "Most errors first; each load balancer links to its view over the same range"
    };
    let empty = if filtered {
        "No load balancer has the findings asked for."
    } else {
        "No load balancer reported TLS negotiation errors or has findings in this range."
    };
    let failing: Vec<ScopeStatus> =
        answer.scopes.iter().filter(|scope| scope.status == ScopeState::Error).cloned().collect();
    let read = answer.scopes.len() - failing.len();
    let summary = format!(
        "{} load balancers in {read} of {} account and region pairs, {} to {}.",
        answer.rows.len(),
        answer.scopes.len(),
        time_fmt::show(answer.start, TimeZone::Utc),
        time_fmt::show(answer.end, TimeZone::Utc)
    );
    view! {
        {(!failing.is_empty()).then(|| view! {
            <div class="failing-scopes" role="alert">
                <h3>"Not read"</h3>
                <ul>
                    {failing.into_iter().map(|scope| view! {
                        <li class="failing-scope" data-account=scope.account.clone() data-region=scope.region.clone()>
                            <strong>{format!("{} in {}", scope.account, scope.region)}</strong>": "
                            {scope.message.unwrap_or_default()}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        })}
        {answer.warnings.into_iter().map(|warning| view! { <p class="warning">{warning}</p> }).collect_view()}
        <FleetAtAGlance fleet=answer.fleet view=answer.view.clone()/>
        <p role="status">{summary}</p>
        {if answer.rows.is_empty() {
            view! { <p class="no-errors">{empty}</p> }.into_any()
        } else {
            view! {
                <table class="ranking fleet" id="fleet">
                    <caption>{caption}</caption>
                    <thead><tr>
                        <th scope="col">"#"</th>
                        <th scope="col">"Load balancer"</th>
                        <th scope="col">"Account"</th>
                        <th scope="col">"Region"</th>
                        <th scope="col">"Total"</th>
                        <th scope="col">"Buckets with errors"</th>
                        <th scope="col">"Worst bucket"</th>
                        <th scope="col">"Last error"</th>
                        <th scope="col">"Findings"</th>
                        <th scope="col">"Trend"</th>
                    </tr></thead>
                    <tbody>
                        {answer.rows.into_iter().enumerate().map(|(rank, row)| view! { <FleetRow rank row/> }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any()
        }}
    }
}

/// Per finding, how widespread it is (each a link to the overview of the
/// load balancers that have it); per listener policy, how many listeners.
#[component]
fn FleetAtAGlance(fleet: FleetSummary, view: String) -> impl IntoView {
    let query = OverviewQuery::from_query(&view).unwrap_or_default();
    let only = move |code: FindingCode| {
        let mut narrowed = query.clone();
        narrowed.filter.codes = vec![code];
        overview_url(&narrowed.to_query())
    };
    let plaintext = format!(
        "{} load balancers reviewed; {} target groups reached over plain HTTP.",
        fleet.load_balancers, fleet.plaintext_target_groups
    );
    view! {
        <section class="fleet-summary" aria-labelledby="fleet-summary-heading">
            <h3 id="fleet-summary-heading">"Findings across the fleet"</h3>
            <p>{plaintext}</p>
            {(!fleet.findings.is_empty()).then(|| view! {
                <table class="ranking" id="fleet-findings">
                    <caption>"Each finding, the most severe first; a finding lists the load balancers that have it"</caption>
                    <thead><tr>
                        <th scope="col">"Finding"</th>
                        <th scope="col">"Severity"</th>
                        <th scope="col">"Load balancers"</th>
                        <th scope="col">"Target groups"</th>
                        <th scope="col">"Accounts"</th>
                    </tr></thead>
                    <tbody>
                        {fleet.findings.into_iter().map(|count| view! {
                            <tr data-code=count.code.as_str()>
                                <th scope="row"><a href=only(count.code)>{count.code.as_str()}</a></th>
                                <td>{count.severity.as_str()}</td>
                                <td class="number">{count.load_balancers}</td>
                                <td class="number">{count.target_groups}</td>
                                <td class="number">{count.accounts}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {(!fleet.policies.is_empty()).then(|| view! {
                <table class="ranking" id="fleet-policies">
                    <caption>"Listener security policies, the most used first"</caption>
                    <thead><tr><th scope="col">"Policy"</th><th scope="col">"HTTPS listeners"</th></tr></thead>
                    <tbody>
                        {fleet.policies.into_iter().map(|policy| view! {
                            <tr><th scope="row">{policy.policy}</th><td class="number">{policy.listeners}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

#[component]
fn FleetRow(rank: usize, row: OverviewRow) -> impl IntoView {
    let utc = |t: i64| time_fmt::show(t, TimeZone::Utc);
    let worst = row.worst.map_or_else(|| "none".to_string(), |w| format!("{} at {}", format_number(w.value), utc(w.t)));
    let last = row.last_error.map_or_else(|| "none".to_string(), utc);
    let onset = row.onset.map(|t| format!("; failing since {}", utc(t)));
    let trend = format!(
        "Trend of {}: {} points, highest {}",
        row.load_balancer.name,
        row.spark.values.len(),
        format_number(row.spark.values.iter().flatten().copied().fold(0.0, f64::max))
    );
    // `rel="external"`: the dashboard is another bundle, so the browser loads
    // it. Without it this page's router takes the click, pushes the
    // dashboard's URL, finds no overview in it and goes back: two entries.
    view! {
        <tr>
            <td>{rank + 1}</td>
            <th scope="row"><a href=dashboard_url(&row.view) rel="external" title=row.load_balancer.value.clone()>{row.load_balancer.name.clone()}</a></th>
            <td>{row.account.clone()}</td>
            <td>{row.region.clone()}</td>
            <td class="number" data-value=row.total>{format_number(row.total)}</td>
            <td class="number">{row.buckets_with_errors}</td>
            <td>{worst}</td>
            <td>{last}{onset}</td>
            <td class="findings">{findings_cell(row.findings.as_ref(), &row.view)}</td>
            <td><Sparkline spark=row.spark label=trend/></td>
        </tr>
    }
}

/// A row's findings: counts by severity and the worst one's code, linked to
/// the load balancer's review on the dashboard.
fn findings_cell(findings: Option<&RowFindings>, view: &str) -> AnyView {
    let Some(found) = findings else { return view! { <span class="muted">"not read"</span> }.into_any() };
    let Some(worst) = found.worst else { return "none".into_any() };
    let counts: Vec<String> =
        [(found.high, "high"), (found.medium, "medium"), (found.low, "low"), (found.info, "info")]
            .into_iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, severity)| format!("{count} {severity}"))
            .collect();
    let severity = found.worst_severity().map_or("info", Severity::as_str);
    let href = format!("{}#review", dashboard_url(view));
    view! {
        <span class="finding-counts">{counts.join(", ")}</span>" "
        <a class="worst-finding" data-severity=severity data-code=worst.as_str() href=href rel="external"
            title=format!("{} finding(s) in all; open the review", found.total())>{worst.as_str()}</a>
    }
    .into_any()
}

/// A row's trend, drawn by the dashboard's series builder, without axes.
#[component]
fn Sparkline(spark: Spark, label: String) -> impl IntoView {
    let node = NodeRef::<html::Div>::new();
    node.on_load(move |div| echarts::init(&div).set(chart_option::sparkline(&spark), true));
    view! { <div class="spark" node_ref=node role="img" aria-label=label></div> }
}
