//! Showing and hiding the chart's lines from the keyboard: one toggle
//! button per line, pressed while its line is shown, doing what a click
//! on the canvas legend does (which the keyboard cannot reach). The chart
//! keeps the set of hidden lines in step with its legend either way.

use std::collections::BTreeSet;

use leptos::prelude::*;

#[component]
pub fn LineToggles(
    /// Every line's name, in the legend's order.
    names: Signal<Vec<String>>,
    /// The names of the lines hidden now.
    hidden: Signal<BTreeSet<String>>,
    /// Shows the named line if hidden, hides it if shown.
    toggle: Callback<String>,
) -> impl IntoView {
    let buttons = move || {
        names
            .get()
            .into_iter()
            .map(|name| {
                let (shown, label) = (name.clone(), name.clone());
                let is_shown = move || hidden.with(|hidden| !hidden.contains(&shown));
                view! {
                    <button
                        type="button"
                        aria-pressed=move || is_shown().to_string()
                        on:click=move |_| toggle.run(name.clone())
                    >
                        {label}
                    </button>
                }
            })
            .collect_view()
    };
    view! {
        <div class="line-toggles" role="group" aria-label="Lines shown on the chart" class:hidden=move || names.with(Vec::is_empty)>
            <span class="hint">"Show or hide a line:"</span>
            {buttons}
        </div>
    }
}
