//! Which targets a view's probe handshakes with, and its rows once they
//! are seen: shared by `/api/v1/probe`, which probes, and by
//! `/api/v1/review` and the fleet, which cite what the probe last saw of
//! each target.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tlswatch_shared::View;
use tlswatch_shared::probe::{Handshake, MAX_TARGETS_PER_PROBE, ProbeTarget, TargetGroupProbe};
use tlswatch_shared::probe_plan::{PlannedGroup, plan};
use tlswatch_shared::review::{LoadBalancerConfig, LoadBalancerReview, SslPolicy, probed};

use crate::accounts::Scope;
use crate::cache::{Cache, Probed};
use crate::source::probe::AllowList;

/// Each load balancer's probed groups and every target to handshake with,
/// each once: the probe's cache key.
pub struct ProbePlan {
    groups: Vec<Vec<PlannedGroup>>,
    pub targets: Vec<ProbeTarget>,
    index: HashMap<ProbeTarget, usize>,
}

impl ProbePlan {
    /// The plan of a probe of `view`, whose load balancers are `configs`
    /// (reviewed as `reviewed`): only addresses `allow` admits, at most
    /// [`MAX_TARGETS_PER_PROBE`] in all.
    pub fn new(
        view: &View,
        configs: &[LoadBalancerConfig],
        reviewed: &[LoadBalancerReview],
        policies: &BTreeMap<String, SslPolicy>,
        allow: &AllowList,
    ) -> Self {
        let wanted =
            |group: &str| view.target_groups.is_empty() || view.target_groups.iter().any(|tg| tg.as_str() == group);
        Self::build(configs, reviewed, policies, allow, MAX_TARGETS_PER_PROBE, &wanted)
    }

    /// Every target of a scope's fleet that the probe may handshake with,
    /// without the per-request cap: the fleet looks up outcomes, it makes
    /// no handshake.
    pub fn fleet(
        configs: &[LoadBalancerConfig],
        reviewed: &[LoadBalancerReview],
        policies: &BTreeMap<String, SslPolicy>,
        allow: &AllowList,
    ) -> Self {
        Self::build(configs, reviewed, policies, allow, usize::MAX, &|_| true)
    }

    fn build(
        configs: &[LoadBalancerConfig],
        reviewed: &[LoadBalancerReview],
        policies: &BTreeMap<String, SslPolicy>,
        allow: &AllowList,
        mut budget: usize,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Self {
        let allowed = |address| allow.admits(address);
        let groups: Vec<Vec<PlannedGroup>> = configs
            .iter()
            .zip(reviewed)
            .map(|(config, reviewed)| {
                let mut groups = plan(config, reviewed, policies, &allowed, &mut budget);
                groups.retain(|g| wanted(&g.group.value));
                groups
            })
            .collect();
        let mut targets: Vec<ProbeTarget> = Vec::new();
        let mut index: HashMap<ProbeTarget, usize> = HashMap::new();
        for target in groups.iter().flatten().flat_map(|g| g.probes.iter().flatten()) {
            index.entry(target.clone()).or_insert_with(|| {
                targets.push(target.clone());
                targets.len() - 1
            });
        }
        Self { groups, targets, index }
    }

    /// Each load balancer's groups, their rows holding what `seen` (the
    /// probe of exactly these targets) saw, each row explained.
    pub fn rows(self, seen: Option<&Probed>) -> Vec<Vec<TargetGroupProbe>> {
        self.rows_seen(|i| seen.map(|probed| (probed.handshakes[i].clone(), probed.at)), "pending")
    }

    /// Each load balancer's groups, their rows holding the last `outcomes`
    /// of their targets (in [`Self::targets`]' order); a target without one
    /// says so.
    pub fn rows_of_outcomes(self, outcomes: &[Option<Arc<Probed>>]) -> Vec<Vec<TargetGroupProbe>> {
        let seen = |i: usize| {
            let outcome = outcomes.get(i)?.as_ref()?;
            Some((outcome.handshakes.first()?.clone(), outcome.at))
        };
        self.rows_seen(seen, "no probe of this target in the last day: run the probe from its load balancer's view")
    }

    /// The rows, each target's handshake and time from `seen` by its index
    /// in [`Self::targets`], else not probed because `unseen`.
    fn rows_seen(self, seen: impl Fn(usize) -> Option<(Handshake, i64)>, unseen: &str) -> Vec<Vec<TargetGroupProbe>> {
        let index = self.index;
        self.groups
            .into_iter()
            .map(|groups| {
                groups
                    .into_iter()
                    .map(|PlannedGroup { mut group, probes }| {
                        for (row, probe) in group.targets.iter_mut().zip(&probes) {
                            let Some(probe) = probe else { continue };
                            match seen(index[probe]) {
                                Some((handshake, at)) => {
                                    row.handshake = handshake;
                                    row.probed_at = Some(at);
                                }
                                None => row.handshake = Handshake::not_probed(unseen),
                            }
                        }
                        let explained: Vec<String> =
                            group.targets.iter().map(|t| probed::explain(&group, &t.handshake)).collect();
                        for (row, explanation) in group.targets.iter_mut().zip(explained) {
                            row.explanation = explanation;
                        }
                        group
                    })
                    .collect()
            })
            .collect()
    }
}

/// Cites in `reviewed` (the load balancers `planned` was made of) what the
/// probe last saw of their targets: the probe's own findings, and
/// `tls-errors` citing the outcomes instead of the causes that fit, for
/// each load balancer with an outcome. Returns each one's probed groups.
/// Makes no handshake.
pub async fn cite_outcomes(
    cache: &Cache,
    scope: &Scope,
    planned: ProbePlan,
    reviewed: &mut [LoadBalancerReview],
    now: i64,
) -> Vec<Vec<TargetGroupProbe>> {
    let outcomes = match planned.targets.is_empty() {
        true => Vec::new(),
        false => cache.outcomes(scope, &planned.targets).await,
    };
    let groups = planned.rows_of_outcomes(&outcomes);
    for (reviewed, groups) in reviewed.iter_mut().zip(&groups) {
        if groups.iter().flat_map(|g| &g.targets).any(|t| t.probed_at.is_some()) {
            reviewed.findings = probed::findings(reviewed, groups, now, None);
        }
    }
    groups
}
