// SPDX-License-Identifier: GPL-2.0

//! Workqueue plumbing that the Rust API of 7.2 and 7.3 lacks, behind a small API that cannot be
//! misused; each piece stands in for the upstream shape it mirrors and goes once that lands.
//!
//! - [`system_percpu`]: upstream adds `workqueue::system_percpu()` after 7.3.
//! - [`OwnedQueue`]: a workqueue the module creates and destroys, after Alice Ryhl's
//!   "workqueue: rust: add creation of workqueues".
//! - [`disable_work_sync`], [`disable_delayed_work_sync`]: stop an embedded work item for good
//!   and hand back the reference a pending submission held, after the posted
//!   `cancel_sync(&self) -> Option<T::Pointer>`; [`flush_delayed_work`].
//! - [`jiffies`]: the tick counter, for latency figures.

use core::ptr::NonNull;
use kernel::{
    bindings,
    prelude::*,
    sync::Arc,
    workqueue::{
        HasDelayedWork,
        HasWork,
        Queue,
        Work,
        WorkItem, //
    },
};

/// The per-CPU system workqueue, `system_percpu_wq`.
///
/// 7.2 and 7.3 mark `system_wq`, which `workqueue::system()` returns, as deprecated (it warns once:
/// "enqueued on deprecated workqueue. Use system_{percpu|dfl}_wq instead"), and their Rust API has
/// no wrapper for the replacement.
pub(crate) fn system_percpu() -> &'static Queue {
    // SAFETY: `system_percpu_wq` is a C global set up at boot and never destroyed, exactly like
    // the `system_wq` that `workqueue::system()` wraps the same way.
    unsafe { Queue::from_raw(bindings::system_percpu_wq) }
}

/// The current `jiffies`.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: `jiffies` is a C global that the timer interrupt updates; a volatile read of the
    // aligned word is what C's `READ_ONCE(jiffies)` does.
    let now = unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) };
    // `c_ulong` is 64 bits on every architecture this module builds for: no truncation.
    now as u64
}

/// A private per-CPU workqueue, drained and destroyed when dropped.
///
/// # Invariants
///
/// `self.0` points to a live workqueue created by `alloc_workqueue` and owned by this value.
pub(crate) struct OwnedQueue(NonNull<bindings::workqueue_struct>);

// SAFETY: By the type invariant the value owns its workqueue; the workqueue core allows queueing
// to, draining and destroying a workqueue from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: The only operations through `&OwnedQueue` are queueing and draining, which the
// workqueue core serialises itself.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Creates a per-CPU workqueue named `name`.
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string without `%` that lives forever (it is the
        // format string). `WQ_PERCPU` states the per-CPU placement the core otherwise warns about.
        let raw = unsafe {
            bindings::alloc_workqueue_noprof(name.as_char_ptr(), bindings::wq_flags_WQ_PERCPU, 0)
        };
        // INVARIANT: A non-NULL result is a new workqueue that only this value knows of.
        NonNull::new(raw).map(Self).ok_or(ENOMEM)
    }

    /// Waits until the queue is empty, including items that running items queue.
    pub(crate) fn drain(&self) {
        // SAFETY: By the type invariant the queue is alive.
        unsafe { bindings::drain_workqueue(self.0.as_ptr()) };
    }
}

impl core::ops::Deref for OwnedQueue {
    type Target = Queue;

    fn deref(&self) -> &Queue {
        // SAFETY: By the type invariant the queue is alive as long as `self`.
        unsafe { Queue::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the queue; nobody uses it after this.
        unsafe { bindings::destroy_workqueue(self.0.as_ptr()) };
    }
}

/// The `work_struct` of `this`'s work item `ID`.
fn work_struct<T: HasWork<T, ID>, const ID: u64>(this: &T) -> *mut bindings::work_struct {
    let ptr = core::ptr::from_ref(this).cast_mut();
    // SAFETY: `ptr` comes from a reference, so it points at a valid `T`; both calls only compute
    // field addresses, which `HasWork`'s safety contract guarantees are right.
    unsafe { Work::raw_get(T::raw_get_work(ptr)) }
}

/// Gives back the reference a pending submission of an `Arc<T>` item held.
///
/// # Safety
///
/// `was_pending` must be what the workqueue core just returned for disabling `this`'s item `ID`,
/// whose `WorkItem::Pointer` is `Arc<T>`: true means it was queued (so an `Arc<T>` was leaked
/// into it by `Arc::into_raw`) and will never run (so the reference is nobody else's).
unsafe fn reclaim<T, const ID: u64>(this: &T, was_pending: bool) -> Option<Arc<T>>
where
    T: WorkItem<ID, Pointer = Arc<T>>,
{
    // SAFETY: By the caller's guarantee a pending item owned one reference, made by
    // `Arc::into_raw` on an `Arc<T>` whose `T` contains the item, which is `this`.
    was_pending.then(|| unsafe { Arc::from_raw(core::ptr::from_ref(this)) })
}

/// Disables `this`'s work item `ID` for good, waiting for a running instance to finish; returns
/// the reference its pending submission held, if it was pending. Later enqueues fail.
///
/// Process context only (it sleeps); no lock the item takes may be held.
pub(crate) fn disable_work_sync<T, const ID: u64>(this: &T) -> Option<Arc<T>>
where
    T: HasWork<T, ID> + WorkItem<ID, Pointer = Arc<T>>,
{
    // SAFETY: The `work_struct` is initialised (a `Work` is only built by `Work::new`) and lives
    // as long as `this`; the caller is in process context, as documented.
    let was_pending = unsafe { bindings::disable_work_sync(work_struct::<T, ID>(this)) };
    // SAFETY: `was_pending` is what `disable_work_sync` just returned for this item, whose pointer
    // type the bound says is `Arc<T>`.
    unsafe { reclaim::<T, ID>(this, was_pending) }
}

/// The `delayed_work` around `this`'s delayed work item `ID`.
fn delayed_work<T: HasDelayedWork<T, ID>, const ID: u64>(this: &T) -> *mut bindings::delayed_work {
    let work = work_struct::<T, ID>(this);
    // SAFETY: `HasDelayedWork` guarantees that the item's `work_struct` is the `work` field of a
    // `delayed_work`; `container_of!` only computes the address.
    unsafe { kernel::container_of!(work, bindings::delayed_work, work) }
}

/// [`disable_work_sync`] for a delayed item: also stops its timer.
pub(crate) fn disable_delayed_work_sync<T, const ID: u64>(this: &T) -> Option<Arc<T>>
where
    T: HasDelayedWork<T, ID> + WorkItem<ID, Pointer = Arc<T>>,
{
    // SAFETY: The `delayed_work` is initialised and lives as long as `this`; process context.
    let was_pending = unsafe { bindings::disable_delayed_work_sync(delayed_work::<T, ID>(this)) };
    // SAFETY: As in `disable_work_sync`, for the delayed item.
    unsafe { reclaim::<T, ID>(this, was_pending) }
}

/// Runs `this`'s delayed item `ID` now if its timer is armed, and waits for the run to finish.
///
/// Process context only (it sleeps); no lock the item takes may be held.
pub(crate) fn flush_delayed_work<T, const ID: u64>(this: &T)
where
    T: HasDelayedWork<T, ID>,
{
    // SAFETY: The `delayed_work` is initialised and lives as long as `this`; process context.
    // Whether there was anything to flush is not needed: callers look at their own state.
    let _ = unsafe { bindings::flush_delayed_work(delayed_work::<T, ID>(this)) };
}
