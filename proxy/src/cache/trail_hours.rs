//! CloudTrail's events of a range, read once per final hour: an hour that
//! ended longer ago than CloudTrail's delivery delay is kept and never read
//! again, so a refreshed `now-24h` view asks only for its last minutes.
//! Missing final hours next to each other are read in one call and cut
//! into hours; the rest of the range (not final yet) is read as one span,
//! cached as briefly as a fresh answer.

use std::sync::Arc;

use super::store::{Key, TRAIL_DELIVERY_SECONDS, Value};
use super::{Cache, wire};
use crate::accounts::Scope;
use crate::source::{SourceError, Trail};

const HOUR: i64 = 3_600;

/// The most events read for one span: ten pages of LookupEvents, five
/// seconds at CloudTrail's rate.
pub const MAX_EVENTS_PER_SPAN: usize = 500;

impl Cache {
    /// The TLS-path events between `start` and `end`, newest first.
    pub async fn trail(&self, scope: &Scope, start: i64, end: i64) -> Result<Trail, SourceError> {
        let now = (self.clock)();
        let settled = (now - TRAIL_DELIVERY_SECONDS).div_euclid(HOUR) * HOUR;
        let first_hour = start.div_euclid(HOUR) * HOUR;
        let final_end = settled.min(end.div_euclid(HOUR) * HOUR).max(first_hour);
        let mut gathered = Trail::default();
        // Final hours: cached ones as they are, runs of missing ones read together.
        let mut hour = first_hour;
        while hour < final_end {
            if let Some(known) = self.trail_hour(scope, hour).await {
                gathered.events.extend(known.events.iter().cloned());
                hour += HOUR;
                continue;
            }
            let mut run_end = hour + HOUR;
            while run_end < final_end && self.trail_hour(scope, run_end).await.is_none() {
                run_end += HOUR;
            }
            let span = self.trail_span(scope, hour, run_end).await?;
            self.keep_hours(scope, hour, run_end, &span).await;
            gather(&mut gathered, &span);
            hour = run_end;
        }
        if final_end < end {
            let tail = self.trail_span(scope, final_end, end).await?;
            gather(&mut gathered, &tail);
        }
        gathered.events.retain(|e| (start..end).contains(&e.event_time));
        gathered.events.sort_by(|a, b| b.event_time.cmp(&a.event_time).then_with(|| a.event_id.cmp(&b.event_id)));
        gathered.events.dedup_by(|a, b| a.event_id == b.event_id);
        Ok(gathered)
    }

    async fn trail_hour(&self, scope: &Scope, hour: i64) -> Option<Arc<Trail>> {
        if !self.caching {
            return None;
        }
        match self.store.get(&Key::TrailHour(scope.clone(), hour)).await? {
            Value::Trail(trail) => Some(trail),
            _ => None,
        }
    }

    /// One LookupEvents read of `start..end`, cached and coalesced.
    async fn trail_span(&self, scope: &Scope, start: i64, end: i64) -> Result<Arc<Trail>, SourceError> {
        let call = self
            .upstream
            .call(scope, "LookupEvents", |sources| sources.changes.trail(scope, start, end, MAX_EVENTS_PER_SPAN));
        let key = Key::Trail { scope: scope.clone(), start, end };
        self.load(key, wire::decode_trail, wire::encode_trail, call).await.0
    }

    /// Keeps each hour of a final span that it covers whole.
    async fn keep_hours(&self, scope: &Scope, start: i64, end: i64, span: &Trail) {
        if !self.caching {
            return;
        }
        // Cut short by the bound: the hours before its oldest event are not whole.
        let whole_from = span.complete_from.map_or(start, |from| (from.div_euclid(HOUR) + 1) * HOUR);
        let mut hour = whole_from.max(start);
        while hour < end {
            let events = span.events.iter().filter(|e| (hour..hour + HOUR).contains(&e.event_time)).cloned().collect();
            let trail = Arc::new(Trail { events, complete_from: None });
            self.store.insert(Key::TrailHour(scope.clone(), hour), Value::Trail(trail)).await;
            hour += HOUR;
        }
    }
}

/// Adds `span`'s events; the latest cut of any span is where the whole is complete from.
fn gather(gathered: &mut Trail, span: &Trail) {
    gathered.events.extend(span.events.iter().cloned());
    if let Some(from) = span.complete_from {
        gathered.complete_from = Some(gathered.complete_from.map_or(from, |known| known.max(from)));
    }
}
