// SPDX-License-Identifier: GPL-2.0

//! Workqueue lab (06): work items that ioctls on the misc device `/dev/mydevice` defer.
//!
//! One [`DeviceState`] per device, owned by the module in an `Arc` and cloned into every open
//! file, embeds every work item of the lab's ten exercises: `Work<DeviceState, ID>` fields for
//! `KICK`, `KICK_QUICK` and `KICK_SLOW`, and `DelayedWork` fields for `KICK_DELAYED` and the
//! self-rescheduling item; `SPAWN` uses `Queue::try_spawn`.
//!
//! # ioctl ABI (magic `'J'`, defined once in `ioctl_abi.rs`; a host test checks this table)
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
//! Every line is a `pr_info!` and starts with `rust_workq: `. The ioctl side ends its lines
//! with `[from pid <pid>]`, a work item with `[on kworker pid <pid>]`, so the log shows that work
//! runs on a kworker and not in the caller (`cat /proc/<pid>/comm` names it): `kick: queued`,
//! `kick: already queued`, `worker ran`, `worker received: 42`, `quick`, `slow`, `delayed worker
//! ran 2004 ms after its ioctl`, `resched: run 3/10`, `spawned worker saw 7`. With `verbose=0`
//! only the load and unload lines are printed.
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
//! return) in favour of `system_percpu_wq` and `system_dfl_wq`, which the Rust API of 7.2 and 7.3
//! does not wrap yet; `wq::system_percpu()` does. The module follows the answers above: `kick`
//! and `delayed` are short prints on the per-CPU default queue, `quick` is latency-sensitive on
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
//!   prints exactly one final message), disables every work item (`wq::disable_work_sync`,
//!   waiting for a running one, e.g. `slow` mid-sleep, and handing back the `Arc` a pending
//!   submission held), then drains the private queue. Only then are the misc device and the
//!   last `Arc` dropped: `device state freed` is the proof.
//!
//! # Layout
//!
//! This file reads exercise by exercise: the state, the ioctl dispatch, one method and one work
//! function per exercise, then unloading. The plumbing lives beside it: `wq.rs` (what the
//! workqueue API of 7.2/7.3 lacks), `counters.rs` (`GET_STATS`), `kcompat.rs` (what differs
//! between kernel series), `ioctl_abi.rs` (the ABI).

use core::sync::atomic::{
    AtomicBool,
    AtomicU32,
    AtomicUsize,
    Ordering, //
};
use kernel::{
    fmt,
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
        Delta, //
    },
    uaccess::{
        UserPtr,
        UserSlice, //
    },
    workqueue::{
        self,
        impl_has_delayed_work,
        impl_has_work,
        new_delayed_work,
        new_work,
        DelayedWork,
        Work,
        WorkItem, //
    },
};

mod counters;
pub mod ioctl_abi;
mod kcompat;
mod wq;

use counters::Counters;
use ioctl_abi::{
    Item,
    Stats,
    DELAY_MAX_MS,
    GET_STATS,
    ITEM_NAMES,
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
use wq::{
    disable_delayed_work_sync,
    disable_work_sync,
    flush_delayed_work,
    system_percpu,
    OwnedQueue, //
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

/// Whether the lab's per-event lines are printed: the `verbose` parameter, read once at load.
/// Rust module parameters have no sysfs file, so the copy cannot go stale.
static VERBOSE: AtomicBool = AtomicBool::new(true);

/// `pr_info!` for the lab's per-submission and per-run lines, which `verbose=0` turns off (`make
/// bench` measures the module with and without them).
macro_rules! event {
    ($($arg:tt)+) => {
        if VERBOSE.load(Ordering::Relaxed) {
            pr_info!($($arg)+);
        }
    };
}

/// The end of an ioctl's line: `[from pid <pid>]`, the process that made the call.
struct Caller;

/// The end of a work item's line: `[on kworker pid <pid>]`, the worker that runs it (`[on pid
/// <pid>]` if the workqueue core says the task is no worker), so the log shows where work runs.
struct Worker;

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[from pid {}]", current!().tgid_nr_ns(None))
    }
}

impl fmt::Display for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pid = current!().tgid_nr_ns(None);
        if wq::in_worker() {
            write!(f, "[on kworker pid {pid}]")
        } else {
            write!(f, "[on pid {pid}]")
        }
    }
}

/// Exercise 5's two independent items in one struct: `quick` is ID 0, `slow` is ID 1.
const QUICK: u64 = 0;
const SLOW: u64 = 1;
/// The `KICK` / `KICK_WITH_VALUE` item (exercises 1 to 3).
const KICK_ID: u64 = 2;
/// The `KICK_DELAYED` item (exercise 6).
const DELAYED: u64 = 3;
/// The self-rescheduling item (exercises 4 and 8).
const RESCHED: u64 = 4;

/// The state of the one device, shared by every open file and every work item.
#[pin_data(PinnedDrop)]
struct DeviceState {
    #[pin]
    kick: Work<DeviceState, KICK_ID>,
    /// The value `KICK_WITH_VALUE` hands to the `kick` item (exercise 3); taken when it runs.
    #[pin]
    value: Mutex<Option<u32>>,
    #[pin]
    resched: DelayedWork<DeviceState, RESCHED>,
    chain: Chain,
    #[pin]
    quick: Work<DeviceState, QUICK>,
    #[pin]
    slow: Work<DeviceState, SLOW>,
    #[pin]
    delayed: DelayedWork<DeviceState, DELAYED>,
    /// Where `SPAWN`'s closures run, so that unloading can wait for them (exercise 7).
    spawn_queue: OwnedQueue,
    /// Set when the module unloads; the self-rescheduling item stops at it (exercise 8).
    stopping: AtomicBool,
    stats: Counters,
}

impl_has_work! {
    impl HasWork<Self, KICK_ID> for DeviceState { self.kick }
    impl HasWork<Self, QUICK> for DeviceState { self.quick }
    impl HasWork<Self, SLOW> for DeviceState { self.slow }
}

impl_has_delayed_work! {
    impl HasDelayedWork<Self, RESCHED> for DeviceState { self.resched }
    impl HasDelayedWork<Self, DELAYED> for DeviceState { self.delayed }
}

impl DeviceState {
    fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(DeviceState {
                kick <- new_work!("DeviceState::kick"),
                value <- new_mutex!(None, "DeviceState::value"),
                resched <- new_delayed_work!("DeviceState::resched"),
                chain: Chain::new(),
                quick <- new_work!("DeviceState::quick"),
                slow <- new_work!("DeviceState::slow"),
                delayed <- new_delayed_work!("DeviceState::delayed"),
                spawn_queue: OwnedQueue::new(c"rust_workq_spawn")?,
                stopping: AtomicBool::new(false),
                stats: Counters::new(),
            }),
            GFP_KERNEL,
        )
    }
}

#[vtable]
impl MiscDevice for DeviceState {
    type Ptr = Arc<DeviceState>;

    fn open(file: &File, misc: &MiscDeviceRegistration<Self>) -> Result<Arc<Self>> {
        let misc = core::ptr::from_ref(misc).cast_mut();
        // SAFETY: By the invariant of `RustWorkq`, every registration of `DeviceState` is the
        // `miscdev` field of the pinned `RustWorkq`, so `container_of!` yields that struct. It is
        // alive: `misc_open` holds `misc_mtx` during `open`, and the module's drop takes the same
        // mutex in `misc_deregister` before the struct goes away.
        let module = unsafe { &*kernel::container_of!(misc, RustWorkq, miscdev) };
        // SAFETY: `file` is being opened, and `fops` is a field of the module struct, which stays
        // in place until the module's exit.
        unsafe { module.fops.install(file) }?;
        // By the invariant of `RustWorkq`, `state` and `fops` are initialised even if `init` has
        // not returned yet.
        Ok(module.state.clone())
    }

    /// One small handler per command.
    fn ioctl(me: ArcBorrow<'_, Self>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        let arg = UserPtr::from_addr(arg);
        match cmd {
            KICK => Self::kick(me, None),
            KICK_WITH_VALUE => Self::kick(me, Some(read_u32(arg)?)),
            START_RESCHED => Self::start_resched(me, read_u32(arg)?),
            KICK_QUICK => Self::kick_quick(me),
            KICK_SLOW => Self::kick_slow(me),
            KICK_DELAYED => Self::kick_delayed(me, None),
            KICK_DELAYED_MS => Self::kick_delayed(me, Some(read_u32(arg)?)),
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

impl DeviceState {
    /// Counts an enqueue attempt made by an ioctl and logs the lab's "queued" or "already queued"
    /// with the item's name.
    fn log_submission<T>(&self, item: Item, res: Result<(), T>) -> Result<isize> {
        let name = ITEM_NAMES[item as usize];
        if self.stats.record(item, res) {
            event!("{name}: queued {Caller}\n");
        } else {
            event!("{name}: already queued {Caller}\n");
        }
        Ok(0)
    }

    /// Exercises 1 to 3: `KICK` (value `None`) and `KICK_WITH_VALUE` queue the `kick` item. An
    /// item that is still pending is not queued twice: `enqueue` hands the `Arc` back ("already
    /// queued", exercise 2), and the coming run sees the latest value.
    ///
    /// A coalesced submission clones the `Arc` and drops the one handed back: `enqueue` takes
    /// ownership before it knows whether the item is pending. BENCH.md measures what that costs
    /// and what an upstream `enqueue` could do instead.
    fn kick(me: ArcBorrow<'_, Self>, value: Option<u32>) -> Result<isize> {
        if value.is_some() {
            // The guard is a temporary: the lock is released before the enqueue.
            *me.value.lock() = value;
        }

        me.stats.stamp(Item::Kick);
        let res = system_percpu().enqueue::<Arc<Self>, KICK_ID>(me.into());
        me.log_submission(Item::Kick, res)
    }
}

impl WorkItem<KICK_ID> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.started(Item::Kick);
        // The guard is a temporary of this statement: the lock is released before printing.
        let value = this.value.lock().take();
        match value {
            Some(value) => event!("worker received: {value} {Worker}\n"),
            None => event!("worker ran {Worker}\n"),
        }
    }
}

/// Exercise 4's self-rescheduling chain: whether one is under way, how many runs it made (the
/// lab's `AtomicUsize`), and its period.
///
/// Ordering: `active` hands the chain from the ioctl that starts it to the work item and back.
/// `try_start` claims it (`AcqRel`) and only then writes `runs` and `period_ms`; the enqueue that
/// follows publishes them to the run (queueing takes the pool lock, which orders them), so those
/// two are `Relaxed`. `end` releases the claim (`Release`), `is_active` observes it (`Acquire`).
struct Chain {
    active: AtomicBool,
    runs: AtomicUsize,
    period_ms: AtomicU32,
}

impl Chain {
    fn new() -> Self {
        Self {
            active: AtomicBool::new(false),
            runs: AtomicUsize::new(0),
            period_ms: AtomicU32::new(0),
        }
    }

    /// Claims the chain for a new start; false if one is under way.
    fn try_start(&self, period_ms: u32) -> bool {
        if self
            .active
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        self.runs.store(0, Ordering::Relaxed);
        self.period_ms.store(period_ms, Ordering::Relaxed);
        true
    }

    /// Counts a run; returns its number, from 1.
    fn next_run(&self) -> usize {
        self.runs.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn period_ms(&self) -> u32 {
        self.period_ms.load(Ordering::Relaxed)
    }

    fn end(&self) {
        self.active.store(false, Ordering::Release);
    }

    fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }
}

impl DeviceState {
    /// Exercise 4: `START_RESCHED` starts a chain of [`RESCHED_LIMIT`] runs `period_ms` apart. A
    /// start while a chain is under way is dropped like a coalesced submission.
    fn start_resched(me: ArcBorrow<'_, Self>, period_ms: u32) -> Result<isize> {
        if period_ms > RESCHED_MAX_PERIOD_MS {
            return Err(EINVAL);
        }
        if !me.chain.try_start(period_ms) {
            return me.log_submission(Item::Resched, Err(()));
        }
        let res = workqueue::system_power_efficient().enqueue::<Arc<Self>, RESCHED>(me.into());
        if res.is_err() {
            // Only unloading (the item disabled) refuses it; the chain never started.
            me.chain.end();
        }
        me.log_submission(Item::Resched, res)
    }
}

impl WorkItem<RESCHED> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.started(Item::Resched);
        if this.stopping.load(Ordering::Acquire) {
            event!("resched: stopping flag set, final run, not rescheduling {Worker}\n");
            this.chain.end();
            return;
        }
        let run = this.chain.next_run();
        event!("resched: run {run}/{RESCHED_LIMIT} {Worker}\n");
        if run >= RESCHED_LIMIT {
            event!("resched: limit of {RESCHED_LIMIT} runs reached, not rescheduling\n");
            this.chain.end();
            return;
        }
        let delay = msecs_to_jiffies(this.chain.period_ms());
        let res = workqueue::system_power_efficient()
            .enqueue_delayed::<Arc<Self>, RESCHED>(this.clone(), delay);
        // The item is running, so it is not pending: only unloading (disabled) refuses it.
        if !this.stats.record(Item::Resched, res) {
            this.chain.end();
        }
    }
}

impl DeviceState {
    /// Exercise 5: `KICK_QUICK` is latency-sensitive, so it goes on the high-priority queue.
    fn kick_quick(me: ArcBorrow<'_, Self>) -> Result<isize> {
        me.stats.stamp(Item::Quick);
        let res = workqueue::system_highpri().enqueue::<Arc<Self>, QUICK>(me.into());
        me.log_submission(Item::Quick, res)
    }

    /// Exercise 5: `KICK_SLOW` sleeps, so it goes on the queue for long items.
    fn kick_slow(me: ArcBorrow<'_, Self>) -> Result<isize> {
        me.stats.stamp(Item::Slow);
        let res = workqueue::system_long().enqueue::<Arc<Self>, SLOW>(me.into());
        me.log_submission(Item::Slow, res)
    }
}

impl WorkItem<QUICK> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.started(Item::Quick);
        event!("quick {Worker}\n");
    }
}

impl WorkItem<SLOW> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        this.stats.started(Item::Slow);
        event!("slow: sleeping {SLOW_SLEEP_MS} ms {Worker}\n");
        fsleep(Delta::from_millis(SLOW_SLEEP_MS.into()));
        event!("slow {Worker}\n");
    }
}

impl DeviceState {
    /// Exercise 6: `KICK_DELAYED` (`ms` is `None`) runs the `delayed` item 2 s later; a second
    /// call while it is pending is "already queued". `KICK_DELAYED_MS`: the same item after `ms`
    /// milliseconds.
    fn kick_delayed(me: ArcBorrow<'_, Self>, ms: Option<u32>) -> Result<isize> {
        let delay = match ms {
            // One jiffy more than the conversion: the current jiffy is partly over already, so
            // 500 jiffies from now can be up to a jiffy short of 2 s. With 501 it is never early.
            None => msecs_to_jiffies(KICK_DELAY_MS) + 1,
            // The plain conversion, as a C driver would write it: `make bench` measures it.
            Some(ms) if ms <= DELAY_MAX_MS => msecs_to_jiffies(ms),
            Some(_) => return Err(EINVAL),
        };
        me.stats.stamp(Item::Delayed);
        let res = system_percpu().enqueue_delayed::<Arc<Self>, DELAYED>(me.into(), delay);
        me.log_submission(Item::Delayed, res)
    }
}

impl WorkItem<DELAYED> for DeviceState {
    type Pointer = Arc<DeviceState>;

    fn run(this: Arc<DeviceState>) {
        match this.stats.started(Item::Delayed) {
            Some(ns) => event!(
                "delayed worker ran {} ms after its ioctl {Worker}\n",
                ns / 1_000_000
            ),
            None => event!("delayed worker ran {Worker}\n"),
        }
    }
}

impl DeviceState {
    /// Exercise 7: `SPAWN` runs a closure with no struct of its own (`try_spawn` allocates it).
    fn spawn(me: ArcBorrow<'_, Self>, value: u32) -> Result<isize> {
        let state: Arc<Self> = me.into();
        let res = me.spawn_queue.try_spawn(GFP_KERNEL, move || {
            state.stats.started(Item::Spawn);
            event!("spawned worker saw {value} {Worker}\n");
        });
        if me.stats.record(Item::Spawn, res) {
            Ok(0)
        } else {
            Err(ENOMEM)
        }
    }
}

impl DeviceState {
    /// `GET_STATS`: copies the counters out.
    fn get_stats(&self, arg: UserPtr) -> Result<isize> {
        UserSlice::new(arg, size_of::<Stats>())
            .writer()
            .write(&self.stats.snapshot())?;
        Ok(0)
    }
}

impl DeviceState {
    /// Exercise 8 and beyond: stops every work item for unloading; returns how many pending
    /// submissions it cancelled.
    fn shut_down(&self) -> u64 {
        self.stopping.store(true, Ordering::Release);
        self.stop_resched();

        // Every work item is disabled: a running one is waited for, a pending one never runs
        // (its reference comes back). Each exercise adds its items here.
        let mut n = 0;
        n += self.cancel(Item::Kick, disable_work_sync::<_, KICK_ID>(self));
        n += self.cancel(Item::Quick, disable_work_sync::<_, QUICK>(self));
        n += self.cancel(Item::Slow, disable_work_sync::<_, SLOW>(self));
        n += self.cancel(Item::Delayed, disable_delayed_work_sync::<_, DELAYED>(self));
        n += self.cancel(Item::Resched, disable_delayed_work_sync::<_, RESCHED>(self));
        self.spawn_queue.drain();
        n
    }

    /// Counts a submission that unloading cancelled: `held` is the reference a pending
    /// submission held, which `disable_*_sync` hands back; dropping it cancels the submission.
    fn cancel(&self, item: Item, held: Option<Arc<Self>>) -> u64 {
        match held {
            Some(reference) => {
                drop(reference);
                self.stats.cancelled(item);
                1
            }
            None => 0,
        }
    }

    /// Ends a self-rescheduling chain for unloading; the chain prints exactly one final line.
    fn stop_resched(&self) {
        // A run that read `stopping` just before it was set may re-arm the item once more, so
        // flush until the chain says it has ended; two flushes always suffice.
        for _ in 0..3 {
            if !self.chain.is_active() {
                return;
            }
            flush_delayed_work::<_, RESCHED>(self);
        }
        pr_warn!("resched: chain still active after flushing\n");
    }
}

#[pinned_drop]
impl PinnedDrop for DeviceState {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("device state freed\n");
    }
}

/// The module: the misc device and the state it serves.
///
/// # Invariants
///
/// `miscdev` is the only `MiscDeviceRegistration<DeviceState>` that exists, and it lives inside
/// this pinned struct (`DeviceState::open` relies on it to find `state`). `state` and `fops` are
/// initialised before `miscdev` is registered (the order of the fields in `init`), because
/// `open` may run as soon as the device is registered, before `init` returns; and `miscdev` is
/// declared first, so it is deregistered before the other two are dropped.
#[pin_data(PinnedDrop)]
struct RustWorkq {
    #[pin]
    miscdev: MiscDeviceRegistration<DeviceState>,
    state: Arc<DeviceState>,
    fops: kcompat::OwnerFops<DeviceState>,
}

impl kernel::InPlaceModule for RustWorkq {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        VERBOSE.store(
            kcompat::param_value(&module_parameters::verbose) != 0,
            Ordering::Relaxed,
        );
        let options = MiscDeviceOptions { name: c"mydevice" };
        // INVARIANT: The registration is created here, in place, and nowhere else, after `state`
        // and `fops` (`try_pin_init!` initialises the fields in the order written).
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
