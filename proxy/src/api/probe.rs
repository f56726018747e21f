//! `GET /api/v1/probe?<view>[&policy=<listener policy>]`: the load
//! balancer's handshake with every registered target of the view's HTTPS
//! target groups, made by tlswatch, with what each outcome means and the
//! findings it brings. With `policy=`, the handshakes offer what that
//! listener policy would bring (a what-if). The targets come from Elastic
//! Load Balancing only, never from the request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::{Extension, Json};
use tlswatch_shared::api::{LoadBalancerProbe, ProbeResponse};
use tlswatch_shared::query::{parse_pairs, write_pairs};
use tlswatch_shared::review::{LoadBalancerConfig, probed, review};
use tlswatch_shared::{ErrorCode, Plan, View, ViewError};

use super::probe_rows::ProbePlan;
use super::review::{configs_or_warning, errors_or_warning, policies_in_use, wanted_load_balancers};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::limits::Client;
use crate::state::AppState;

/// The what-if parameter, beside the view's.
const POLICY: &str = "policy";

pub async fn probe_route(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    RawQuery(query): RawQuery,
) -> Result<Json<ProbeResponse>, ApiError> {
    let (view_query, what_if) = split_policy(query.as_deref().unwrap_or(""))?;
    let view = View::from_query(&view_query)?;
    let scope = state.accounts.scope(view.account.as_ref(), view.region.as_ref(), &caller)?;
    if state.probe.allow.is_off() {
        return Err(ApiError::ProbeDisabled);
    }
    let client = Client::of(&caller, peer.map(|Extension(ConnectInfo(address))| address.ip()));
    if let (Some(rate), Some(client)) = (&state.probe.rate, client) {
        rate.check(&client)
            .map_err(|wait| ApiError::ProbeRateLimited(wait.as_secs().max(1), state.probe.per_minute))?;
    }
    let now = (state.clock)();
    let plan_of_view = Plan::new(&view, now)?;
    let (reported, wanted) = wanted_load_balancers(&state, &scope, &view).await?;
    let mut response = ProbeResponse {
        view: view.to_query(),
        account: scope.account.to_string(),
        region: scope.region.to_string(),
        what_if: what_if.clone(),
        probed_at: now,
        load_balancers: Vec::new(),
        warnings: plan_of_view.warnings.clone(),
    };
    if wanted.is_empty() {
        return Ok(Json(response));
    }
    let errors = errors_or_warning(&state, &scope, &plan_of_view, &wanted, &reported, &mut response.warnings).await;
    let Some(configs) = configs_or_warning(&state, &scope, &wanted, &mut response.warnings).await else {
        return Ok(Json(response));
    };
    let configs: Vec<LoadBalancerConfig> = match &what_if {
        Some(policy) => configs.iter().map(|config| as_if(config, policy)).collect(),
        None => configs.as_ref().clone(),
    };
    if let Some(policy) = &what_if {
        // Asked alone first: Elastic Load Balancing fails the whole call for one unknown name.
        let unknown = || {
            ViewError::new(
                ErrorCode::InvalidParameter,
                POLICY,
                format!(
                    "`policy`: DescribeSSLPolicies lists no policy {policy:?} for {scope}; expected a listener \
                     policy name such as ELBSecurityPolicy-TLS13-1-2-2021-06"
                ),
            )
        };
        match state.cache.ssl_policies(&scope, std::slice::from_ref(policy)).await {
            Ok(described) if described.contains_key(policy) => {}
            Ok(_) => return Err(unknown().into()),
            Err(err) if err.detail().contains("SSLPolicyNotFound") => return Err(unknown().into()),
            Err(err) => return Err(err.into()),
        }
    }
    let policies = policies_in_use(&state, &scope, &configs).await?;

    // Which targets, then every handshake in one call through the cache.
    let reviewed: Vec<_> = configs.iter().map(|config| review(config, &policies, &errors)).collect();
    let planned = ProbePlan::new(&view, &configs, &reviewed, &policies, &state.probe.allow);
    let probed = match planned.targets.is_empty() {
        true => None,
        false => Some(state.cache.probe(&scope, &planned.targets).await?),
    };
    if let Some(probed) = &probed {
        response.probed_at = probed.at;
    }
    for (reviewed, groups) in reviewed.iter().zip(planned.rows(probed.as_deref())) {
        response.load_balancers.push(LoadBalancerProbe {
            value: reviewed.value.clone(),
            name: reviewed.name.clone(),
            findings: probed::findings(reviewed, &groups, now, what_if.as_deref()),
            target_groups: groups,
        });
    }
    Ok(Json(response))
}

/// The view's query and the `policy` of a what-if, refused when repeated
/// or not a policy name.
fn split_policy(query: &str) -> Result<(String, Option<String>), ViewError> {
    let pairs = parse_pairs(query)?;
    let (policies, view): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(key, _)| key == POLICY);
    let policy = match policies.as_slice() {
        [] => None,
        [(_, value)] if is_policy_name(value) => Some(value.clone()),
        [(_, value)] => {
            return Err(ViewError::new(
                ErrorCode::InvalidParameter,
                POLICY,
                format!(
                    "`policy`: got {}; expected a listener policy name (letters, digits and hyphens, at most 128), \
                     such as ELBSecurityPolicy-TLS13-1-2-2021-06",
                    tlswatch_shared::error::quote(value)
                ),
            ));
        }
        _ => {
            return Err(ViewError::new(
                ErrorCode::RepeatedParameter,
                POLICY,
                "`policy` given more than once; a what-if probes one listener policy".to_string(),
            ));
        }
    };
    Ok((write_pairs(view.iter().map(|(key, value)| (key.as_str(), value.clone()))), policy))
}

fn is_policy_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= 128 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `config` as if every HTTPS listener used `policy`.
fn as_if(config: &LoadBalancerConfig, policy: &str) -> LoadBalancerConfig {
    let mut changed = config.clone();
    for listener in changed.listeners.iter_mut().filter(|l| l.protocol == "HTTPS") {
        listener.ssl_policy = Some(policy.to_string());
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_what_if_policy_is_split_from_the_view_and_checked() {
        let (view, policy) =
            split_policy("lb=app/a/0123456789abcdef&policy=ELBSecurityPolicy-TLS13-1-2-2021-06").unwrap();
        assert_eq!(view, "lb=app/a/0123456789abcdef");
        assert_eq!(policy.as_deref(), Some("ELBSecurityPolicy-TLS13-1-2-2021-06"));
        assert_eq!(split_policy("from=now-1h").unwrap(), ("from=now-1h".to_string(), None));
        assert_eq!(split_policy("policy=a&policy=b").unwrap_err().code, ErrorCode::RepeatedParameter);
        let bad = split_policy("policy=no%20spaces").unwrap_err();
        assert_eq!((bad.code, bad.param.as_str()), (ErrorCode::InvalidParameter, "policy"));
    }
}
