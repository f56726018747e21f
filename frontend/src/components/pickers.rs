//! Pickers for load balancers, target groups and zones, from what CloudWatch
//! lists as having reported the metric (`/api/v1/dimensions`).

use std::collections::BTreeMap;

use leptos::prelude::*;
use tlswatch_shared::api::DimensionsResponse;
use tlswatch_shared::catalog::DimensionName;
use tlswatch_shared::dims::readable_name;
use tlswatch_shared::{AvailabilityZone, LoadBalancer, TargetGroup};

use crate::components::status::FieldError;
use crate::state::{use_dimensions, use_view_state};

#[component]
pub fn DimensionPickers() -> impl IntoView {
    let listed = use_dimensions();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading load balancers…"</p> }>
            {move || listed.get().map(|answer| match answer {
                Ok(listed) => view! { <Pickers listed/> }.into_any(),
                Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Pickers(listed: DimensionsResponse) -> impl IntoView {
    let state = use_view_state();
    let balancers: Vec<(String, String)> =
        listed.load_balancers.iter().map(|lb| (lb.value.clone(), lb.name.clone())).collect();
    let groups = listed.target_groups.clone();
    let zones: Vec<(String, String)> = listed.availability_zones.iter().map(|z| (z.clone(), z.clone())).collect();
    let by_target_group = Signal::derive(move || {
        state.current().metric().has_dimension_set(&[DimensionName::LoadBalancer, DimensionName::TargetGroup])
    });

    // Target groups of the chosen load balancers (of all, when none is chosen).
    let group_options = Signal::derive(move || {
        let chosen: Vec<String> = state.current().load_balancers.iter().map(|lb| lb.to_string()).collect();
        let mut options: BTreeMap<String, String> = BTreeMap::new();
        for group in &groups {
            if chosen.is_empty() || chosen.contains(&group.load_balancer) {
                options.insert(group.value.clone(), group.name.clone());
            }
        }
        options.into_iter().collect::<Vec<_>>()
    });

    view! {
        <CheckList
            id="lb" legend="Load balancers" hint="None chosen: every load balancer that reported the metric"
            options=Signal::stored(balancers)
            chosen=Signal::derive(move || state.current().load_balancers.iter().map(|v| v.to_string()).collect())
            on_toggle=Callback::new(move |(value, on): (String, bool)| if let Ok(lb) = LoadBalancer::parse(&value) {
                state.update(|view| toggle(&mut view.load_balancers, lb, on));
            })
        />
        <FieldError param="lb"/>
        <Show when=move || by_target_group.get()>
            <CheckList
                id="tg" legend="Target groups" hint="Optional: one line per target group"
                options=group_options
                chosen=Signal::derive(move || state.current().target_groups.iter().map(|v| v.to_string()).collect())
                on_toggle=Callback::new(move |(value, on): (String, bool)| if let Ok(tg) = TargetGroup::parse(&value) {
                    state.update(|view| toggle(&mut view.target_groups, tg, on));
                })
            />
        </Show>
        <FieldError param="tg"/>
        <CheckList
            id="az" legend="Availability zones" hint="Optional: one line per zone"
            options=Signal::stored(zones)
            chosen=Signal::derive(move || state.current().zones.iter().map(|v| v.to_string()).collect())
            on_toggle=Callback::new(move |(value, on): (String, bool)| if let Ok(az) = AvailabilityZone::parse(&value) {
                state.update(|view| toggle(&mut view.zones, az, on));
            })
        />
        <FieldError param="az"/>
    }
}

fn toggle<T: Ord>(values: &mut Vec<T>, value: T, on: bool) {
    values.retain(|v| *v != value);
    if on {
        values.push(value);
        values.sort();
    }
}

/// A searchable list of checkboxes. Values chosen in the URL but not listed
/// (say, a load balancer quiet for two weeks) are shown too, so they can be
/// unchosen.
#[component]
fn CheckList(
    id: &'static str,
    legend: &'static str,
    hint: &'static str,
    /// `(value, readable name)` pairs.
    options: Signal<Vec<(String, String)>>,
    chosen: Signal<Vec<String>>,
    on_toggle: Callback<(String, bool)>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let shown = move || {
        // Names and values are ASCII (CloudWatch's rules); ASCII case folding
        // spares the `.wasm` Unicode's case tables.
        let needle = search.get().to_ascii_lowercase();
        let chosen_now = chosen.get();
        let mut all = options.get();
        for value in &chosen_now {
            if !all.iter().any(|(v, _)| v == value) {
                all.push((value.clone(), readable_name(value).to_string()));
            }
        }
        all.into_iter()
            .filter(|(value, name)| {
                needle.is_empty() || name.to_ascii_lowercase().contains(&needle) || value.contains(&needle)
            })
            .map(|(value, name)| {
                let checked = chosen_now.contains(&value);
                let for_toggle = value.clone();
                view! {
                    <li>
                        <label title=value.clone()>
                            <input
                                type="checkbox"
                                name=id
                                value=value.clone()
                                checked=checked
                                prop:checked=checked
                                on:change=move |ev| on_toggle.run((for_toggle.clone(), event_target_checked(&ev)))
                            />
                            " "{name}
                        </label>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="checklist" id=format!("{id}-picker")>
            <legend>{legend}</legend>
            <p class="hint">{hint}</p>
            <input
                type="search"
                class="filter"
                aria-label=format!("Filter {}", legend.to_ascii_lowercase())
                placeholder="Filter…"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <ul>{shown}</ul>
        </fieldset>
    }
}
