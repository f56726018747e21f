//! "Alarm for this view": the view's CloudWatch alarms, written as
//! CloudFormation, Terraform or AWS CLI by the proxy, in a dialog whose
//! form is the view's `alarm` parameter, with a copy button.

use leptos::prelude::*;
use leptos::task::spawn_local;
use tlswatch_shared::display::AlarmFormat;

use crate::api;
use crate::clipboard;
use crate::state::use_view_state;

#[component]
pub fn AlarmDialog() -> impl IntoView {
    let state = use_view_state();
    let form = Memo::new(move |_| state.current().alarm);
    // The written alarms, or why there are none; empty while they are asked for.
    let text = RwSignal::new(Ok(String::new()));
    Effect::new(move |_| {
        let view = state.current();
        let Some(form) = view.alarm else { return };
        text.set(Ok(String::new()));
        spawn_local(async move { text.set(api::alarm_text(&view, form).await.map_err(|err| err.message)) });
    });
    let note = RwSignal::new("");
    let close = move || state.update(|view| view.alarm = None);
    let copy = move |_| {
        let Ok(written) = text.get_untracked() else { return };
        spawn_local(async move {
            let copied = clipboard::copy(&written).await;
            note.set(if copied { "Copied." } else { "The clipboard refused: select the text and copy it." });
        });
    };
    move || {
        form.get().map(|chosen| {
            view! {
                <section class="alarm-dialog" id="alarm-dialog" role="dialog" aria-labelledby="alarm-heading"
                    on:keydown=move |ev| if ev.key() == "Escape" { close() }>
                    <h2 id="alarm-heading">"Alarm for this view"</h2>
                    <p>"A CloudWatch alarm per line of the chart: missing data is not breaching (no datapoint \
                        means no errors), 2 of 3 periods above the suggested threshold. Once the alarm exists, \
                        the chart draws its threshold and ALARM periods."</p>
                    <label>"Written as "
                        <select id="alarm-form" on:change=move |ev| {
                            if let Ok(form) = AlarmFormat::parse("alarm", &event_target_value(&ev), "") {
                                state.update(|view| view.alarm = Some(form));
                            }
                        }>
                            {AlarmFormat::ALL.map(|form| view! {
                                <option value=form.as_str() selected=form == chosen>{form.label()}</option>
                            })}
                        </select>
                    </label>
                    {move || match text.get() {
                        Ok(written) if written.is_empty() => view! { <p>"Writing the alarms…"</p> }.into_any(),
                        Ok(written) => view! { <pre class="alarm-text" tabindex="0" aria-label="The alarms">{written}</pre> }.into_any(),
                        Err(message) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                    }}
                    <div class="share">
                        <button type="button" id="copy-alarm" on:click=copy>"Copy"</button>
                        <button type="button" id="close-alarm" on:click=move |_| close()>"Close"</button>
                        <p class="share-note" role="status" aria-live="polite">{move || note.get()}</p>
                    </div>
                </section>
            }
        })
    }
}
