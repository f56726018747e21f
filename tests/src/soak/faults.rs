//! The faults of the soak, in the middle of its traffic: one account's
//! CloudWatch throttling a tenth of its calls, then failing, answering
//! garbage and hanging; its role refused for a while; the shared cache
//! killed and restarted twice; one replica killed (SIGKILL) and started
//! again; moto restarted. Each at a fixed share of the time the faults
//! take, so that a short run has every one of them too.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::fleet::{ACCOUNTS, Fleet};
use super::replicas::Replicas;
use super::traffic::Targets;
use crate::Moto;
use crate::shared_cache::RedisServer;
use crate::upstream::{Behaviour, GET_METRIC_DATA, TestUpstream};

const ASSUME_ROLE: &str = "AssumeRole";
/// The replica killed and started again.
const ROLLED: usize = 2;

/// One thing done to the parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// What the faulty account's GetMetricData calls get.
    Calls(Behaviour),
    RefuseRole(bool),
    KillCache,
    RestartCache,
    KillReplica,
    RestartReplica,
    RestartMoto,
}

/// When each step comes, as a share of the time the faults take.
const SCHEDULE: [(f64, Step); 14] = [
    (0.00, Step::Calls(Behaviour::ThrottleEvery(10))),
    (0.10, Step::Calls(Behaviour::Fail)),
    (0.15, Step::KillCache),
    (0.20, Step::Calls(Behaviour::Garbage)),
    (0.30, Step::RestartCache),
    (0.32, Step::Calls(Behaviour::Hang)),
    (0.42, Step::Calls(Behaviour::ThrottleEvery(10))),
    (0.45, Step::RefuseRole(true)),
    (0.48, Step::KillReplica),
    (0.55, Step::KillCache),
    (0.58, Step::RestartReplica),
    (0.62, Step::RestartCache),
    (0.70, Step::RefuseRole(false)),
    (0.75, Step::RestartMoto),
];

/// The account whose CloudWatch misbehaves: the assumed role's.
fn faulty_account() -> &'static str {
    ACCOUNTS[1].id
}

/// Everything the faults act on.
pub struct Parts {
    pub moto: Moto,
    pub upstream: TestUpstream,
    pub redis: RedisServer,
    pub replicas: Replicas,
    pub targets: Arc<Targets>,
    pub fleet: Fleet,
}

/// What the faults did, for the report.
#[derive(Debug, Default)]
pub struct Done {
    pub steps: Vec<String>,
}

impl Parts {
    /// Runs every step at its time within `faults` from `started`, then
    /// lets every call through again.
    pub async fn inject(&mut self, started: Instant, faults: Duration) -> Done {
        let mut done = Done::default();
        for (share, step) in SCHEDULE {
            tokio::time::sleep_until((started + faults.mul_f64(share)).into()).await;
            let at = started.elapsed().as_secs_f64();
            self.apply(step).await;
            done.steps.push(format!("{at:.1} s: {}", describe(step)));
        }
        tokio::time::sleep_until((started + faults).into()).await;
        self.upstream.behave_for_account(GET_METRIC_DATA, faulty_account(), Behaviour::Forward);
        done.steps.push(format!("{:.1} s: faults end", started.elapsed().as_secs_f64()));
        done
    }

    async fn apply(&mut self, step: Step) {
        match step {
            Step::Calls(behaviour) => self.upstream.behave_for_account(GET_METRIC_DATA, faulty_account(), behaviour),
            Step::RefuseRole(refused) => {
                let behaviour = if refused { Behaviour::AccessDenied } else { Behaviour::Forward };
                self.upstream.behave_for_account(ASSUME_ROLE, faulty_account(), behaviour);
            }
            Step::KillCache => self.redis.kill(),
            Step::RestartCache => tokio::task::block_in_place(|| self.redis.restart()),
            Step::KillReplica => {
                self.targets.down[ROLLED].store(true, Ordering::SeqCst);
                self.replicas.kill(ROLLED).await;
            }
            Step::RestartReplica => {
                tokio::task::block_in_place(|| self.replicas.start(ROLLED));
                self.targets.down[ROLLED].store(false, Ordering::SeqCst);
            }
            Step::RestartMoto => self.restart_moto().await,
        }
    }

    /// Restarts moto and puts the data back; meanwhile every call fails, as
    /// CloudWatch being unreachable would (an empty moto would answer
    /// "no data", which AWS never forgets).
    async fn restart_moto(&mut self) {
        self.upstream.behave_on_every_call(Some(Behaviour::Fail));
        tokio::task::block_in_place(|| self.moto.restart());
        self.fleet.put(&self.moto).await;
        for account in &ACCOUNTS {
            if let Some(role) = account.role {
                let credentials = self.moto.assume(role).await;
                self.upstream.rekey_account(account.id, credentials.access_key_id());
            }
        }
        self.upstream.behave_on_every_call(None);
    }
}

fn describe(step: Step) -> String {
    let account = ACCOUNTS[1].name;
    match step {
        Step::Calls(Behaviour::ThrottleEvery(n)) => format!("{account}'s GetMetricData: every {n}th call throttled"),
        Step::Calls(behaviour) => format!("{account}'s GetMetricData: {behaviour:?}"),
        Step::RefuseRole(true) => format!("{account}'s role refused (AssumeRole AccessDenied)"),
        Step::RefuseRole(false) => format!("{account}'s role assumable again"),
        Step::KillCache => "redis-server killed".to_string(),
        Step::RestartCache => "redis-server restarted (empty)".to_string(),
        Step::KillReplica => format!("replica {ROLLED} killed (SIGKILL)"),
        Step::RestartReplica => format!("replica {ROLLED} started again"),
        Step::RestartMoto => "moto restarted, its data put again".to_string(),
    }
}
