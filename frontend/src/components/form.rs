//! The controls: every change writes a new view to the URL.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use tlswatch_shared::api::CatalogResponse;
use tlswatch_shared::catalog::Choice;
use tlswatch_shared::display::AlarmFormat;
use tlswatch_shared::{AccountName, Breakdown, Metric, Period, Refresh, Region, Statistic, TimeSpec, TimeZone, View};

use crate::api;
use crate::clipboard;
use crate::components::pickers::DimensionPickers;
use crate::components::status::{FieldError, names};
use crate::state::{ViewState, use_catalog, use_view_state};
use crate::time_fmt;

#[component]
pub fn ViewForm() -> impl IntoView {
    let state = use_view_state();
    let catalog = use_catalog();
    view! {
        <form class="controls" id="controls" aria-labelledby="controls-heading" tabindex="-1" on:submit=|ev| ev.prevent_default()>
            <h2 class="visually-hidden" id="controls-heading">"View"</h2>
            <Suspense fallback=|| view! { <p>"Loading the catalog…"</p> }>
                {move || catalog.get().map(|answer| match answer {
                    Ok(catalog) => view! { <Controls catalog state/> }.into_any(),
                    Err(err) => view! { <p class="error" role="alert">{err.message}</p> }.into_any(),
                })}
            </Suspense>
        </form>
    }
}

#[component]
fn Controls(catalog: CatalogResponse, state: ViewState) -> impl IntoView {
    let metrics: Vec<Metric> = catalog.metrics.iter().map(|m| m.name).collect();
    let accounts: Vec<Choice> = catalog
        .accounts
        .iter()
        .map(|a| Choice {
            value: a.name.clone(),
            label: a.account_id.as_ref().map_or(a.name.clone(), |id| format!("{} ({id})", a.name)),
        })
        .collect();
    let default_account = catalog.default_account.clone();
    // The regions of the view's account: the first is its default.
    let account_regions = {
        let catalog = catalog.clone();
        move |account: Option<AccountName>| -> Vec<String> {
            let name = account.map_or(catalog.default_account.clone(), |a| a.to_string());
            match catalog.accounts.iter().find(|a| a.name == name) {
                Some(account) => account.regions.clone(),
                None => catalog.regions.clone(),
            }
        }
    };
    let mut breakdowns = vec![choice(NO_BREAKDOWN, "Nothing")];
    breakdowns.extend(catalog.breakdowns.clone());
    let mut presets = catalog.time_presets.clone();
    presets.push(Choice { value: CUSTOM.to_string(), label: "Custom range".to_string() });

    view! {
        <fieldset class="metrics" id="metric-picker">
            <legend>"Metrics"</legend>
            <p class="hint">"At least one is shown."</p>
            {metrics
                .into_iter()
                .map(|metric| {
                    let label = if metric == Metric::TargetTlsNegotiationErrorCount {
                        "Target side (load balancer to targets)"
                    } else {
                        "Client side (clients to the listener)"
                    };
                    view! {
                        <label title=metric.as_str()>
                            <input
                                type="checkbox"
                                name="metric"
                                value=metric.as_str()
                                prop:checked=move || state.current().metrics.contains(&metric)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    if !on && state.current().metrics == [metric] {
                                        // The chart shows at least one metric: the box stays checked.
                                        event_target::<web_sys::HtmlInputElement>(&ev).set_checked(true);
                                        return;
                                    }
                                    state.update(|view| view.set_metric(metric, on));
                                }
                            />
                            " "{label}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
        <FieldError param="metric"/>
        {(accounts.len() > 1).then(|| view! {
            <ParamSelect id="account" label="Account" choices=accounts
                read={move |view: View| view.account.map_or(default_account.clone(), |a| a.to_string())}
                apply={|view: &mut View, value: &str| if let Ok(account) = AccountName::parse(value) { view.set_account(account) }}/>
        })}
        {move || {
            let regions = account_regions(state.current().account);
            let default_region = regions.first().cloned().unwrap_or_default();
            let choices: Vec<Choice> = regions.iter().map(|r| Choice { value: r.clone(), label: r.clone() }).collect();
            (choices.len() > 1).then(|| view! {
                <ParamSelect id="region" label="Region" choices
                    read={move |view: View| view.region.map_or(default_region.clone(), |r| r.to_string())}
                    apply={|view: &mut View, value: &str| if let Ok(region) = Region::parse(value) { view.region = Some(region) }}/>
            })
        }}
        <DimensionPickers/>
        // "none" is no breakdown: `Breakdown::parse` refuses it.
        <ParamSelect id="by" label="Break down by" choices=breakdowns
            read={|view: View| view.by.map_or(NO_BREAKDOWN, |by| by.as_str()).to_string()}
            apply={|view: &mut View, value: &str| view.by = Breakdown::parse(value).ok()}/>
        <ParamSelect id="top" label="Lines drawn (the rest summed as others)" choices=catalog.tops.clone()
            read={|view: View| view.top.to_string()}
            apply={|view: &mut View, value: &str| if let Ok(top) = value.parse::<u32>() { view.top = top }}
            disabled=Signal::derive(move || state.current().by.is_none())
            why_disabled="Lines drawn applies to a breakdown: choose one above."/>
        <ParamSelect id="stat" label="Statistic" choices=catalog.statistics.clone()
            read={|view: View| view.stat.to_string()}
            apply={|view: &mut View, value: &str| if let Ok(stat) = Statistic::parse(value) { view.set_stat(stat) }}/>
        <ParamSelect id="period" label="Period" choices=catalog.periods.clone()
            read={|view: View| view.period.to_string()}
            apply={|view: &mut View, value: &str| if let Ok(period) = Period::parse(value) { view.period = period }}/>
        <TimeRange presets/>
        <ParamSelect id="tz" label="Times in" choices=catalog.time_zones.clone()
            read={|view: View| view.tz.as_str().to_string()}
            apply={|view: &mut View, value: &str| if let Ok(tz) = TimeZone::parse(value) { view.tz = tz }}/>
        <ParamSelect id="refresh" label="Auto-refresh" choices=catalog.refresh.clone()
            read={|view: View| view.refresh.as_str().to_string()}
            apply={|view: &mut View, value: &str| if let Ok(refresh) = Refresh::parse(value) { view.refresh = refresh }}
            disabled=Signal::derive(move || state.current().is_pinned())
            why_disabled="Only a range that ends now refreshes: this one is pinned to fixed times."/>
        <Toggle
            id="rate" label="Rates: per 1,000 requests (target) or new connections (client)"
            checked=Signal::derive(move || state.current().rate)
            on_toggle=Callback::new(move |on: bool| state.update(|view| view.set_rate(on)))
        />
        <p class="hint">"Rates are of error counts: turning them on sets the statistic to Sum."</p>
        <FieldError param="rate"/>
        <Toggle
            id="stack" label="Stack the lines"
            checked=Signal::derive(move || state.current().stack)
            on_toggle=Callback::new(move |on: bool| state.update(|view| view.stack = on))
        />
        <ShareButtons/>
    }
}

const CUSTOM: &str = "custom";

const NO_BREAKDOWN: &str = "none";

fn choice(value: &str, label: &str) -> Choice {
    Choice { value: value.to_string(), label: label.to_string() }
}

/// How long a select must rest on a choice before it is applied: arrow
/// keys step through the choices, and only the one they stop on becomes a
/// view (one history entry, one API call).
const PICK_SETTLE: Duration = Duration::from_millis(350);

/// A select of one view parameter: it shows what `read` says of the
/// view, and a pick is applied to the view by `apply` (which reads the
/// menu's value, and calls a `View` rule where the change touches other
/// parameters). A pick that changes nothing writes no history entry.
#[component]
fn ParamSelect(
    id: &'static str,
    label: &'static str,
    choices: Vec<Choice>,
    #[prop(into)] read: Callback<View, String>,
    apply: fn(&mut View, &str),
    #[prop(optional, into)] disabled: Signal<bool>,
    /// Says why the select is disabled, while it is.
    #[prop(optional)]
    why_disabled: &'static str,
) -> impl IntoView {
    let state = use_view_state();
    let current = Signal::derive(move || read.run(state.current()));
    let on_pick = Callback::new(move |value: String| {
        let (view, mut next) = (state.current(), state.current());
        apply(&mut next, &value);
        if next != view {
            state.set_view.run(next);
        }
    });
    view! { <Select id label choices current on_pick disabled why_disabled/> }
}

/// A labelled select whose value follows `current`, with the failure's
/// message beside it when the failure names `id`.
#[component]
pub fn Select(
    id: &'static str,
    label: &'static str,
    choices: Vec<Choice>,
    current: Signal<String>,
    on_pick: Callback<String>,
    #[prop(optional, into)] disabled: Signal<bool>,
    /// Says why the select is disabled, while it is.
    #[prop(optional)]
    why_disabled: &'static str,
) -> impl IntoView {
    let options = move || {
        let current = current.get();
        let mut choices = choices.clone();
        // A value the menu does not offer (say period=120) still shows as chosen.
        if !choices.iter().any(|c| c.value == current) {
            choices.push(Choice { value: current.clone(), label: current.clone() });
        }
        choices
            .into_iter()
            .map(|c| {
                let selected = c.value == current;
                view! { <option value=c.value.clone() selected=selected prop:selected=selected>{c.label}</option> }
            })
            .collect_view()
    };
    let invalid = names(id);
    let picks = StoredValue::new(0u32);
    let pick = move |ev: web_sys::Event| {
        let value = event_target_value(&ev);
        let this = picks.get_value().wrapping_add(1);
        picks.set_value(this);
        set_timeout(
            move || {
                if picks.get_value() == this {
                    on_pick.run(value)
                }
            },
            PICK_SETTLE,
        );
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select
                id=id
                name=id
                disabled=move || disabled.get()
                aria-invalid=move || invalid.get().then_some("true")
                aria-describedby=move || {
                    if invalid.get() { Some(format!("{id}-error")) } else { disabled.get().then(|| format!("{id}-why")) }
                }
                on:change=pick
            >
                {options}
            </select>
            {move || (disabled.get() && !why_disabled.is_empty())
                .then(|| view! { <p class="hint" id=format!("{id}-why")>{why_disabled}</p> })}
            <FieldError param=id/>
        </div>
    }
}

/// A labelled checkbox whose state follows `checked`.
#[component]
fn Toggle(id: &'static str, label: &'static str, checked: Signal<bool>, on_toggle: Callback<bool>) -> impl IntoView {
    view! {
        <div class="field checkbox">
            <label>
                <input
                    type="checkbox"
                    id=id
                    prop:checked=move || checked.get()
                    on:change=move |ev| on_toggle.run(event_target_checked(&ev))
                />
                " "{label}
            </label>
        </div>
    }
}

/// Presets, or a custom absolute range.
#[component]
fn TimeRange(presets: Vec<Choice>) -> impl IntoView {
    let state = use_view_state();
    let preset_values: Vec<String> = presets.iter().map(|p| p.value.clone()).collect();
    let wants_custom = RwSignal::new(false);
    let current = Signal::derive(move || {
        let view = state.current();
        let from = view.from.to_string();
        if view.to == TimeSpec::Now && preset_values.contains(&from) && !wants_custom.get() {
            from
        } else {
            CUSTOM.to_string()
        }
    });
    let from_input = RwSignal::new(String::new());
    let to_input = RwSignal::new(String::new());
    // Fill the custom inputs with the view's range whenever it changes.
    Effect::new(move |_| {
        let view = state.current();
        let now = time_fmt::now();
        from_input.set(time_fmt::to_input(view.from.resolve(now), view.tz));
        to_input.set(time_fmt::to_input(view.to.resolve(now), view.tz));
    });
    // Why the custom range was not applied, beside it.
    let incomplete = RwSignal::new(false);
    let apply = move || {
        let tz = state.current().tz;
        if let (Some(from), Some(to)) =
            (time_fmt::from_input(&from_input.get(), tz), time_fmt::from_input(&to_input.get(), tz))
        {
            incomplete.set(false);
            wants_custom.set(false);
            state.update(|view| view.set_absolute_range(from, to));
        } else {
            incomplete.set(true);
        }
    };
    let zone = move || if state.current().tz == TimeZone::Utc { " (UTC)" } else { " (your time zone)" };
    let described = move || incomplete.get().then_some("range-error");
    view! {
        <Select
            id="range" label="Time range" choices=presets current
            on_pick=Callback::new(move |value: String| {
                if value == CUSTOM {
                    wants_custom.set(true);
                } else if let Ok(from) = TimeSpec::parse("from", &value) {
                    wants_custom.set(false);
                    state.update(|view| view.set_relative_range(from));
                }
            })
        />
        <fieldset class="custom-range" class:hidden=move || current.get() != CUSTOM
            on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); apply(); }>
            <legend>"Custom range"</legend>
            <div class="field">
                <label for="from">"From"{zone}</label>
                <input id="from" type="datetime-local" prop:value=move || from_input.get()
                    aria-invalid=move || described().map(|_| "true") aria-describedby=described
                    on:input=move |ev| from_input.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="to">"To"{zone}</label>
                <input id="to" type="datetime-local" prop:value=move || to_input.get()
                    aria-invalid=move || described().map(|_| "true") aria-describedby=described
                    on:input=move |ev| to_input.set(event_target_value(&ev))/>
            </div>
            <button type="button" id="apply-range" on:click=move |_| apply()>"Apply range"</button>
            {move || incomplete.get().then(|| view! {
                <p class="field-error" id="range-error">"Enter a full date and time in both From and To, then apply."</p>
            })}
        </fieldset>
        <FieldError param="from"/>
        <FieldError param="to"/>
    }
}

/// Copy the link; pin a relative range to absolute times.
#[component]
fn ShareButtons() -> impl IntoView {
    let state = use_view_state();
    let note = RwSignal::new(String::new());
    let copy = move |_| {
        let href = window().location().href().unwrap_or_default();
        spawn_local(async move {
            let copied = clipboard::copy(&href).await;
            note.set(if copied { "Link copied.".to_string() } else { format!("Copy this link: {href}") });
        });
    };
    let copy_button = NodeRef::<leptos::html::Button>::new();
    let pin = move |_| {
        let now = time_fmt::now();
        state.update(|view| view.pin_time(now));
        note.set("Time pinned: the link now shows this range tomorrow too.".to_string());
        // The pin button is disabled now: keep the keyboard's place on the
        // next thing to do with a pinned view, sharing it.
        if let Some(button) = copy_button.get_untracked() {
            let _ = button.focus();
        }
    };
    // While the URL holds an invalid parameter there is no view to share.
    let invalid = move || !state.is_valid();
    let pinned = Signal::derive(move || state.current().is_pinned());
    let csv_href = move || (!invalid()).then(|| api::csv_url(&state.current()));
    view! {
        <div class="share">
            <button type="button" id="copy-link" node_ref=copy_button on:click=copy disabled=invalid>"Copy link"</button>
            <button type="button" id="alarm-for-view" disabled=invalid aria-controls="alarm-dialog"
                aria-expanded=move || state.current().alarm.is_some().to_string()
                on:click=move |_| state.update(|view| view.alarm = Some(view.alarm.unwrap_or(AlarmFormat::FIRST)))>
                "Alarm for this view"
            </button>
            <a id="download-csv" class="button" href=csv_href download aria-disabled=move || invalid().then_some("true")>
                "Download CSV"
            </a>
            <button type="button" id="pin-time" on:click=pin disabled=move || pinned.get() || invalid()
                aria-describedby=move || pinned.get().then_some("pin-time-why")
                title="Turn the relative range into absolute times, so the link shows the same data later">
                "Pin time"
            </button>
            {move || pinned.get().then(|| view! {
                <p class="hint" id="pin-time-why">"The range is already pinned to fixed times."</p>
            })}
            <p class="share-note" role="status" aria-live="polite">{move || note.get()}</p>
        </div>
    }
}
