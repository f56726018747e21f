//! How much memory the views being built may hold at once. Each view
//! reserves its estimated cost from one budget before it is fetched and
//! keeps it until its answer is written, so that many large views at once
//! take turns instead of growing the process without bound.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// What one point (a bucket of a series) costs while its answer is built:
/// CloudWatch's datapoint (16 bytes), the answer's timestamp and value (24),
/// and its JSON (up to about 40 bytes, twice while the buffer grows), with
/// room for the SDK's parsed pages. `tests/tests/limits.rs` measures the
/// process under many large views against this.
pub const BYTES_PER_POINT: usize = 128;

/// The smallest budget: one large view's worth, whatever `--cache-mib` says.
pub const MIN_BUDGET_BYTES: usize = 16 << 20;

/// How long a view waits for room before it is refused as busy.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// The budget, in KiB, shared by every request of the process.
pub struct WorkBudget {
    kib: Arc<Semaphore>,
    total_kib: u32,
    wait: Duration,
}

/// Room held in the budget; given back when dropped.
pub struct Reservation {
    _kib: OwnedSemaphorePermit,
}

/// No room came free within the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// How long the view waited.
    pub waited: Duration,
}

impl WorkBudget {
    /// A budget of `bytes` (at least [`MIN_BUDGET_BYTES`]); a view waits at
    /// most `wait` for room.
    pub fn new(bytes: usize, wait: Duration) -> Self {
        let total_kib = u32::try_from(bytes.max(MIN_BUDGET_BYTES).div_ceil(1024)).unwrap_or(u32::MAX >> 4);
        Self { kib: Arc::new(Semaphore::new(total_kib as usize)), total_kib, wait }
    }

    /// The budget in bytes.
    pub fn bytes(&self) -> usize {
        self.total_kib as usize * 1024
    }

    /// Reserves room for a view of `points`. A view larger than the whole
    /// budget reserves all of it, so it is built alone. Views are let in in
    /// the order they asked, so a large one is not starved by small ones.
    pub async fn reserve(&self, points: usize) -> Result<Reservation, Busy> {
        let kib = points.saturating_mul(BYTES_PER_POINT).div_ceil(1024).max(1);
        let kib = u32::try_from(kib).unwrap_or(u32::MAX).min(self.total_kib);
        match tokio::time::timeout(self.wait, self.kib.clone().acquire_many_owned(kib)).await {
            Ok(Ok(permit)) => Ok(Reservation { _kib: permit }),
            // The semaphore is never closed; a closed one would be a bug, and
            // refusing as busy is the safe answer to it.
            Ok(Err(_)) | Err(_) => Err(Busy { waited: self.wait }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB_OF_POINTS: usize = (1 << 20) / BYTES_PER_POINT;
    const WAIT: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn views_share_the_budget_and_wait_for_room() {
        let budget = WorkBudget::new(MIN_BUDGET_BYTES, WAIT);
        assert_eq!(budget.bytes(), MIN_BUDGET_BYTES);
        let first = budget.reserve(10 * MIB_OF_POINTS).await.unwrap();
        let _small = budget.reserve(5 * MIB_OF_POINTS).await.unwrap();
        assert_eq!(budget.reserve(2 * MIB_OF_POINTS).await.err(), Some(Busy { waited: WAIT }));
        drop(first);
        budget.reserve(2 * MIB_OF_POINTS).await.expect("room again once the first view is written");
    }

    #[tokio::test]
    async fn a_view_larger_than_the_budget_is_built_alone() {
        let budget = WorkBudget::new(0, WAIT);
        let huge = budget.reserve(usize::MAX).await.expect("the whole budget, not a refusal");
        assert!(budget.reserve(1).await.is_err(), "nothing else fits beside it");
        drop(huge);
        budget.reserve(1).await.unwrap();
    }

    #[tokio::test]
    async fn a_waiting_view_gets_in_when_room_comes_free_in_time() {
        let budget = Arc::new(WorkBudget::new(MIN_BUDGET_BYTES, WAIT));
        let whole = budget.reserve(16 * MIB_OF_POINTS).await.unwrap();
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(MIB_OF_POINTS).await.is_ok() }
        });
        tokio::time::sleep(WAIT / 3).await;
        drop(whole);
        assert!(waiting.await.unwrap());
    }
}
