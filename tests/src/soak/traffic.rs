//! The soak's clients: each a reader of one account over keep-alive
//! connections to every replica in turn, sending the mix of routes a team
//! sends, and on every tenth request a view of the account it may not
//! read. Every answer is checked ([`super::checks`]) and counted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::checks::{self, Answer, Fault, Route};
use super::fleet::{ACCOUNTS, Fleet, PASSWORD, View};
use crate::basic;

/// How long a client waits for an answer: longer is a hang.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// Failures kept whole for the report, of each kind.
const KEPT: usize = 5;

/// What the clients share: where the replicas listen, which are down on
/// purpose now, and what they may ask.
pub struct Targets {
    pub replicas: Vec<String>,
    pub down: Vec<AtomicBool>,
    pub fleet: Fleet,
    pub views: Vec<View>,
}

/// What the clients saw.
#[derive(Debug, Default)]
pub struct Tally {
    pub answers: BTreeMap<Route, Vec<Duration>>,
    pub statuses: BTreeMap<(Route, u16), usize>,
    pub stale: usize,
    /// Requests to a replica while it was down on purpose (refused connections).
    pub while_down: usize,
    pub wrong: Found,
    pub cross_account: Found,
    pub bare: Found,
    /// Requests that got no answer, from a replica that was up.
    pub unanswered: Found,
    /// The series views asked (JSON, CSV and breakdowns), for the calls per view.
    pub distinct_views: BTreeSet<String>,
}

/// Failures of one kind: how many, and the first few.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub count: usize,
    pub first: Vec<String>,
}

impl Found {
    fn note(&mut self, said: String) {
        self.count += 1;
        if self.first.len() < KEPT {
            self.first.push(said);
        }
    }
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (route, latencies) in other.answers {
            self.answers.entry(route).or_default().extend(latencies);
        }
        for (key, count) in other.statuses {
            *self.statuses.entry(key).or_default() += count;
        }
        self.stale += other.stale;
        self.while_down += other.while_down;
        for (mine, theirs) in [
            (&mut self.wrong, other.wrong),
            (&mut self.cross_account, other.cross_account),
            (&mut self.bare, other.bare),
            (&mut self.unanswered, other.unanswered),
        ] {
            mine.count += theirs.count;
            mine.first.extend(theirs.first.into_iter().take(KEPT.saturating_sub(mine.first.len())));
        }
        self.distinct_views.extend(other.distinct_views);
    }

    pub fn requests(&self) -> usize {
        self.answers.values().map(Vec::len).sum()
    }
}

/// Runs `clients` clients until `until`, and adds up what they saw.
pub async fn run(targets: Arc<Targets>, clients: usize, until: Instant) -> Tally {
    let running: Vec<_> = (0..clients).map(|index| tokio::spawn(client(index, targets.clone(), until))).collect();
    let mut tally = Tally::default();
    for client in running {
        tally.merge(client.await.expect("a client ran to the end"));
    }
    tally
}

/// A small deterministic generator, so that a run can be repeated.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % sides as u64) as usize
    }
}

/// The route of a request, by weight in a hundred: mostly series views, as
/// the dashboard asks them.
fn route_of(roll: usize) -> Route {
    match roll {
        0..50 => Route::Series,
        50..60 => Route::Csv,
        60..68 => Route::Breakdown,
        68..74 => Route::Dimensions,
        74..80 => Route::Catalog,
        80..86 => Route::Overview,
        86..92 => Route::Review,
        92..96 => Route::Changes,
        _ => Route::Alarm,
    }
}

fn path_of(route: Route, view: &View, fleet: &Fleet) -> String {
    let account = view.account().name;
    match route {
        Route::Series | Route::OtherAccount => format!("/api/v1/series?{}", view.query()),
        Route::Csv => format!("/api/v1/series?{}&format=csv", view.query()),
        Route::Breakdown => format!("/api/v1/series?{}&by=tg", view.query()),
        Route::Dimensions => {
            format!("/api/v1/dimensions?account={account}&region={}", super::fleet::REGIONS[view.region])
        }
        Route::Catalog => "/api/v1/catalog".to_string(),
        Route::Overview => format!("/api/v1/overview?from={}&to={}", fleet.start, fleet.end),
        Route::Review => format!("/api/v1/review?{}", view.query()),
        Route::Changes => format!("/api/v1/changes?{}", view.query()),
        Route::Alarm => format!("/api/v1/alarm?{}", view.query()),
    }
}

async fn client(index: usize, targets: Arc<Targets>, until: Instant) -> Tally {
    let account = index % ACCOUNTS.len();
    let caller = &ACCOUNTS[account];
    let authorization = basic(caller.user, PASSWORD);
    let own_views: Vec<&View> = targets.views.iter().filter(|view| view.account == account).collect();
    let http = reqwest::Client::builder().timeout(ANSWER_TIMEOUT).build().expect("a client");
    let mut dice = Dice(index as u64 + 1);
    let mut tally = Tally::default();
    let mut sent = 0usize;
    while Instant::now() < until {
        sent += 1;
        let replica = (index + sent) % targets.replicas.len();
        let view = *own_views[dice.roll(own_views.len())];
        let (route, view) = if sent.is_multiple_of(10) {
            (Route::OtherAccount, view.of_the_other_account())
        } else {
            (route_of(dice.roll(100)), view)
        };
        let path = path_of(route, &view, &targets.fleet);
        if matches!(route, Route::Series | Route::Csv | Route::Breakdown) {
            tally.distinct_views.insert(path.clone());
        }
        let started = Instant::now();
        let sent_to = format!("{}{path}", targets.replicas[replica]);
        let answered = match http.get(&sent_to).header("authorization", &authorization).send().await {
            Ok(response) => read(response).await,
            Err(err) => Err(err),
        };
        let Read { status, stale, content_type, body } = match answered {
            Ok(answered) => answered,
            Err(_) if targets.down[replica].load(Ordering::SeqCst) => {
                tally.while_down += 1;
                continue;
            }
            Err(err) => {
                tally.unanswered.note(format!("replica {replica}, {path}: {err}"));
                continue;
            }
        };
        tally.answers.entry(route).or_default().push(started.elapsed());
        *tally.statuses.entry((route, status)).or_default() += 1;
        tally.stale += usize::from(stale);
        let answer = Answer { status, stale, content_type: &content_type, body: &body };
        match checks::check(route, caller, &view, &answer) {
            Ok(()) => {}
            Err(Fault::Wrong(said)) => tally.wrong.note(format!("replica {replica}: {said}")),
            Err(Fault::CrossAccount(said)) => tally.cross_account.note(format!("replica {replica}: {said}")),
            Err(Fault::Bare(said)) => tally.bare.note(format!("replica {replica}: {said}")),
        }
    }
    tally
}

/// An answer as read off the wire.
struct Read {
    status: u16,
    stale: bool,
    content_type: String,
    body: String,
}

async fn read(response: reqwest::Response) -> reqwest::Result<Read> {
    let status = response.status().as_u16();
    let stale = response.headers().contains_key("stale");
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok());
    let content_type = content_type.unwrap_or_default().to_string();
    Ok(Read { status, stale, content_type, body: response.text().await? })
}

/// Asks `view` of the replica at `replica` as its account's reader until it
/// answers fresh and right, for at most `within`; how long that took.
pub async fn until_fresh(replica: &str, view: &View, within: Duration) -> Result<Duration, String> {
    let http = reqwest::Client::builder().timeout(ANSWER_TIMEOUT).build().expect("a client");
    let caller = view.account();
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < within {
        let asked = http
            .get(format!("{replica}/api/v1/series?{}", view.query()))
            .header("authorization", basic(caller.user, PASSWORD))
            .send()
            .await;
        if let Ok(response) = asked
            && let Ok(Read { status, stale, content_type, body }) = read(response).await
        {
            let answer = Answer { status, stale, content_type: &content_type, body: &body };
            match checks::check(Route::Series, caller, view, &answer) {
                Ok(()) if status == 200 && !stale => return Ok(started.elapsed()),
                Ok(()) => last = format!("{status}{}", if stale { " (stale)" } else { "" }),
                Err(fault) => return Err(format!("{replica}: {fault:?}")),
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!("{replica} did not answer {} fresh within {within:?} (last: {last})", view.query()))
}
