// SPDX-License-Identifier: GPL-2.0

//! The ioctl ABI of `/dev/mydevice`: the one place where command numbers and shared types live.
//!
//! The kernel module includes this file as `mod ioctl_abi`, with `kernel::ioctl::{_IO, _IOR,
//! _IOW}` in scope; the userspace tools include it with their own `const fn` twins of those
//! encoders (`userspace/abi`). Both sides therefore compile the very same numbers.
//!
//! The table of the commands, with their encodings and the lab tool's arguments, is in the
//! module's docs (`rust_workq.rs`); a host test checks it against the numbers below.

use super::{
    _IO,
    _IOR,
    _IOW, //
};

/// The ioctl type ("magic") byte of every command.
pub const MAGIC: u32 = b'J' as u32;

/// Exercise 1: enqueue the `kick` work item, which prints "worker ran".
pub const KICK: u32 = _IO(MAGIC, 10);
/// Exercise 3: store a `u32` and enqueue `kick`, which prints "worker received: <value>".
pub const KICK_WITH_VALUE: u32 = _IOW::<u32>(MAGIC, 11);
/// Exercise 5: enqueue the `quick` work item (`Work<DeviceState, 0>`).
pub const KICK_QUICK: u32 = _IO(MAGIC, 12);
/// Exercise 5: enqueue the `slow` work item (`Work<DeviceState, 1>`), which sleeps first.
pub const KICK_SLOW: u32 = _IO(MAGIC, 13);
/// Exercise 6: enqueue the `delayed` work item with a delay of [`KICK_DELAYED_MS`].
pub const KICK_DELAYED: u32 = _IO(MAGIC, 14);
/// Exercise 4: start the self-rescheduling work; the `u32` is the period in milliseconds (0 =
/// re-enqueue at once, as in the lab). It runs [`RESCHED_LIMIT`] times, then stops.
pub const START_RESCHED: u32 = _IOW::<u32>(MAGIC, 15);
/// Exercise 7: `try_spawn` a closure that prints "spawned worker saw <value>".
pub const SPAWN: u32 = _IOW::<u32>(MAGIC, 16);
/// Read the counters of every work item into a [`Stats`].
pub const GET_STATS: u32 = _IOR::<Stats>(MAGIC, 17);
/// Enqueue the `delayed` work item after the given number of milliseconds (at most
/// [`DELAY_MAX_MS`], else `EINVAL`); `make bench` measures timer accuracy with it.
pub const KICK_DELAYED_MS: u32 = _IOW::<u32>(MAGIC, 18);

/// Every command with its name, in ABI order (for the tools' listings and the fuzzer).
pub const COMMANDS: [(&str, u32); 9] = [
    ("KICK", KICK),
    ("KICK_WITH_VALUE", KICK_WITH_VALUE),
    ("KICK_QUICK", KICK_QUICK),
    ("KICK_SLOW", KICK_SLOW),
    ("KICK_DELAYED", KICK_DELAYED),
    ("START_RESCHED", START_RESCHED),
    ("SPAWN", SPAWN),
    ("GET_STATS", GET_STATS),
    ("KICK_DELAYED_MS", KICK_DELAYED_MS),
];

/// The delay of `KICK_DELAYED`, in milliseconds.
pub const KICK_DELAY_MS: u32 = 2000;
/// The largest delay `KICK_DELAYED_MS` accepts.
pub const DELAY_MAX_MS: u32 = 10_000;
/// How long the `slow` work item sleeps before it prints "slow", in milliseconds.
pub const SLOW_SLEEP_MS: u32 = 200;
/// How many times the self-rescheduling work runs before it stops by itself.
pub const RESCHED_LIMIT: usize = 10;
/// The largest period `START_RESCHED` accepts (larger values get `EINVAL`).
pub const RESCHED_MAX_PERIOD_MS: u32 = 10_000;

/// Counters of one work item, as copied out by `GET_STATS`.
///
/// Every submission is either queued or dropped as already queued (for `SPAWN`: dropped because
/// the allocation failed): `submitted == queued + dropped`. Once the work has drained,
/// `ran + cancelled == queued`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct ItemStats {
    /// Enqueue attempts, from ioctls and from the work item itself.
    pub submitted: u64,
    /// Attempts the queue accepted.
    pub queued: u64,
    /// Attempts refused because the item was already pending (or, for `SPAWN`, out of memory).
    pub dropped: u64,
    /// Times the work function ran.
    pub ran: u64,
    /// Pending submissions cancelled at module unload.
    pub cancelled: u64,
    /// Nanoseconds from the ioctl's entry to the start of the work function, for the last run
    /// that an ioctl queued.
    pub last_latency_ns: u64,
    /// The same interval in jiffies.
    pub last_latency_jiffies: u64,
}

/// Defines everything that lists the work items, from the one list below: the [`Stats`] struct
/// (one [`ItemStats`] per item, in list order), [`Item`] (an index per item), [`ITEM_NAMES`],
/// [`ITEM_COUNT`], [`Stats::items`] and [`Stats::from_items`].
macro_rules! work_items {
    ($($(#[$doc:meta])* $name:ident: $variant:ident,)*) => {
        /// Counters of every work item, the `GET_STATS` payload.
        #[repr(C)]
        #[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
        pub struct Stats {
            $($(#[$doc])* pub $name: ItemStats,)*
        }

        /// The work items, in [`Stats`] field order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Item {
            $($(#[$doc])* $variant,)*
        }

        /// The names of the work items, in [`Stats`] field order.
        pub const ITEM_NAMES: [&str; ITEM_COUNT] = [$(stringify!($name)),*];

        impl Stats {
            /// The items in [`ITEM_NAMES`] order.
            pub fn items(&self) -> [&ItemStats; ITEM_COUNT] {
                [$(&self.$name),*]
            }

            /// Builds the payload from the items in [`ITEM_NAMES`] order.
            pub fn from_items(items: [ItemStats; ITEM_COUNT]) -> Self {
                let [$($name),*] = items;
                Self { $($name),* }
            }
        }
    };
}

/// How many work items there are.
pub const ITEM_COUNT: usize = 6;

work_items! {
    /// `KICK` and `KICK_WITH_VALUE`.
    kick: Kick,
    /// `KICK_QUICK`.
    quick: Quick,
    /// `KICK_SLOW`.
    slow: Slow,
    /// `KICK_DELAYED` and `KICK_DELAYED_MS`.
    delayed: Delayed,
    /// `START_RESCHED` and the item's own re-enqueues.
    resched: Resched,
    /// `SPAWN`.
    spawn: Spawn,
}
