// SPDX-License-Identifier: GPL-2.0

//! Workqueue lab (06): work items that ioctls on the misc device `/dev/mydevice` defer.
//!
//! One [`DeviceState`] per device, owned by the module in an `Arc` and cloned into every open
//! file, embeds every work item of the lab's ten exercises: `Work<DeviceState, ID>` fields for
//! `KICK`, `KICK_QUICK` and `KICK_SLOW`, and `DelayedWork` fields for `KICK_DELAYED` and the
//! self-rescheduling item; `SPAWN` uses `Queue::try_spawn`.
//!
//! # ioctl ABI (magic `'J'`, defined once in `ioctl_abi.rs`)
//!
//! | command           | encoding               | lab tool command                                        |
//! |-------------------|------------------------|---------------------------------------------------------|
//! | `KICK`            | `_IO('J', 10)`         | `ioctl /dev/mydevice -t J -n 10 -d none`                |
//! | `KICK_WITH_VALUE` | `_IOW('J', 11, u32)`   | `ioctl /dev/mydevice -t J -n 11 -d write -s 4 -v 42`    |
//! | `KICK_QUICK`      | `_IO('J', 12)`         | `ioctl /dev/mydevice -t J -n 12 -d none`                |
//! | `KICK_SLOW`       | `_IO('J', 13)`         | `ioctl /dev/mydevice -t J -n 13 -d none`                |
//! | `KICK_DELAYED`    | `_IO('J', 14)`         | `ioctl /dev/mydevice -t J -n 14 -d none`                |
//! | `START_RESCHED`   | `_IOW('J', 15, u32)`   | `ioctl /dev/mydevice -t J -n 15 -d write -s 4 -v 100`   |
//! | `SPAWN`           | `_IOW('J', 16, u32)`   | `ioctl /dev/mydevice -t J -n 16 -d write -s 4 -v 7`     |
//! | `GET_STATS`       | `_IOR('J', 17, Stats)` | `ioctl /dev/mydevice -t J -n 17 -d read -s 336`         |
//! | `KICK_DELAYED_MS` | `_IOW('J', 18, u32)`   | `ioctl /dev/mydevice -t J -n 18 -d write -s 4 -v 250`   |
//!
//! Errors: an unknown command gets `ENOTTY`, a bad argument pointer `EFAULT`, a `START_RESCHED`
//! period or `KICK_DELAYED_MS` delay above 10 000 ms `EINVAL`, a failed `SPAWN` allocation
//! `ENOMEM`. None of them is logged, so a loop of bad calls cannot flood the log.
//!
//! # Log lines
//!
//! Every line starts with `rust_workq: `. The ioctl side ends its lines with
//! `[from <comm> pid <pid>]`, a work item with `[on <comm> pid <pid>]`, so the log shows that
//! work runs on a kworker and not in the caller: `kick: queued`, `kick: already queued`,
//! `worker ran`, `worker received: 42`, `quick`, `slow`, `delayed worker ran 2004 ms after its
//! ioctl`, `resched: run 3/10`, `spawned worker saw 7`.
//!
//! # Which queue (exercise 9)
//!
//! - A 50 MB DMA buffer taking several hundred ms: `system_long()`, the queue meant for items
//!   that may run long, so they do not hold up short items or flushes of `system()`.
//! - A heartbeat every 10 s that must go on across suspend/resume: `system_power_efficient()`,
//!   which is not freezable (unlike `system_freezable()`) and may run unbound so a periodic tick
//!   does not wake an idle CPU.
//! - A latency-sensitive notification after a high-priority interrupt: `system_highpri()`,
//!   whose workers run at high priority (nice -20).
//! - A long-running compression task that must not steal CPU from latency-sensitive work:
//!   `system_unbound()` (in 7.2 `system_dfl_wq`), whose workers are not concurrency-managed per
//!   CPU and can be placed by the scheduler on any idle CPU.
//!
//! 7.2 deprecates `system_wq` and `system_unbound_wq` (what `system()` and `system_unbound()`
//! return) in favour of `system_percpu_wq` and `system_dfl_wq`, which its Rust API does not wrap
//! yet; [`system_percpu`] does. The module follows the answers above: `kick` and `delayed` are
//! short prints on the per-CPU default queue, `quick` is latency-sensitive on
//! `system_highpri()`, `slow` sleeps on `system_long()`, the periodic `resched` is a heartbeat on
//! `system_power_efficient()`. Spawned closures go to a private queue so that unloading can drain
//! them: they have no handle to cancel.
//!
//! # Unloading (exercise 8 and beyond)
//!
//! The lab's design (an `AtomicBool` stopping flag) leaves gaps: a pending item would run after
//! the module's code is gone, and a closure from `try_spawn` cannot be stopped at all. Here:
//! - An open file pins the module: 7.3's misc core names the module as the owner of its
//!   `file_operations`; on 7.2, which leaves `owner` unset, `open` switches the file to a copy of
//!   the table that does (`kcompat::OwnerFops`). `rmmod` is refused while a file is open, so no
//!   ioctl can enqueue during unload.
//! - Unloading sets `stopping`, flushes the self-rescheduling item until its chain ends (it
//!   prints exactly one final message), disables every work item with `disable_work_sync` /
//!   `disable_delayed_work_sync` (waiting for a running one, e.g. `slow` mid-sleep) and gives
//!   back the `Arc` a cancelled submission held, then drains the private queue. Only then are
//!   the misc device and the last `Arc` dropped: `device state freed` is the proof.

use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicBool,
        AtomicU32,
        AtomicU64,
        AtomicUsize,
        Ordering, //
    },
};
use kernel::{
    bindings, fmt,
    fs::File,
    ioctl::{
        _IO,
        _IOR,
        _IOW, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow,
        Mutex, //
    },
    time::{
        delay::fsleep,
        msecs_to_jiffies,
        Delta,
        Instant,
        Monotonic, //
    },
    transmute::AsBytes,
    uaccess::UserSlice,
    workqueue::{
        self,
        impl_has_delayed_work,
        impl_has_work,
        new_delayed_work,
        new_work,
        DelayedWork,
        Queue,
        Work,
        WorkItem, //
    },
};

pub mod ioctl_abi;
mod kcompat;

use ioctl_abi::{
    ItemStats,
    Stats,
    DELAY_MAX_MS,
    GET_STATS,
    KICK,
    KICK_DELAYED,
    KICK_DELAYED_MS,
    KICK_DELAY_MS,
    KICK_QUICK,
    KICK_SLOW,
    KICK_WITH_VALUE,
    RESCHED_LIMIT,
    RESCHED_MAX_PERIOD_MS,
    SLOW_SLEEP_MS,
    SPAWN,
    START_RESCHED, //
};

module! {
    type: RustWorkq,
    name: "rust_workq",
    authors: ["rust_workq developers"],
    description: "Workqueue lab: work items deferred by ioctls on /dev/mydevice",
    license: "GPL",
    params: {
        verbose: u32 {
            default: 1,
            description: "Log every submission and run (the lab's lines); 0 keeps only load/unload lines",
        },
    },
}

/// `pr_info!` for the per-submission and per-run lines, which `verbose=0` turns off (`make bench`
/// measures the modules with and without them).
macro_rules! event {
    ($($arg:tt)*) => {
        if kcompat::param_value(&module_parameters::verbose) != 0 {
            pr_info!($($arg)*)
        }
    };
}

// SAFETY: `ItemStats` and `Stats` are `repr(C)` and made only of `u64` fields, so they have no
// padding and every byte of a value is initialised.
unsafe impl AsBytes for ItemStats {}
// SAFETY: See `ItemStats`: `Stats` is `repr(C)` and made only of `ItemStats` fields.
unsafe impl AsBytes for Stats {}

/// Exercise 5's two independent items in one struct: `quick` is ID 0, `slow` is ID 1.
const QUICK: u64 = 0;
const SLOW: u64 = 1;
/// The `KICK` / `KICK_WITH_VALUE` item.
const KICK_ID: u64 = 2;
/// The `KICK_DELAYED` item (exercise 6).
const DELAYED: u64 = 3;
/// The self-rescheduling item (exercises 4 and 8).
const RESCHED: u64 = 4;

/// The per-CPU system workqueue, `system_percpu_wq`.
///
/// 7.2 marks `system_wq`, which `workqueue::system()` still returns, as deprecated (it warns once:
/// "enqueued on deprecated workqueue. Use system_{percpu|dfl}_wq instead"); its Rust API has no
/// wrapper for the replacement yet.
fn system_percpu() -> &'static Queue {
    // SAFETY: `system_percpu_wq` is a C global set up at boot and never destroyed, exactly like
    // the `system_wq` that `workqueue::system()` wraps the same way.
    unsafe { Queue::from_raw(bindings::system_percpu_wq) }
}

/// The `work_struct` inside `work`, for the C functions the Rust API does not wrap.
fn work_raw<T, const ID: u64>(work: &Work<T, ID>) -> *mut bindings::work_struct {
    // SAFETY: `work` is a reference, so the pointer is valid; `raw_get` only computes an address.
    unsafe { Work::raw_get(work) }
}

/// The `delayed_work` inside `work`.
fn dwork_raw<T, const ID: u64>(work: &DelayedWork<T, ID>) -> *mut bindings::delayed_work {
    // SAFETY: `work` is a reference, so the pointer is valid; both calls only compute addresses.
    let raw = unsafe { Work::raw_get(DelayedWork::raw_as_work(work)) };
    // SAFETY: `raw` is the `work` field of the `delayed_work` that `work` wraps.
    unsafe { kernel::container_of!(raw, bindings::delayed_work, work) }
}

/// The `work_struct` of a delayed item (its pending bit covers the timer too).
fn delayed_work_raw<T, const ID: u64>(work: &DelayedWork<T, ID>) -> *mut bindings::work_struct {
    // SAFETY: `work` is a reference, so the pointer is valid; `raw_as_work` only computes an
    // address.
    work_raw(unsafe { &*DelayedWork::raw_as_work(work) })
}

/// Whether a work item is pending (queued or its timer armed, not yet started): C's
/// `work_pending()`.
///
/// # Safety
///
/// `work` must point at an initialised `work_struct` that stays alive during the call.
unsafe fn is_pending(work: *mut bindings::work_struct) -> bool {
    // SAFETY: The caller guarantees `work` is valid. `data` is an `atomic_long_t` that the
    // workqueue core changes only atomically; a volatile read of the aligned word is what C's
    // `test_bit()` on it does.
    let data = unsafe { core::ptr::read_volatile(&raw const (*work).data.counter) };
    data & i64::from(bindings::work_flags_WORK_STRUCT_PENDING) != 0
}

/// The name and pid of the running task, for log lines.
struct TaskTag {
    comm: [u8; 16],
    pid: i32,
}

impl TaskTag {
    fn current() -> Self {
        let task = kernel::current!();
        let raw = task.as_ptr();
        // SAFETY: `raw` is the running task, valid for the whole call. `comm` is a fixed-size
        // array the kernel keeps NUL-terminated; C reads `current->comm` the same way, and a
        // concurrent rename can at worst mix two names, never go out of bounds.
        let comm = unsafe { core::ptr::addr_of!((*raw).comm).read_volatile() };
        Self {
            comm,
            pid: task.pid(),
        }
    }
}

impl fmt::Display for TaskTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self
            .comm
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.comm.len());
        let name = core::str::from_utf8(&self.comm[..len]).unwrap_or("?");
        write!(f, "{name} pid {}", self.pid)
    }
}

/// Live counters of one work item; `GET_STATS` copies them into an [`ItemStats`].
#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    queued: AtomicU64,
    dropped: AtomicU64,
    ran: AtomicU64,
    cancelled: AtomicU64,
    /// When the pending submission entered its ioctl, in ns since [`DeviceState::epoch`] plus
    /// one; 0 when none is recorded.
    submit_ns: AtomicU64,
    /// `jiffies` at the same moment.
    submit_jiffies: AtomicU64,
    last_latency_ns: AtomicU64,
    last_latency_jiffies: AtomicU64,
}

/// The current `jiffies`.
fn jiffies() -> u64 {
    // SAFETY: `jiffies` is a C global that the timer interrupt updates; a volatile read of the
    // aligned word is what C's `READ_ONCE(jiffies)` does.
    let now = unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) };
    // `c_ulong` is 64 bits on every architecture this module builds for: no truncation.
    now as u64
}

impl Counters {
    /// Records the entry time of an ioctl that is about to enqueue, unless an earlier
    /// submission of the same still-pending item already did (it is the one that will run).
    fn stamp(&self, now_ns: u64) {
        // An `Err` means an earlier stamp is still waiting for its run: keep it.
        if self
            .submit_ns
            .compare_exchange(0, now_ns + 1, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.submit_jiffies.store(jiffies(), Ordering::Relaxed);
        }
    }

    /// Records one enqueue attempt; returns whether the queue accepted it.
    fn record<T>(&self, res: Result<(), T>) -> bool {
        self.submitted.fetch_add(1, Ordering::Relaxed);
        match res {
            Ok(()) => {
                self.queued.fetch_add(1, Ordering::Relaxed);
                true
            }
            // `Err` hands back the pointer the queue did not take; dropping it here releases the
            // reference this submission would otherwise have leaked.
            Err(_) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Called first thing in a work function; returns the ns since the stamped ioctl, if any.
    fn started(&self, now_ns: u64) -> Option<u64> {
        self.ran.fetch_add(1, Ordering::Relaxed);
        let stamp = self.submit_ns.swap(0, Ordering::Relaxed);
        let latency = now_ns.checked_sub(stamp.checked_sub(1)?)?;
        let ticks = jiffies().wrapping_sub(self.submit_jiffies.load(Ordering::Relaxed));
        self.last_latency_ns.store(latency, Ordering::Relaxed);
        self.last_latency_jiffies.store(ticks, Ordering::Relaxed);
        Some(latency)
    }

    fn snapshot(&self) -> ItemStats {
        ItemStats {
            submitted: self.submitted.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            ran: self.ran.load(Ordering::Relaxed),
            cancelled: self.cancelled.load(Ordering::Relaxed),
            last_latency_ns: self.last_latency_ns.load(Ordering::Relaxed),
            last_latency_jiffies: self.last_latency_jiffies.load(Ordering::Relaxed),
        }
    }
}

/// The counters of every work item, in [`Stats`] field order.
#[derive(Default)]
struct AllCounters {
    kick: Counters,
    quick: Counters,
    slow: Counters,
    delayed: Counters,
    resched: Counters,
    spawn: Counters,
}

/// A private workqueue, drained and destroyed when dropped.
///
/// # Invariants
///
/// `self.0` points to a live workqueue created by `alloc_workqueue` and owned by this value.
struct OwnedQueue(NonNull<bindings::workqueue_struct>);

// SAFETY: A workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: Queueing and draining are thread-safe operations of the workqueue core.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    fn new(name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string without `%` that lives forever (it is the
        // format string). `WQ_PERCPU` states the per-CPU placement the core otherwise warns about.
        let raw = unsafe {
            bindings::alloc_workqueue_noprof(name.as_char_ptr(), bindings::wq_flags_WQ_PERCPU, 0)
        };
        // INVARIANT: A non-NULL result is a new workqueue that only this value knows of.
        NonNull::new(raw).map(Self).ok_or(ENOMEM)
    }

    /// Waits until the queue is empty, including items that running items queue.
    fn drain(&self) {
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

/// The state of the one device, shared by every open file and every work item.
#[pin_data(PinnedDrop)]
struct DeviceState {
    /// The value `KICK_WITH_VALUE` hands to the `kick` item (exercise 3); taken when it runs.
    #[pin]
    value: Mutex<Option<u32>>,
    #[pin]
    quick: Work<DeviceState, QUICK>,
    #[pin]
    slow: Work<DeviceState, SLOW>,
    #[pin]
    kick: Work<DeviceState, KICK_ID>,
    #[pin]
    delayed: DelayedWork<DeviceState, DELAYED>,
    #[pin]
    resched: DelayedWork<DeviceState, RESCHED>,
    /// Whether a self-rescheduling chain is under way (`START_RESCHED` to its last run).
    resched_active: AtomicBool,
    /// Runs of the current chain, checked against [`RESCHED_LIMIT`] without a lock (exercise 4).
    resched_runs: AtomicUsize,
    resched_period_ms: AtomicU32,
    /// Set when the module unloads; the self-rescheduling item stops at it (exercise 8).
    stopping: AtomicBool,
    spawn_queue: OwnedQueue,
    epoch: Instant<Monotonic>,
    stats: AllCounters,
}

impl_has_work! {
    impl HasWork<Self, QUICK> for DeviceState { self.quick }
    impl HasWork<Self, SLOW> for DeviceState { self.slow }
    impl HasWork<Self, KICK_ID> for DeviceState { self.kick }
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self, DELAYED> for DeviceState { self.delayed }
    impl HasDelayedWork<Self, RESCHED> for DeviceState { self.resched }
}

impl DeviceState {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(DeviceState {
                value <- new_mutex!(None, "DeviceState::value"),
                quick <- new_work!("DeviceState::quick"),
                slow <- new_work!("DeviceState::slow"),
                kick <- new_work!("DeviceState::kick"),
                delayed <- new_delayed_work!("DeviceState::delayed"),
                resched <- new_delayed_work!("DeviceState::resched"),
                resched_active: AtomicBool::new(false),
                resched_runs: AtomicUsize::new(0),
                resched_period_ms: AtomicU32::new(0),
                stopping: AtomicBool::new(false),
                spawn_queue: OwnedQueue::new(c"rust_workq_spawn")?,
                epoch: Instant::now(),
                stats: AllCounters::default(),
            }),
            GFP_KERNEL,
        )
    }

    /// Nanoseconds since the state was created.
    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(0)
    }

    /// Logs and counts an enqueue attempt made by an ioctl.
    fn submitted<T>(&self, name: &str, counters: &Counters, res: Result<(), T>) -> Result<isize> {
        if counters.record(res) {
            event!("{name}: queued [from {}]\n", TaskTag::current());
        } else {
            event!("{name}: already queued [from {}]\n", TaskTag::current());
        }
        Ok(0)
    }

    /// Submits one of the struct items from an ioctl: stamps the time, enqueues with `enqueue`
    /// unless the item is still pending, then logs and counts the outcome.
    ///
    /// A pending item takes the submission as its own without the `Arc` being cloned and dropped
    /// again: that is what a failed enqueue would say, minus two atomic operations (`make bench`
    /// measured them). The bit is read before the enqueue, so it can only be stale in the safe
    /// direction: if it says pending, the work function has not started (the workqueue clears
    /// the bit before calling it), so the coming run still sees what this ioctl stored.
    fn submit(
        me: ArcBorrow<'_, Self>,
        name: &str,
        counters: &Counters,
        work: *mut bindings::work_struct,
        enqueue: impl FnOnce(Arc<Self>) -> Result<(), Arc<Self>>,
    ) -> Result<isize> {
        counters.stamp(me.now_ns());
        // SAFETY: `work` points at a work item of `me`, which the borrow keeps alive.
        let res = if unsafe { is_pending(work) } {
            Err(())
        } else {
            // Dropping an `Err`'s `Arc` gives back the reference the queue did not take.
            enqueue(me.into()).map_err(drop)
        };
        me.submitted(name, counters, res)
    }

    /// `KICK` (value `None`) and `KICK_WITH_VALUE`: exercises 1 to 3.
    fn kick(me: ArcBorrow<'_, Self>, value: Option<u32>) -> Result<isize> {
        if value.is_some() {
            // The guard is a temporary: the lock is released before the enqueue.
            *me.value.lock() = value;
        }
        Self::submit(me, "kick", &me.stats.kick, work_raw(&me.kick), |a| {
            system_percpu().enqueue::<Arc<Self>, KICK_ID>(a)
        })
    }

    /// `KICK_QUICK`: exercise 5, latency-sensitive, so on the high-priority queue.
    fn kick_quick(me: ArcBorrow<'_, Self>) -> Result<isize> {
        Self::submit(me, "quick", &me.stats.quick, work_raw(&me.quick), |a| {
            workqueue::system_highpri().enqueue::<Arc<Self>, QUICK>(a)
        })
    }

    /// `KICK_SLOW`: exercise 5, sleeps, so on the queue for long items.
    fn kick_slow(me: ArcBorrow<'_, Self>) -> Result<isize> {
        Self::submit(me, "slow", &me.stats.slow, work_raw(&me.slow), |a| {
            workqueue::system_long().enqueue::<Arc<Self>, SLOW>(a)
        })
    }

    /// `KICK_DELAYED` (`ms` is `None`): exercise 6, 2 s; a second call while it is pending is
    /// "already queued". `KICK_DELAYED_MS`: the same item after `ms` milliseconds.
    fn kick_delayed(me: ArcBorrow<'_, Self>, ms: Option<u32>) -> Result<isize> {
        let delay = match ms {
            // One jiffy more than the conversion: the current jiffy is partly over already, so
            // 500 jiffies from now can be up to a jiffy short of 2 s. With 501 it is never early.
            None => msecs_to_jiffies(KICK_DELAY_MS) + 1,
            // The plain conversion, as a C driver would write it: `make bench` measures it.
            Some(ms) if ms <= DELAY_MAX_MS => msecs_to_jiffies(ms),
            Some(_) => return Err(EINVAL),
        };
        let work = delayed_work_raw(&me.delayed);
        Self::submit(me, "delayed", &me.stats.delayed, work, |a| {
            system_percpu().enqueue_delayed::<Arc<Self>, DELAYED>(a, delay)
        })
    }

    /// `START_RESCHED`: exercise 4, a chain of [`RESCHED_LIMIT`] runs `period_ms` apart.
    fn start_resched(me: ArcBorrow<'_, Self>, period_ms: u32) -> Result<isize> {
        if period_ms > RESCHED_MAX_PERIOD_MS {
            return Err(EINVAL);
        }
        let counters = &me.stats.resched;
        if me
            .resched_active
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // A chain is under way: this start is dropped like a coalesced submission.
            return me.submitted("resched", counters, Err(()));
        }
        me.resched_runs.store(0, Ordering::Relaxed);
        me.resched_period_ms.store(period_ms, Ordering::Relaxed);
        let res = workqueue::system_power_efficient().enqueue::<Arc<Self>, RESCHED>(me.into());
        if res.is_err() {
            me.resched_active.store(false, Ordering::Release);
        }
        me.submitted("resched", counters, res)
    }

    /// `SPAWN`: exercise 7, a closure with no struct of its own.
    fn spawn(me: ArcBorrow<'_, Self>, value: u32) -> Result<isize> {
        let state: Arc<Self> = me.into();
        let res = me.spawn_queue.try_spawn(GFP_KERNEL, move || {
            state.stats.spawn.started(0);
            event!("spawned worker saw {value} [on {}]\n", TaskTag::current());
        });
        if me.stats.spawn.record(res) {
            Ok(0)
        } else {
            Err(ENOMEM)
        }
    }

    fn get_stats(&self, arg: UserPtr) -> Result<isize> {
        let s = &self.stats;
        let stats = Stats {
            kick: s.kick.snapshot(),
            quick: s.quick.snapshot(),
            slow: s.slow.snapshot(),
            delayed: s.delayed.snapshot(),
            resched: s.resched.snapshot(),
            spawn: s.spawn.snapshot(),
        };
        UserSlice::new(arg, size_of::<Stats>())
            .writer()
            .write(&stats)?;
        Ok(0)
    }

    /// Ends a self-rescheduling chain for unloading; the chain prints exactly one final line.
    fn stop_resched(&self) {
        let dwork = dwork_raw(&self.resched);
        // A run that read `stopping` just before it was set may re-arm the item once more, so
        // flush until the chain says it has ended; two flushes always suffice.
        for _ in 0..3 {
            if !self.resched_active.load(Ordering::Acquire) {
                return;
            }
            // SAFETY: `dwork` is an initialised `delayed_work` that outlives the call; we are in
            // process context and hold no lock the item takes.
            // The result (whether there was anything to flush) is not needed: the flag says it.
            let _ = unsafe { bindings::flush_delayed_work(dwork) };
        }
        pr_warn!("resched: chain still active after flushing\n");
    }

    /// Gives back the reference a pending submission held, after its item was disabled.
    fn reclaim(&self, was_pending: bool, counters: &Counters) -> u64 {
        if !was_pending {
            return 0;
        }
        // SAFETY: A pending item of `DeviceState` owns exactly one reference, made by
        // `Arc::into_raw` on an `Arc` pointing at `self` when it was queued, and the work
        // function that would have taken it back will never run now.
        drop(unsafe { Arc::from_raw(core::ptr::from_ref(self)) });
        counters.cancelled.fetch_add(1, Ordering::Relaxed);
        1
    }

    /// Disables a work item for good, waiting for a running instance, and reclaims its `Arc`.
    fn disable_work<const ID: u64>(&self, work: &Work<Self, ID>, counters: &Counters) -> u64 {
        let raw = work_raw(work);
        // SAFETY: `raw` is an initialised `work_struct` that outlives the call; we are in process
        // context and hold no lock the item takes.
        let was_pending = unsafe { bindings::disable_work_sync(raw) };
        self.reclaim(was_pending, counters)
    }

    /// [`Self::disable_work`] for a delayed item: also stops its timer.
    fn disable_delayed<const ID: u64>(
        &self,
        work: &DelayedWork<Self, ID>,
        counters: &Counters,
    ) -> u64 {
        let dwork = dwork_raw(work);
        // SAFETY: `dwork` is an initialised `delayed_work` that outlives the call; we are in
        // process context and hold no lock the item takes.
        let was_pending = unsafe { bindings::disable_delayed_work_sync(dwork) };
        self.reclaim(was_pending, counters)
    }

    /// Stops every work item for unloading; returns how many pending submissions it cancelled.
    fn shut_down(&self) -> u64 {
        self.stopping.store(true, Ordering::Release);
        self.stop_resched();
        let s = &self.stats;
        let cancelled = self.disable_work(&self.kick, &s.kick)
            + self.disable_work(&self.quick, &s.quick)
            + self.disable_work(&self.slow, &s.slow)
            + self.disable_delayed(&self.delayed, &s.delayed)
            + self.disable_delayed(&self.resched, &s.resched);
        self.spawn_queue.drain();
        cancelled
    }
}

#[pinned_drop]
impl PinnedDrop for DeviceState {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("device state freed\n");
    }
}

impl WorkItem<KICK_ID> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.kick.started(this.now_ns());
        // The guard is a temporary: the lock is released before printing.
        match this.value.lock().take() {
            Some(value) => event!("worker received: {value} [on {}]\n", TaskTag::current()),
            None => event!("worker ran [on {}]\n", TaskTag::current()),
        }
    }
}

impl WorkItem<QUICK> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.quick.started(this.now_ns());
        event!("quick [on {}]\n", TaskTag::current());
    }
}

impl WorkItem<SLOW> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.slow.started(this.now_ns());
        let on = TaskTag::current();
        event!("slow: sleeping {SLOW_SLEEP_MS} ms [on {on}]\n");
        fsleep(Delta::from_millis(SLOW_SLEEP_MS.into()));
        event!("slow [on {on}]\n");
    }
}

impl WorkItem<DELAYED> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        let on = TaskTag::current();
        match this.stats.delayed.started(this.now_ns()) {
            Some(ns) => event!(
                "delayed worker ran {} ms after its ioctl [on {on}]\n",
                ns / 1_000_000
            ),
            None => event!("delayed worker ran [on {on}]\n"),
        }
    }
}

impl WorkItem<RESCHED> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.resched.started(0);
        let on = TaskTag::current();
        if this.stopping.load(Ordering::Acquire) {
            event!("resched: stopping flag set, final run, not rescheduling [on {on}]\n");
            this.resched_active.store(false, Ordering::Release);
            return;
        }
        let run = this.resched_runs.fetch_add(1, Ordering::Relaxed) + 1;
        event!("resched: run {run}/{RESCHED_LIMIT} [on {on}]\n");
        if run >= RESCHED_LIMIT {
            event!("resched: limit of {RESCHED_LIMIT} runs reached, not rescheduling\n");
            this.resched_active.store(false, Ordering::Release);
            return;
        }
        let delay = msecs_to_jiffies(this.resched_period_ms.load(Ordering::Relaxed));
        let res = workqueue::system_power_efficient()
            .enqueue_delayed::<Arc<Self>, RESCHED>(this.clone(), delay);
        // The item is running, so it is not pending: only unloading (disabled) refuses it.
        if !this.stats.resched.record(res) {
            this.resched_active.store(false, Ordering::Release);
        }
    }
}

#[vtable]
impl MiscDevice for DeviceState {
    type Ptr = Arc<DeviceState>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Self>> {
        // SAFETY: A registration of `DeviceState` is only ever created as the `miscdev` field of
        // the pinned `RustWorkq` (see `init`), and `misc_open` holds `misc_mtx` during `open`,
        // which `misc_deregister` in the module's drop also takes: the module struct is alive.
        let module = unsafe {
            &*kernel::container_of!(core::ptr::from_ref(misc).cast_mut(), RustWorkq, miscdev)
        };
        module.fops.install(file)?;
        Ok(module.state.clone())
    }

    fn ioctl(me: ArcBorrow<'_, Self>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let arg = UserPtr::from_addr(arg);
        match cmd {
            KICK => Self::kick(me, None),
            KICK_WITH_VALUE => Self::kick(me, Some(read_u32(arg)?)),
            KICK_QUICK => Self::kick_quick(me),
            KICK_SLOW => Self::kick_slow(me),
            KICK_DELAYED => Self::kick_delayed(me, None),
            KICK_DELAYED_MS => Self::kick_delayed(me, Some(read_u32(arg)?)),
            START_RESCHED => Self::start_resched(me, read_u32(arg)?),
            SPAWN => Self::spawn(me, read_u32(arg)?),
            GET_STATS => me.get_stats(arg),
            _ => Err(ENOTTY),
        }
    }
}

/// Reads the `u32` argument of an `_IOW(.., u32)` command.
fn read_u32(arg: UserPtr) -> Result<u32> {
    UserSlice::new(arg, size_of::<u32>()).reader().read::<u32>()
}

#[pin_data(PinnedDrop)]
struct RustWorkq {
    #[pin]
    miscdev: MiscDeviceRegistration<DeviceState>,
    state: Arc<DeviceState>,
    fops: kcompat::OwnerFops<DeviceState>,
}

impl kernel::InPlaceModule for RustWorkq {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let options = MiscDeviceOptions { name: c"mydevice" };
        try_pin_init!(Self {
            state: DeviceState::new()?,
            fops: kcompat::OwnerFops::new(options, module),
            miscdev <- MiscDeviceRegistration::register(options),
        })
        .pin_chain(|_| {
            pr_info!("loaded: /dev/mydevice ready\n");
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for RustWorkq {
    fn drop(self: Pin<&mut Self>) {
        // No file is open (each pins the module), so no ioctl can enqueue from here on.
        pr_info!("unloading: stopping flag set\n");
        let cancelled = self.state.shut_down();
        pr_info!("unloading: cancelled {cancelled} pending submission(s), work drained\n");
    }
}
