//! Which targets a view's probe handshakes with, and its rows once they
//! are seen: shared by `/api/v1/probe`, which probes, and
//! `/api/v1/review`, which cites a probe still cached.

use std::collections::{BTreeMap, HashMap};

use tlswatch_shared::View;
use tlswatch_shared::probe::{MAX_TARGETS_PER_PROBE, ProbeTarget, TargetGroupProbe};
use tlswatch_shared::probe_plan::{PlannedGroup, plan};
use tlswatch_shared::review::{LoadBalancerConfig, LoadBalancerReview, SslPolicy, probed};

use crate::cache::Probed;
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
        let mut budget = MAX_TARGETS_PER_PROBE;
        let allowed = |address| allow.admits(address);
        let groups: Vec<Vec<PlannedGroup>> = configs
            .iter()
            .zip(reviewed)
            .map(|(config, reviewed)| {
                let mut groups = plan(config, reviewed, policies, &allowed, &mut budget);
                groups.retain(|g| {
                    view.target_groups.is_empty() || view.target_groups.iter().any(|tg| tg.as_str() == g.group.value)
                });
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

    /// Each load balancer's groups, their rows holding what `seen` saw
    /// (rows of targets not probed keep why), each row explained.
    pub fn rows(self, seen: Option<&Probed>) -> Vec<Vec<TargetGroupProbe>> {
        let index = self.index;
        self.groups
            .into_iter()
            .map(|groups| {
                groups
                    .into_iter()
                    .map(|PlannedGroup { mut group, probes }| {
                        for (row, probe) in group.targets.iter_mut().zip(&probes) {
                            if let Some(handshake) =
                                probe.as_ref().zip(seen).map(|(p, seen)| &seen.handshakes[index[p]])
                            {
                                row.handshake = handshake.clone();
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
