//! "Probe targets", in "Configuration and findings": asks tlswatch to make
//! the load balancer's handshake with every target of the view's HTTPS
//! target groups (now, or as if the listener used another policy) and
//! shows each target's outcome, what it means and the fix.

use leptos::prelude::*;
use tlswatch_shared::View;
use tlswatch_shared::api::{LoadBalancerProbe, ProbeResponse};
use tlswatch_shared::probe::{TargetGroupProbe, TargetProbe};
use tlswatch_shared::review::WHAT_IF_POLICIES;
use tlswatch_shared::tls::{version_label, versions_label};

use crate::api;
use crate::components::review::{FindingItem, review_view};
use crate::state::use_view_state;

/// The part of a view the probe reads: the review's, its target groups and account.
fn probe_view(view: &View) -> View {
    View { target_groups: view.target_groups.clone(), account: view.account.clone(), ..review_view(view) }
}

#[component]
pub fn ProbeTargets() -> impl IntoView {
    let state = use_view_state();
    // Empty: the listeners' own policies.
    let policy = RwSignal::new(String::new());
    let probe = Action::new_unsync(|(query, policy): &(String, String)| {
        let (query, policy) = (query.clone(), policy.clone());
        async move { api::probe(&query, (!policy.is_empty()).then_some(policy.as_str())).await }
    });
    let start = move |_| {
        probe.dispatch((probe_view(&state.current()).to_query(), policy.get_untracked()));
    };
    let options =
        WHAT_IF_POLICIES.map(|name| view! { <option value=name>{format!("as if the listener used {name}")}</option> });
    view! {
        <div class="probe">
            <button type="button" class="probe-targets" on:click=start disabled=move || probe.pending().get()>
                "Probe targets"
            </button>
            " "
            <label>
                <span class="visually-hidden">"Probe as if the listener used a policy"</span>
                <select class="probe-policy" on:change=move |event| policy.set(event_target_value(&event))>
                    <option value="">"with the listeners' policies"</option>
                    {options}
                </select>
            </label>
            <p class="muted">
                "tlswatch makes the load balancer's handshake with each target: the backend policy's versions and \
                 ciphers, no SNI, no certificate check."
            </p>
            <div aria-live="polite">
                {move || probe.pending().get().then(|| view! { <p class="muted">"Probing the targets…"</p> })}
                {move || probe.value().get().map(|answer| match answer {
                    Ok(answer) => view! { <Probed answer/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
                })}
            </div>
        </div>
    }
}

#[component]
fn Probed(answer: ProbeResponse) -> impl IntoView {
    let what_if = answer.what_if.map(|policy| {
        view! { <p class="warning" role="status">{format!("What-if: as if every HTTPS listener used {policy}; nothing was changed.")}</p> }
    });
    view! {
        {what_if}
        {answer.warnings.into_iter().map(|warning| view! { <p class="warning" role="status">{warning}</p> }).collect_view()}
        {answer.load_balancers.into_iter().map(|lb| view! { <ProbedLoadBalancer lb/> }).collect_view()}
    }
}

#[component]
fn ProbedLoadBalancer(lb: LoadBalancerProbe) -> impl IntoView {
    view! {
        <article class="lb-probe" data-load-balancer=lb.value.clone()>
            <h3>{format!("{}: targets probed", lb.name)}</h3>
            {lb.target_groups.into_iter().map(|group| view! { <ProbedGroup group/> }).collect_view()}
            <ul class="findings">
                {lb.findings.into_iter().map(|finding| view! { <FindingItem finding/> }).collect_view()}
            </ul>
        </article>
    }
}

#[component]
fn ProbedGroup(group: TargetGroupProbe) -> impl IntoView {
    let caption = format!(
        "{}: {} offers {} (listener policy {})",
        group.name,
        group.backend_policy,
        versions_label(&group.offered.protocols),
        group.listener_policy
    );
    view! {
        <table class="probe-table" data-target-group=group.value.clone()>
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Zone, health"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"Negotiated"</th>
                    <th scope="col">"Certificate"</th>
                    <th scope="col">"What it means"</th>
                </tr>
            </thead>
            <tbody>{group.targets.into_iter().map(target_row).collect_view()}</tbody>
        </table>
    }
}

fn target_row(target: TargetProbe) -> impl IntoView {
    let handshake = target.handshake;
    let negotiated = match (&handshake.protocol, &handshake.cipher) {
        (Some(protocol), Some(cipher)) => format!(
            "{} {cipher}{}",
            version_label(protocol),
            handshake.duration_ms.map(|ms| format!(", {ms} ms")).unwrap_or_default()
        ),
        _ => handshake.error.clone().unwrap_or_default(),
    };
    let certificate = handshake.certificate.map(|c| {
        let self_signed = if c.self_signed { ", self-signed" } else { "" };
        format!(
            "{}, {} {}-bit{self_signed}, until {}",
            c.subject,
            c.key_type,
            c.key_bits,
            tlswatch_shared::time::TimeSpec::At(c.not_after)
        )
    });
    let outcome = handshake.outcome.as_str();
    view! {
        <tr data-outcome=outcome>
            <th scope="row">{format!("{}:{}", target.address.unwrap_or(target.id), target.port)}</th>
            <td>{format!("{} {}", target.availability_zone.unwrap_or_default(), target.health)}</td>
            <td class=format!("outcome outcome-{outcome}")>{outcome}</td>
            <td>{negotiated}</td>
            <td>{certificate.unwrap_or_default()}</td>
            <td>{target.explanation}</td>
        </tr>
    }
}
