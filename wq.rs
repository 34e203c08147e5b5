// SPDX-License-Identifier: GPL-2.0

//! Workqueue plumbing that the Rust API of 7.2 and 7.3 lacks, in the shapes upstream gives it.
//!
//! - [`system_percpu`]: upstream adds `workqueue::system_percpu()` after 7.3.
//! - [`OwnedQueue`]: a workqueue the module creates and destroys, after Alice Ryhl's
//!   "workqueue: rust: add creation of workqueues", restricted to what it can drain: spawned
//!   closures, no delayed work (whose timers `destroy_workqueue` does not stop).
//! - [`disable_work_sync`], [`disable_delayed_work_sync`]: stop an embedded work item for good
//!   and hand back the `Arc` a pending submission held, after the posted
//!   `cancel_sync(&self) -> Option<T::Pointer>`; [`flush_delayed_work`].
//! - [`in_worker`]: whether the running task is a workqueue worker, for the log lines.
//! - [`jiffies`]: the tick counter, for latency figures.

use core::ptr::NonNull;
use kernel::{
    alloc::{
        AllocError,
        Flags, //
    },
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

/// Whether the running task is a workqueue worker executing a work item (`current_work()`).
pub(crate) fn in_worker() -> bool {
    // SAFETY: `current_work` has no precondition: it looks at the running task's own worker
    // state, if it has one, and returns NULL for any other task.
    !unsafe { bindings::current_work() }.is_null()
}

/// The current `jiffies`.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: `jiffies` is a C global that the timer interrupt updates; a volatile read of the
    // aligned word is what C's `READ_ONCE(jiffies)` does.
    let now = unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) };
    // `c_ulong` is 64 bits on every architecture this module builds for: no truncation.
    now as u64
}

/// A private per-CPU workqueue for spawned closures, drained and destroyed when dropped.
///
/// It takes only what [`OwnedQueue::drain`] waits for: closures ([`OwnedQueue::try_spawn`]),
/// which are queued at once. It offers no `Queue` (no `Deref`), so no delayed work can be armed
/// on it: `destroy_workqueue` does not stop a timer, which would then queue onto freed memory.
///
/// Dropping it waits for every closure, so it must not be dropped by one of its own closures.
///
/// # Invariants
///
/// `self.0` points to a live workqueue created by `alloc_workqueue` and owned by this value.
pub(crate) struct OwnedQueue(NonNull<bindings::workqueue_struct>);

// SAFETY: By the type invariant the value owns its workqueue; the workqueue core allows queueing
// to, draining and destroying a workqueue from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: The only operations through `&OwnedQueue` are queueing closures and draining, which the
// workqueue core serialises itself.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Creates a per-CPU workqueue named `name`.
    ///
    /// The kernel's `alloc_workqueue()` is a macro around `alloc_workqueue_noprof()` that, with
    /// `CONFIG_MEM_ALLOC_PROFILING`, charges the allocations to its call site; 7.2 and 7.3 have
    /// no C helper for it, so the queue's allocations are charged to the workqueue core's own
    /// call sites instead. That is accounting only.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: The format is the literal "%s", whose one directive takes `name`, a
        // NUL-terminated string that `alloc_workqueue` copies into the queue before returning.
        // `WQ_PERCPU` states the per-CPU placement the core otherwise warns about.
        let raw = unsafe {
            bindings::alloc_workqueue_noprof(
                c"%s".as_char_ptr(),
                bindings::wq_flags_WQ_PERCPU,
                0,
                name.as_char_ptr(),
            )
        };
        // INVARIANT: A non-NULL result is a new workqueue that only this value knows of.
        NonNull::new(raw).map(Self).ok_or(ENOMEM)
    }

    /// The queue, for the items this type accepts.
    fn queue(&self) -> &Queue {
        // SAFETY: By the type invariant the queue is alive as long as `self`.
        unsafe { Queue::from_raw(self.0.as_ptr()) }
    }

    /// Runs `func` on the queue ([`Queue::try_spawn`]); fails only if allocating its work item
    /// fails.
    pub(crate) fn try_spawn<T: 'static + Send + FnOnce()>(
        &self,
        flags: Flags,
        func: T,
    ) -> Result<(), AllocError> {
        self.queue().try_spawn(flags, func)
    }

    /// Waits until the queue is empty, including closures that running closures queue.
    pub(crate) fn drain(&self) {
        // SAFETY: By the type invariant the queue is alive.
        unsafe { bindings::drain_workqueue(self.0.as_ptr()) };
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we own the queue, and nobody can reach it after this: it
        // holds only closures, which `destroy_workqueue` waits for (no timer of a delayed item
        // can fire later).
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

/// Gives back the `Arc` that the pending submission of `work`, item `ID` of a `T`, owned.
///
/// # Safety
///
/// `work` must be the `work_struct` of item `ID` of a `T` (a `Work<T, ID>`) that the workqueue
/// core has just reported pending and taken off its queue for good, so that it will never run:
/// its submission's reference is then the caller's.
unsafe fn take_pending<T, const ID: u64>(work: *mut bindings::work_struct) -> Arc<T>
where
    T: HasWork<T, ID> + WorkItem<ID, Pointer = Arc<T>>,
{
    // The work item's pointer type is `Arc<T>`, so the only way it was queued is the `Arc`
    // `RawWorkItem` of the kernel crate, which queues the `work_struct` of a `Work<T, ID>`.
    let work = work.cast::<Work<T, ID>>();
    // SAFETY: As in `WorkItemPointer::run` for `Arc<T>`: this computes, from the `work_struct`,
    // the pointer that `__enqueue` got from `Arc::into_raw`.
    let ptr = unsafe { T::work_container_of(work) };
    // SAFETY: The pointer comes from `Arc::into_raw`, and by the caller's guarantee the
    // reference it stands for is no longer the workqueue's.
    unsafe { Arc::from_raw(ptr) }
}

/// Disables `this`'s work item `ID` for good, waiting for a running instance to finish; returns
/// the `Arc` its pending submission held, if it was pending. Later enqueues fail.
///
/// Process context only (it sleeps); no lock the item takes may be held.
pub(crate) fn disable_work_sync<T, const ID: u64>(this: &T) -> Option<Arc<T>>
where
    T: HasWork<T, ID> + WorkItem<ID, Pointer = Arc<T>>,
{
    let work = work_struct::<T, ID>(this);
    // SAFETY: The `work_struct` is initialised (a `Work` is only built by `Work::new`) and lives
    // as long as `this`; the caller is in process context, as documented.
    let was_pending = unsafe { bindings::disable_work_sync(work) };
    // SAFETY: `work` is item `ID` of a `T`, and `disable_work_sync` reports whether it took a
    // pending submission off its queue; disabled, the item is not queued again.
    was_pending.then(|| unsafe { take_pending::<T, ID>(work) })
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
    let work = work_struct::<T, ID>(this);
    // SAFETY: The `delayed_work` is initialised and lives as long as `this`; process context.
    let was_pending = unsafe { bindings::disable_delayed_work_sync(delayed_work::<T, ID>(this)) };
    // SAFETY: As in `disable_work_sync`: a pending delayed item (timer armed or queued) was
    // taken off both for good, and its `work_struct` is item `ID` of a `T`.
    was_pending.then(|| unsafe { take_pending::<T, ID>(work) })
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
