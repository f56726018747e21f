//! Every load balancer of one account and region, reviewed: the whole
//! configuration in one paged read (cached as `fleet:`), what the policies
//! in use offer, the errors of every target group over the range, and what
//! the probe last saw of the targets. The overview's findings and the
//! compliance report both stand on it.

use std::collections::BTreeMap;
use std::sync::Arc;

use tlswatch_shared::probe::TargetGroupProbe;
use tlswatch_shared::review::{LoadBalancerReview, review};
use tlswatch_shared::{LoadBalancer, Metric, Plan};

use super::probe_rows::{ProbePlan, cite_outcomes};
use super::review::{errors_or_warning, policies_in_use};
use crate::accounts::Scope;
use crate::source::SourceError;
use crate::state::AppState;

/// A scope's load balancers as reviewed, what the probe last saw of each
/// one's targets, and what could not be read beside their configuration.
pub struct ReviewedFleet {
    pub reviewed: Vec<LoadBalancerReview>,
    /// Beside each load balancer, its HTTPS groups' targets as last probed.
    pub probed: Vec<Vec<TargetGroupProbe>>,
    pub warnings: Vec<String>,
}

/// Reads `scope`'s configuration, and what the policies it uses offer,
/// into the cache (the background passes of `fleet_refresh.rs`).
pub async fn read_configuration(state: &AppState, scope: &Scope) -> Result<(), SourceError> {
    let configs = state.cache.fleet(scope).await?;
    policies_in_use(state, scope, &configs).await?;
    Ok(())
}

/// Reviews every application load balancer of `scope` over `plan`'s range.
/// Without the configuration there is nothing to review: that is the
/// error. Without the errors or the policies' contents, the review is made
/// with what was read, and a warning says what is missing. Where the probe
/// has run in the last day, its findings are among the review's.
pub async fn reviewed_fleet(state: &AppState, scope: &Scope, plan: &Plan) -> Result<ReviewedFleet, SourceError> {
    let configs = state.cache.fleet(scope).await?;
    let mut warnings = Vec::new();
    let wanted: Vec<LoadBalancer> = configs.iter().filter_map(|c| LoadBalancer::parse(&c.value).ok()).collect();
    let reported = match state.cache.list(scope, Metric::TargetTlsNegotiationErrorCount).await {
        Ok(reported) => reported,
        Err(err) => {
            warnings.push(format!("errors per target group not shown: {err}"));
            Arc::default()
        }
    };
    let errors = errors_or_warning(state, scope, plan, &wanted, &reported, &mut warnings).await;
    let policies = policies_in_use(state, scope, &configs).await.unwrap_or_else(|err| {
        warnings.push(format!("what the security policies offer not shown: {err}"));
        BTreeMap::new()
    });
    let mut reviewed: Vec<LoadBalancerReview> =
        configs.iter().map(|config| review(config, &policies, &errors)).collect();
    let probed = match state.probe.allow.is_off() {
        true => vec![Vec::new(); reviewed.len()],
        false => {
            let planned = ProbePlan::fleet(&configs, &reviewed, &policies, &state.probe.allow);
            cite_outcomes(&state.cache, scope, planned, &mut reviewed, (state.clock)()).await
        }
    };
    Ok(ReviewedFleet { reviewed, probed, warnings })
}
