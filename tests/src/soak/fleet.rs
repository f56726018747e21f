//! The soak's fleet: two accounts (the proxy's own identity and a role
//! assumed through moto's STS) in two regions, each with the same load
//! balancers under the same dimension values and values of its own, far
//! apart: an answer of one account given to the other is told apart from a
//! merely wrong one. Each account also has a load balancer of its own, so
//! that a list of another account's load balancers shows.

use aws_sdk_cloudwatch::types::MetricDatum;

use crate::{Moto, datum};

const METRIC: &str = "TargetTLSNegotiationErrorCount";
/// The slot of the data: one datapoint per five minutes.
const SLOT: i64 = 300;
/// How many values a load balancer cycles through, from its account's base.
const SPREAD: i64 = 20;

/// An account of the soak, and the htpasswd user who may read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Account {
    pub name: &'static str,
    pub id: &'static str,
    pub role: Option<&'static str>,
    pub user: &'static str,
    /// The least value of its datapoints; the others are up to `SPREAD - 1` more.
    base: f64,
}

pub const ACCOUNTS: [Account; 2] = [
    Account { name: "default", id: crate::DEFAULT_ACCOUNT_ID, role: None, user: "ana", base: 1.0 },
    Account {
        name: "payments",
        id: "111111111111",
        role: Some("arn:aws:iam::111111111111:role/tlswatch-reader"),
        user: "ben",
        base: 1_001.0,
    },
];
pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Every user's password (bcrypt at cost 4 in the soak's htpasswd file).
pub const PASSWORD: &str = "soak-password";
pub const STATS: [&str; 4] = ["Sum", "Average", "Minimum", "Maximum"];

/// The load balancers every account has, and the target group each reports under.
pub fn shared_balancer(index: usize) -> String {
    format!("app/soak-{index}/{:016x}", 0x50dc_6c49_5c0c_9000_u64 + index as u64)
}

fn target_group(index: usize) -> String {
    format!("targetgroup/soak-tg-{index}/{:016x}", 0x73e2_d6bc_24d8_a000_u64 + index as u64)
}

/// The load balancer only `account` has.
pub fn own_balancer(account: &Account) -> String {
    format!("app/only-{}/{:016x}", account.name, 0x1a2b_3c4d_5e6f_0000_u64 + account.id.len() as u64)
}

/// What the soak puts in moto: `balancers` shared load balancers over
/// `[start, end)`, a range that ended long enough ago that every bucket is final.
#[derive(Debug, Clone, Copy)]
pub struct Fleet {
    pub balancers: usize,
    pub start: i64,
    pub end: i64,
}

impl Fleet {
    /// Twelve hours of data ending two whole hours ago.
    pub fn ending_before(now: i64, balancers: usize) -> Self {
        let end = (now - 2 * 3_600) / 3_600 * 3_600;
        Self { balancers, start: end - 12 * 3_600, end }
    }

    /// The value of the datapoint of the slot starting at `slot`.
    pub fn value(account: &Account, region: usize, balancer: usize, slot: i64) -> f64 {
        let cycle = (slot / SLOT * 7 + balancer as i64 * 3 + region as i64 * 5).rem_euclid(SPREAD);
        account.base + cycle as f64
    }

    /// Whether `value` (any statistic of any bucket) could be one of `account`'s.
    pub fn could_be(account: &Account, value: f64, period: i64) -> bool {
        let most_per_bucket = (period / SLOT).max(1) as f64;
        let highest = (account.base + (SPREAD - 1) as f64) * most_per_bucket;
        (account.base..=highest).contains(&value)
    }

    /// Puts every datapoint of every account and region.
    pub async fn put(&self, moto: &Moto) {
        for account in &ACCOUNTS {
            for (region_index, region) in REGIONS.iter().enumerate() {
                let data = self.data_of(account, region_index);
                match account.role {
                    Some(role) => moto.put_as(role, region, data).await,
                    None => moto.put_in(region, data).await,
                }
            }
        }
    }

    fn data_of(&self, account: &Account, region: usize) -> Vec<MetricDatum> {
        let mut data = Vec::new();
        for slot in (self.start..self.end).step_by(SLOT as usize) {
            // Inside the slot, away from every bucket's edge.
            let t = slot + 60;
            for balancer in 0..self.balancers {
                let value = Self::value(account, region, balancer, slot);
                let lb = shared_balancer(balancer);
                data.push(datum(METRIC, &[("LoadBalancer", &lb)], t, value));
                let group = target_group(balancer);
                data.push(datum(METRIC, &[("LoadBalancer", &lb), ("TargetGroup", &group)], t, value));
            }
            let own = own_balancer(account);
            data.push(datum(METRIC, &[("LoadBalancer", &own)], t, Self::value(account, region, 0, slot)));
        }
        data
    }
}

/// One series view of the soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct View {
    pub account: usize,
    pub region: usize,
    pub balancer: usize,
    pub stat: usize,
    pub period: i64,
    pub from: i64,
    pub to: i64,
}

impl View {
    /// The view's query string (`lb`, `stat`, `period`, `from`, `to`,
    /// `account`, `region`).
    pub fn query(&self) -> String {
        format!(
            "lb={}&stat={}&period={}&from={}&to={}&account={}&region={}",
            shared_balancer(self.balancer),
            STATS[self.stat],
            self.period,
            self.from,
            self.to,
            ACCOUNTS[self.account].name,
            REGIONS[self.region]
        )
    }

    pub fn account(&self) -> &'static Account {
        &ACCOUNTS[self.account]
    }

    /// The same view of the other account.
    pub fn of_the_other_account(&self) -> Self {
        Self { account: 1 - self.account, ..*self }
    }

    /// What the bucket starting at `t` holds: the view's statistic over the
    /// datapoints put in it.
    pub fn expected(&self, t: i64) -> Option<f64> {
        let values: Vec<f64> = (t..t + self.period)
            .step_by(SLOT as usize)
            .map(|slot| Fleet::value(self.account(), self.region, self.balancer, slot))
            .collect();
        let sum: f64 = values.iter().sum();
        match STATS[self.stat] {
            _ if values.is_empty() => None,
            "Sum" => Some(sum),
            "Average" => Some(sum / values.len() as f64),
            "Minimum" => values.iter().copied().reduce(f64::min),
            _ => values.iter().copied().reduce(f64::max),
        }
    }
}

/// The views the soak's clients ask: every account, region, load balancer
/// and statistic, at five minutes over two hours and at an hour over six,
/// from `ranges` starting hours of the fleet's range.
pub fn views(fleet: &Fleet, stats: usize, ranges: i64) -> Vec<View> {
    let mut views = Vec::new();
    for account in 0..ACCOUNTS.len() {
        for region in 0..REGIONS.len() {
            for balancer in 0..fleet.balancers {
                for stat in 0..stats {
                    for (period, hours) in [(300, 2), (3_600, 6)] {
                        for hour in 0..ranges {
                            let from = fleet.start + hour * 3_600;
                            views.push(View {
                                account,
                                region,
                                balancer,
                                stat,
                                period,
                                from,
                                to: from + hours * 3_600,
                            });
                        }
                    }
                }
            }
        }
    }
    views
}

/// A view no client asks, for `replica` and `account`: after the faults,
/// its answer must be fetched, not remembered.
pub fn unasked_view(fleet: &Fleet, replica: usize, account: usize) -> View {
    let from = fleet.end - 3_600;
    View { account, region: 0, balancer: 0, stat: replica % STATS.len(), period: 300, from, to: fleet.end }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accounts_values_never_meet_whatever_the_statistic() {
        let fleet = Fleet::ending_before(1_800_000_000, 2);
        for view in views(&fleet, STATS.len(), 2) {
            let t = view.from;
            let value = view.expected(t).expect("a value");
            assert!(Fleet::could_be(view.account(), value, view.period), "{view:?}: {value}");
            let other = view.of_the_other_account();
            assert!(!Fleet::could_be(view.account(), other.expected(t).unwrap(), view.period), "{view:?}");
        }
    }

    #[test]
    fn an_unasked_view_is_not_among_the_asked_ones() {
        let fleet = Fleet::ending_before(1_800_000_000, 2);
        let asked = views(&fleet, STATS.len(), 3);
        for replica in 0..3 {
            assert!(!asked.contains(&unasked_view(&fleet, replica, 1)));
        }
    }
}
