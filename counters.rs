// SPDX-License-Identifier: GPL-2.0

//! The counters behind `GET_STATS`: per work item, how many submissions were queued or dropped,
//! how many runs and cancellations there were, and the latency of the last run an ioctl queued.
//!
//! The counters are independent statistics read with `Relaxed` loads: a snapshot taken while
//! work runs may be a moment old in one field and not in another, which `GET_STATS` documents
//! (`ran + cancelled == queued` holds once the work has drained). One pair is ordered: a run is
//! counted in `ran` only after its latency is stored (`started`), so whoever waits for `ran` to
//! grow reads that run's latency.

use core::sync::atomic::{
    AtomicU64,
    Ordering, //
};
use kernel::{
    prelude::*,
    time::{
        Instant,
        Monotonic, //
    },
    transmute::AsBytes,
};

use crate::{
    ioctl_abi::{
        Item,
        ItemStats,
        Stats,
        ITEM_COUNT, //
    },
    wq::jiffies,
};

// SAFETY: `ItemStats` is `repr(C)` and made only of `u64` fields, so it has no padding and every
// byte of a value is initialised.
unsafe impl AsBytes for ItemStats {}
// SAFETY: `Stats` is `repr(C)` and made only of `ItemStats` fields (see above).
unsafe impl AsBytes for Stats {}

/// Live counters of one work item.
#[derive(Default)]
struct ItemCounters {
    submitted: AtomicU64,
    queued: AtomicU64,
    dropped: AtomicU64,
    ran: AtomicU64,
    cancelled: AtomicU64,
    /// When the pending submission entered its ioctl, in ns since [`Counters::epoch`] plus one;
    /// 0 when none is recorded.
    submit_ns: AtomicU64,
    /// `jiffies` at the same moment.
    submit_jiffies: AtomicU64,
    last_latency_ns: AtomicU64,
    last_latency_jiffies: AtomicU64,
}

/// The counters of every work item.
pub(crate) struct Counters {
    epoch: Instant<Monotonic>,
    items: [ItemCounters; ITEM_COUNT],
}

impl Counters {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            items: Default::default(),
        }
    }

    fn item(&self, item: Item) -> &ItemCounters {
        &self.items[item as usize]
    }

    /// Nanoseconds since the counters were created.
    #[inline]
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Records the entry time of an ioctl that is about to enqueue `item`, unless an earlier
    /// submission of the still-pending item already did (it is the one that will run).
    #[inline]
    pub(crate) fn stamp(&self, item: Item) {
        let c = self.item(item);
        // An `Err` means an earlier stamp is still waiting for its run: keep it.
        if c.submit_ns
            .compare_exchange(0, self.now_ns() + 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            c.submit_jiffies.store(jiffies(), Ordering::Relaxed);
        }
    }

    /// Records one enqueue attempt of `item`; returns whether the queue accepted it.
    pub(crate) fn record<T>(&self, item: Item, res: Result<(), T>) -> bool {
        let c = self.item(item);
        c.submitted.fetch_add(1, Ordering::Relaxed);
        match res {
            Ok(()) => {
                c.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            // `Err` hands back the pointer the queue did not take; dropping it here releases the
            // reference this submission would otherwise have leaked.
            Err(_) => {
                c.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Called first thing in `item`'s work function; returns the ns since the ioctl that queued
    /// this run, if one stamped it.
    ///
    /// The clock is read before anything else, so that the latency ends where the work function
    /// starts (as the C twin's does). The run is counted last, with `Release`: a `GET_STATS` that
    /// sees it counted (an `Acquire` load of `ran`) also sees its latency.
    #[inline]
    pub(crate) fn started(&self, item: Item) -> Option<u64> {
        let now = self.now_ns();
        let c = self.item(item);
        let latency = c
            .submit_ns
            .swap(0, Ordering::Relaxed)
            .checked_sub(1)
            .and_then(|stamp| now.checked_sub(stamp));
        if let Some(latency) = latency {
            let ticks = jiffies().wrapping_sub(c.submit_jiffies.load(Ordering::Relaxed));
            c.last_latency_ns.store(latency, Ordering::Relaxed);
            c.last_latency_jiffies.store(ticks, Ordering::Relaxed);
        }
        c.ran.fetch_add(1, Ordering::Release);
        latency
    }

    /// Records that unloading cancelled a pending submission of `item`.
    pub(crate) fn cancelled(&self, item: Item) {
        self.item(item).cancelled.fetch_add(1, Ordering::Relaxed);
    }

    /// The `GET_STATS` payload.
    pub(crate) fn snapshot(&self) -> Stats {
        Stats::from_items(self.items.each_ref().map(|c| ItemStats {
            submitted: c.submitted.load(Ordering::Relaxed),
            queued: c.queued.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            // Before the latency fields (struct fields are evaluated in the order written): see
            // `started`.
            ran: c.ran.load(Ordering::Acquire),
            cancelled: c.cancelled.load(Ordering::Relaxed),
            last_latency_ns: c.last_latency_ns.load(Ordering::Relaxed),
            last_latency_jiffies: c.last_latency_jiffies.load(Ordering::Relaxed),
        }))
    }
}
