//! "Configuration and findings": under the chart, each load balancer's TLS
//! path from its listeners to its target groups, beside the errors of the
//! range, and what the review found, with the AWS page each claim rests on.

use leptos::prelude::*;
use tlswatch_shared::api::ReviewResponse;
use tlswatch_shared::changes::Change;
use tlswatch_shared::review::grouped::{GroupedFinding, grouped};
use tlswatch_shared::review::{Finding, LoadBalancerReview, TargetGroupReview};
use tlswatch_shared::{LoadBalancer, TargetGroup, View};

use crate::state::{use_first_view_settled, use_view_state};
use crate::{api, time_fmt};

/// The part of a view the review reads: the load balancers, region and range.
pub fn review_view(view: &View) -> View {
    View {
        load_balancers: view.load_balancers.clone(),
        account: view.account.clone(),
        region: view.region.clone(),
        from: view.from,
        to: view.to,
        ..View::default()
    }
}

/// The section, with `children` (the probe) below the review.
#[component]
pub fn ReviewSection(children: Children) -> impl IntoView {
    let state = use_view_state();
    // Asked once the first chart is drawn: the review is below it, and its
    // answer must not be built while the chart waits.
    let settled = use_first_view_settled();
    let query =
        Memo::new(move |_| (settled.get() && state.is_valid()).then(|| review_view(&state.current()).to_query()));
    let review = LocalResource::new(move || {
        let query = query.get();
        async move {
            match query {
                Some(query) => Some(api::review(&query).await),
                None => None,
            }
        }
    });
    // A link to `#review` (the overview's findings) lands here once the
    // review is in: the section does not exist when the browser looks.
    let section = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        let answered = review.with(|answer| answer.as_ref().is_some_and(Option::is_some));
        let linked = window().location().hash().is_ok_and(|hash| hash == "#review");
        if let (true, true, Some(section)) = (answered, linked, section.get()) {
            section.scroll_into_view();
        }
    });
    view! {
        <section class="review" id="review" aria-labelledby="review-heading" node_ref=section>
            <h2 id="review-heading">"Configuration and findings"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Reading the load balancers' configuration…"</p> }>
                {move || review.get().flatten().map(|answer| match answer {
                    Ok(review) => view! { <Reviewed review/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
                })}
            </Suspense>
            {children()}
        </section>
    }
}

#[component]
fn Reviewed(review: ReviewResponse) -> impl IntoView {
    let empty = review.load_balancers.is_empty();
    view! {
        {review.warnings.into_iter().map(|warning| view! { <p class="warning" role="status">{warning}</p> }).collect_view()}
        {empty.then(|| view! { <p class="muted">"No load balancer to review in this view."</p> })}
        {review.load_balancers.into_iter().map(|lb| {
            let changes: Vec<Change> = review.changes.iter().filter(|c| c.load_balancer == lb.value).cloned().collect();
            view! { <LoadBalancerPath lb changes/> }
        }).collect_view()}
    }
}

#[component]
fn LoadBalancerPath(lb: LoadBalancerReview, changes: Vec<Change>) -> impl IntoView {
    let state = use_view_state();
    let listeners: Vec<String> = lb
        .listeners
        .iter()
        .map(|l| match &l.ssl_policy {
            Some(policy) => format!("{} :{} with {policy}", l.protocol, l.port),
            None => format!("{} :{}", l.protocol, l.port),
        })
        .collect();
    let offered = |group: &TargetGroupReview| -> String {
        let mut versions: Vec<&str> = lb
            .listeners
            .iter()
            .filter(|l| l.backend_policy.as_ref().is_some_and(|p| group.backend_policies.contains(p)))
            .flat_map(|l| l.backend_tls_versions.iter().map(String::as_str))
            .collect();
        versions.sort_unstable();
        versions.dedup();
        if group.protocol == "HTTPS" { versions.join(", ") } else { "none (plain HTTP)".to_string() }
    };
    let rows: Vec<_> = lb
        .target_groups
        .iter()
        .map(|group| {
            // The link is the view: this group of this load balancer, same range.
            let view = View {
                load_balancers: LoadBalancer::parse(&lb.value).ok().into_iter().collect(),
                target_groups: TargetGroup::parse(&group.value).ok().into_iter().collect(),
                ..review_view(&state.current())
            };
            let href = format!("/?{}", view.to_query());
            let health =
                format!("{} {}", group.health_check.protocol, group.health_check.path.clone().unwrap_or_default());
            view! {
                <tr data-target-group=group.value.clone()>
                    <th scope="row"><a class="group-view" href=href>{group.name.clone()}</a></th>
                    <td>{format!("{} :{}", group.protocol, group.port.map(|p| p.to_string()).unwrap_or_default())}</td>
                    <td>{health}</td>
                    <td>{format!("{} / {}", group.targets.healthy, group.targets.total)}</td>
                    <td>{offered(group)}</td>
                    <td class="number">{group.errors.total}</td>
                </tr>
            }
        })
        .collect();
    view! {
        <article class="lb-review" data-load-balancer=lb.value.clone()>
            <h3>{lb.name.clone()}<span class="muted">{format!(" · {} · {}", lb.scheme, listeners.join("; "))}</span></h3>
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Target group"</th>
                        <th scope="col">"Protocol"</th>
                        <th scope="col">"Health check"</th>
                        <th scope="col">"Healthy"</th>
                        <th scope="col">"TLS offered to targets"</th>
                        <th scope="col">"Errors"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <ul class="findings">
                {grouped(&lb).into_iter().map(|GroupedFinding { finding, target_groups }| view! {
                    <FindingItem finding target_groups/>
                }).collect_view()}
            </ul>
            {(!changes.is_empty()).then(|| view! { <RecentChanges changes/> })}
        </article>
    }
}

/// The load balancer's latest changes from CloudTrail, newest first.
#[component]
fn RecentChanges(changes: Vec<Change>) -> impl IntoView {
    let tz = use_view_state().current().tz;
    view! {
        <h4>"Recent changes"</h4>
        <ul class="recent-changes">
            {changes.into_iter().map(|change| {
                let text = change.description();
                view! {
                    <li data-event=change.event.clone() data-failed=change.failed.is_some().then_some("true")>
                        {format!("{}: {text} ", time_fmt::show(change.t, tz))}
                        <a href=change.console_url target="_blank" rel="noopener noreferrer">"CloudTrail event"</a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// A finding; one that holds for several target groups names them all
/// (`data-target-groups` lists their values).
#[component]
pub fn FindingItem(finding: Finding, #[prop(optional)] target_groups: Vec<String>) -> impl IntoView {
    let severity = finding.severity.as_str();
    let groups = (target_groups.len() > 1).then(|| target_groups.join(" "));
    view! {
        <li class=format!("finding severity-{severity}") data-code=finding.code.as_str() data-target-groups=groups>
            <span class="severity">{severity}</span>" "
            {finding.text}" "
            <a href=finding.doc target="_blank" rel="noopener noreferrer">"AWS documentation"</a>
        </li>
    }
}
