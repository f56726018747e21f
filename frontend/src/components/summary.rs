//! The figures beside the chart, from the API's `summary`.

use std::sync::Arc;

use leptos::prelude::*;
use tlswatch_shared::api::SeriesResponse;
use tlswatch_shared::{Statistic, TimeZone};

use crate::time_fmt;

#[component]
pub fn SummaryFigures(data: Signal<Option<Arc<SeriesResponse>>>, tz: Signal<TimeZone>) -> impl IntoView {
    move || {
        let response = data.get()?;
        let tz = tz.get();
        let summary = response.summary.clone();
        let is_sum = response.series.first().is_none_or(|s| s.stat == Statistic::Sum);
        let quiet = summary.worst.is_none();
        Some(view! {
            {quiet.then(|| view! {
                <p class="no-errors" role="status">"No TLS negotiation errors in this range."</p>
            })}
            {response.partial_from.map(|from| {
                let buckets = (response.end - from) / i64::from(response.period.max(1));
                view! { <p class="partial-note" id="summary-partial" data-t=from>{still_filling(buckets, &time_fmt::show(from, tz))}</p> }
            })}
            <dl class="summary" aria-label="Summary of the range">
                {is_sum.then(|| view! {
                    <div>
                        <dt>"Total errors"</dt>
                        <dd id="summary-total" data-value=summary.total>{format_number(summary.total)}</dd>
                    </div>
                })}
                <div>
                    <dt>"Worst bucket"</dt>
                    {match summary.worst.clone() {
                        Some(worst) => view! {
                            <dd id="summary-worst" data-value=worst.value data-t=worst.t>
                                {format!("{} at {} ({})", format_number(worst.value), time_fmt::show(worst.t, tz), worst.series)}
                            </dd>
                        }.into_any(),
                        None => view! { <dd id="summary-worst">"none"</dd> }.into_any(),
                    }}
                </div>
                <div>
                    <dt>"Buckets with errors"</dt>
                    <dd id="summary-buckets" data-value=summary.buckets_with_errors>
                        {format!("{} of {}", summary.buckets_with_errors, summary.buckets)}
                    </dd>
                </div>
                {summary.onset.map(|t| {
                    // The series whose errors started then.
                    let series = response
                        .annotations
                        .iter()
                        .find(|a| a.kind == tlswatch_shared::api::AnnotationKind::Onset && a.t == t)
                        .and_then(|a| response.series.iter().find(|s| s.id == a.series))
                        .map(|s| format!(" ({})", s.label))
                        .unwrap_or_default();
                    view! {
                        <div class="onset">
                            <dt>"Errors started"</dt>
                            <dd id="summary-onset" data-t=t>{time_fmt::show(t, tz)}{series}</dd>
                        </div>
                        // A sentence, across the whole summary.
                        {summary.onset_change.clone().map(|after| view! {
                            <div class="onset-change">
                                <dt>"Changed just before"</dt>
                                <dd id="summary-onset-change">{format!("Failing began at {}, {after}", time_fmt::show(t, tz))}</dd>
                            </div>
                        })}
                    }
                })}
                <div>
                    <dt>"Last error"</dt>
                    {match summary.last_error {
                        Some(t) => view! { <dd id="summary-last" data-t=t>{time_fmt::show(t, tz)}</dd> }.into_any(),
                        None => view! { <dd id="summary-last">"none in range"</dd> }.into_any(),
                    }}
                </div>
            </dl>
        })
    }
}

/// Says which of the last buckets CloudWatch may still add to, so a low
/// last figure is not read as errors going away.
fn still_filling(buckets: i64, from: &str) -> String {
    if buckets == 1 {
        format!("The last bucket ({from}) is still filling: CloudWatch may still add to it.")
    } else {
        format!("The last {buckets} buckets, from {from} on, are still filling: CloudWatch may still add to them.")
    }
}

/// Whole numbers without decimals, others with up to two (2.5, not 2.50).
pub fn format_number(value: f64) -> String {
    ((value * 100.0).round() / 100.0).to_string()
}

/// A breakdown's ranking: every target group or zone, most errors first.
#[component]
pub fn RankingTable(data: Signal<Option<Arc<SeriesResponse>>>, tz: Signal<TimeZone>) -> impl IntoView {
    move || {
        let response = data.get()?;
        if response.ranking.is_empty() {
            return None;
        }
        let tz = tz.get();
        let rows = response
            .ranking
            .iter()
            .enumerate()
            .map(|(rank, entry)| {
                let worst = entry.worst.as_ref().map_or_else(
                    || "none".to_string(),
                    |w| format!("{} at {}", format_number(w.value), time_fmt::show(w.t, tz)),
                );
                let full_name = entry.dimensions.values().cloned().collect::<Vec<_>>().join(" ");
                let folded = !entry.drawn;
                view! {
                    <tr class:others=folded>
                        <td>{rank + 1}</td>
                        <th scope="row" title=full_name>{entry.label.clone()}</th>
                        <td class="number" data-value=entry.total>{format_number(entry.total)}</td>
                        <td>{worst}</td>
                        <td>{if folded { "in others" } else { "drawn" }}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <table class="ranking" id="ranking">
                <caption>"Ranked by total; rows \"in others\" are summed as one line on the chart"</caption>
                <thead><tr><th scope="col">"#"</th><th scope="col">"Series"</th><th scope="col">"Total"</th><th scope="col">"Worst bucket"</th><th scope="col">"On the chart"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })
    }
}
