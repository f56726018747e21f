//! docs/api.md cannot drift from the code: its route table names exactly
//! the router's routes, and its view table exactly the parameters `View`
//! accepts, with every value the code offers and only values it accepts.

use std::collections::BTreeSet;

use tlswatch::{PUBLIC_ROUTE, protected_routes};
use tlswatch_shared::catalog::{Choice, Metric};
use tlswatch_shared::display::Format;
use tlswatch_shared::menus;
use tlswatch_shared::view::PARAMETERS;
use tlswatch_shared::{Fill, View};

fn api_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md");
    std::fs::read_to_string(path).expect("docs/api.md is readable")
}

/// The rows of the first table after `heading`, as trimmed cells.
fn table_after(text: &str, heading: &str) -> Vec<Vec<String>> {
    let section = text.split_once(heading).unwrap_or_else(|| panic!("docs/api.md has no {heading:?}")).1;
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header and its rule
        .map(|line| line.trim_matches('|').split('|').map(|cell| cell.trim().to_string()).collect())
        .collect()
}

/// The `code` spans of `text`, in order.
fn code_spans(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The values a row lists before it starts explaining them: the code spans
/// before the first `:`, `(` or `;` outside a code span.
fn listed_values(accepted: &str) -> Vec<&str> {
    let mut in_code = false;
    let end = accepted
        .char_indices()
        .find(|&(_, c)| {
            if c == '`' {
                in_code = !in_code;
            }
            !in_code && matches!(c, ':' | '(' | ';')
        })
        .map_or(accepted.len(), |(index, _)| index);
    code_spans(&accepted[..end])
}

#[test]
fn the_route_table_names_exactly_the_routers_routes() {
    let documented: BTreeSet<String> = table_after(&api_md(), "# tlswatch HTTP API")
        .iter()
        .filter_map(|row| {
            let route = code_spans(&row[0]).first()?.strip_prefix("GET ")?.to_string();
            Some(route.split('?').next().unwrap_or_default().to_string())
        })
        .collect();
    // `/api`, `/api/` and `/api/{*rest}` are the JSON 404s of "any other /api/... path".
    let routed: BTreeSet<String> = protected_routes()
        .into_iter()
        .map(|(path, _)| path.to_string())
        .filter(|path| path == "/metrics" || path.starts_with("/api/v"))
        .chain([PUBLIC_ROUTE.to_string()])
        .collect();
    assert_eq!(documented, routed);
}

#[test]
fn the_view_table_lists_exactly_the_parameters_in_canonical_order() {
    let rows = table_after(&api_md(), "## The view (query string)");
    let documented: Vec<&str> = rows.iter().map(|row| code_spans(&row[0])[0]).collect();
    assert_eq!(documented, PARAMETERS.to_vec());
}

#[test]
fn each_closed_parameter_lists_exactly_the_values_the_code_offers() {
    let rows = table_after(&api_md(), "## The view (query string)");
    let on_off = || vec!["on".to_string(), "off".to_string()];
    let offered: Vec<(&str, Vec<String>)> = vec![
        ("metric", Metric::ALL.iter().map(|m| m.as_str().to_string()).collect()),
        ("by", values(menus::breakdown_choices())),
        ("stat", values(menus::statistic_choices())),
        ("fill", [Fill::Zero, Fill::None].iter().map(|f| f.as_str().to_string()).collect()),
        ("tz", values(menus::time_zone_choices())),
        ("refresh", values(menus::refresh_choices())),
        ("rate", on_off()),
        ("stack", on_off()),
        ("format", [Format::Json, Format::Csv].iter().map(|f| f.as_str().to_string()).collect()),
    ];
    for (param, values) in offered {
        let row = rows.iter().find(|row| code_spans(&row[0])[0] == param).expect("a documented parameter");
        let listed: BTreeSet<&str> = listed_values(&row[3]).into_iter().collect();
        let offered: BTreeSet<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(listed, offered, "docs/api.md's values of `{param}` and the code's differ");
        for value in listed {
            let query = format!("{param}={value}");
            assert!(View::from_query(&query).is_ok(), "docs/api.md lists {query}, which the view refuses");
        }
    }
}

fn values(choices: Vec<Choice>) -> Vec<String> {
    choices.into_iter().map(|choice| choice.value).collect()
}
