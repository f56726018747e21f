//! The fleet's configuration kept read in the background, so that the
//! overview's findings and the compliance report are served from the cache
//! rather than read on a user's request at Elastic Load Balancing's pace.
//!
//! A pass every `--fleet-refresh-seconds` reads each account and region's
//! configuration and the policies it uses through the cache: a pass costs
//! nothing while they are cached (5 minutes), and once they expire the next
//! pass reads them again. Replicas sharing a cache (`--cache-url`) read each
//! scope once: the first takes the shared cache's lease, the others wait on
//! it and take its answer.

use std::sync::Arc;
use std::time::Duration;

use crate::api::fleet::read_configuration;
use crate::state::AppState;

/// Starts the passes, the first at once.
pub fn spawn(state: Arc<AppState>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        // A pass longer than the interval is followed by the next one, not by a burst.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            pass(&state).await;
        }
    })
}

/// Reads every scope's configuration, each in its own task (each paced by
/// its own limiter); a scope that fails is read again by the next pass.
async fn pass(state: &Arc<AppState>) {
    let reads: Vec<_> = state
        .accounts
        .all()
        .iter()
        .flat_map(|account| account.scopes())
        .map(|scope| {
            let state = state.clone();
            tokio::spawn(async move {
                let read = Box::pin(read_configuration(&state, &scope)).await;
                (scope, read)
            })
        })
        .collect();
    for read in reads {
        match read.await {
            Ok((scope, Err(err))) => tracing::debug!(%scope, error = %err, "the fleet's configuration was not read"),
            Ok((_, Ok(()))) => {}
            Err(err) => tracing::error!(error = %err, "reading the fleet's configuration failed"),
        }
    }
}
