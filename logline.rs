// SPDX-License-Identifier: GPL-2.0

//! The module's per-event log lines (`event!` in rust_workq.rs), as cheap as the C twin's.
//!
//! `pr_info!` hands printk the format `"%s: %pA"`, and printk formats its arguments twice: once
//! to size the record and once into it (`vprintk_store`). With `%pA` each pass runs `core::fmt`
//! over the whole line, the `[on <comm> pid <pid>]` tag included. Timed in the guest under TCG
//! (`ktime_get` around each line, the minimum over about 229 000 lines of `make bench`), that
//! cost 3.2 µs a line against 2.3 µs for the C twin's `pr_info()`. Under TCG every instruction
//! counts, and C's `pr_info()` gets its module prefix and constant text into the format at
//! compile time, so printk only copies them. `event!` does the same:
//!
//! - a message without arguments goes into a printk format built at compile time
//!   ([`Format::tagged`]: the prefix, the message, the tag's `%s` and `%d`), checked there to
//!   hold no directive but those;
//! - a message with arguments is formatted once by `core::fmt`, into a buffer on the stack
//!   (`kernel::str::Formatter`), and printed with `%.*s` ([`event`]);
//! - the submission lines of exercise 2 pass the item's name to printk ([`submission`]), as C does;
//! - the tag is always printk's `%s` and `%d` of the task's name and pid, as in C.
//!
//! BENCH.md has the rows before and after. The load and unload lines, printed once, stay plain
//! `pr_info!`.

use crate::ioctl_abi::{
    Item,
    ITEM_C_NAMES, //
};
use core::sync::atomic::{
    AtomicBool,
    Ordering, //
};
use kernel::{
    bindings,
    ffi::{
        c_char,
        c_int, //
    },
    fmt,
    prelude::*,
    str::Formatter, //
};

/// Every line starts with the module's name, as `pr_info!` starts it: `module!` names the module
/// `rust_workq` (checked below), and the formats are built from this literal at compile time.
macro_rules! prefix {
    () => {
        "\x016rust_workq: "
    };
}
pub(crate) use prefix;

const _: () = assert!(same_bytes(crate::__LOG_PREFIX, b"rust_workq\0"));

// printk's formats for the lines that are not built at compile time: a message formatted at run
// time (`%.*s`) without or with a tag, and exercise 2's submission lines (`%s`: the item's name).
const UNTAGGED: &str = concat!(prefix!(), "%.*s\n\0");
const FROM: &str = concat!(prefix!(), "%.*s [from %s pid %d]\n\0");
const ON: &str = concat!(prefix!(), "%.*s [on %s pid %d]\n\0");
const QUEUED: &str = concat!(prefix!(), "%s: queued [from %s pid %d]\n\0");
const ALREADY_QUEUED: &str = concat!(prefix!(), "%s: already queued [from %s pid %d]\n\0");

/// Whether the per-event lines are on: the module's `verbose` parameter, read once at load. Rust
/// module parameters are read-only (no sysfs file), so the copy cannot go stale, and a line that
/// is off costs one load instead of a call into the parameter's `SetOnce`.
static VERBOSE: AtomicBool = AtomicBool::new(true);

/// Sets whether lines are printed (`RustWorkq::init`).
pub(crate) fn set_verbose(on: bool) {
    VERBOSE.store(on, Ordering::Relaxed);
}

/// Which task a line is about, named at its end: the caller of an ioctl (`[from <comm> pid
/// <pid>]`) or the worker running an item (`[on <comm> pid <pid>]`).
#[derive(Clone, Copy)]
pub(crate) enum Tag {
    // The module's own ioctl lines go through `submission`; `event!(from: ...)` is for a
    // student's.
    #[allow(dead_code)]
    From,
    On,
}

/// A printk format for a tagged line without arguments: `KERN_INFO`, the prefix, the message and
/// the tag, whose `%s` and `%d` take the task's name and pid.
///
/// # Invariants
///
/// The bytes are a NUL-terminated string whose only printk directives are one `%s` followed by
/// one `%d`.
#[derive(Clone, Copy)]
pub(crate) struct Format(&'static [u8]);

impl Format {
    /// `text` as a format, if it ends with `" %s pid %d]\n\0"` and holds no other `%` and no other
    /// NUL. Meant for a `const`: the macro builds `text` with `concat!`, and a message that holds
    /// a `%` or a `{` (an argument of `core::fmt`) gives `None` and goes through [`event`].
    pub(crate) const fn tagged(text: &'static str) -> Option<Self> {
        const END: &[u8] = b" %s pid %d]\n\0";
        let bytes = text.as_bytes();
        if bytes.len() < END.len() {
            return None;
        }
        let body = bytes.len() - END.len();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if i >= body {
                if b != END[i - body] {
                    return None;
                }
            } else if b == b'%' || b == b'{' || b == b'}' || b == 0 {
                return None;
            }
            i += 1;
        }
        // INVARIANT: Checked above: NUL-terminated, and the only `%` are those of `END`.
        Some(Self(bytes))
    }

    /// Prints the line with the running task's tag, unless `verbose=0`.
    pub(crate) fn print(self) {
        if !VERBOSE.load(Ordering::Relaxed) {
            return;
        }
        let task = Task::current();
        // `_printk` returns the length printed; like `pr_info!`, there is nothing to do with it.
        #[cfg(CONFIG_PRINTK)]
        // SAFETY: By the type invariant, `self.0` is a NUL-terminated format whose only
        // directives are `%s` and `%d`, which take `comm` (NUL-terminated and valid during this
        // call, by `Task`'s invariant) and the `int` pid. printk copies the name into its record
        // before returning.
        let _ = unsafe { bindings::_printk(self.0.as_ptr(), task.comm, task.pid) };
    }
}

/// Prints a message with arguments (or a `%` or `{` in its text) at `KERN_INFO`, with the
/// module's prefix, the task's tag if `tag` is `Some`, and a newline, unless `verbose=0`.
pub(crate) fn event(tag: Option<Tag>, message: fmt::Arguments<'_>) {
    if !VERBOSE.load(Ordering::Relaxed) {
        return;
    }
    let mut buf;
    let text = match message.as_str() {
        Some(text) => text.as_bytes(),
        None => {
            buf = [0u8; LINE_MAX];
            let mut line = Formatter::new(&mut buf);
            // A message longer than the buffer is printed cut short: `write_fmt` says so with
            // `Err`, and the part that fitted stays.
            let _ = fmt::Write::write_fmt(&mut line, message);
            let written = line.bytes_written().min(LINE_MAX);
            &buf[..written]
        }
    };
    // `%.*s` prints `len` bytes of `text`, which has no NUL of its own (printk needs no UTF-8);
    // a message too long for an `int` is printed cut short.
    let len = c_int::try_from(text.len()).unwrap_or(c_int::MAX);
    let text = text.as_ptr().cast::<c_char>();
    let format = match tag {
        None => {
            // See `Format::print`: the length printed is of no use.
            #[cfg(CONFIG_PRINTK)]
            // SAFETY: `UNTAGGED` is a NUL-terminated literal whose only directive, `%.*s`, takes
            // `len` (an `int`) and `text`, of which printk reads at most `len` bytes; `text` is
            // borrowed for the whole call, and printk copies it into its record before returning.
            let _ = unsafe { bindings::_printk(UNTAGGED.as_ptr(), len, text) };
            return;
        }
        Some(Tag::From) => FROM,
        Some(Tag::On) => ON,
    };
    let task = Task::current();
    // See `Format::print`: the length printed is of no use.
    #[cfg(CONFIG_PRINTK)]
    // SAFETY: `format` is `FROM` or `ON`, NUL-terminated literals whose directives are `%.*s`,
    // `%s` and `%d`: they take `len` (an `int`) and `text` (of which printk reads at most
    // `len` bytes), `comm` (NUL-terminated and valid during this call, by `Task`'s invariant)
    // and the `int` pid. printk copies both strings into its record before returning.
    let _ = unsafe { bindings::_printk(format.as_ptr(), len, text, task.comm, task.pid) };
}

/// Prints exercise 2's `<item>: queued` or `<item>: already queued` with the caller's tag,
/// unless `verbose=0`. The item's name (`ITEM_C_NAMES`) is printk's `%s`, as in the C twin's line.
#[inline]
pub(crate) fn submission(item: Item, queued: bool) {
    if !VERBOSE.load(Ordering::Relaxed) {
        return;
    }
    let name = ITEM_C_NAMES[item as usize];
    let format = if queued { QUEUED } else { ALREADY_QUEUED };
    let task = Task::current();
    // See `Format::print`: the length printed is of no use.
    #[cfg(CONFIG_PRINTK)]
    // SAFETY: `format` is `QUEUED` or `ALREADY_QUEUED`, NUL-terminated literals whose directives
    // `%s`, `%s` and `%d` take the NUL-terminated `name`, `comm` (NUL-terminated and valid during
    // this call, by `Task`'s invariant) and the `int` pid. printk copies both strings into its
    // record before returning.
    let _ = unsafe { bindings::_printk(format.as_ptr(), name.as_char_ptr(), task.comm, task.pid) };
}

/// The running task's name and pid, for a line's tag.
///
/// # Invariants
///
/// `comm` points to the `comm` of the task that created this value, which is running this code:
/// it stays valid while the value is used (only inside the call that made it), and the kernel
/// keeps it NUL-terminated (`__set_task_comm` zero-pads the array, so its last byte is always 0).
struct Task {
    comm: *const c_char,
    pid: c_int,
}

impl Task {
    #[inline]
    fn current() -> Self {
        // SAFETY: `get_current` has no precondition; it returns the running task, which is alive
        // for as long as it runs this code.
        let raw = unsafe { bindings::get_current() };
        // INVARIANT: `raw` is the running task; see the type invariant for `comm`. printk reads
        // the name in place with `%s`, as C's `%s` of `current->comm` does: a concurrent rename can
        // at worst mix two names, never lose the terminating NUL.
        Self {
            // SAFETY: `raw` is valid (above); this takes the field's address, reads nothing.
            comm: unsafe { core::ptr::addr_of!((*raw).comm) }.cast(),
            // SAFETY: `raw` is valid (above), and a task's pid never changes after it is set up
            // (as `Task::pid` of the kernel crate says), so reading it is not a data race.
            pid: unsafe { (*raw).pid },
        }
    }
}

/// The bytes a message with arguments is formatted into: the module's longest is under 80.
const LINE_MAX: usize = 128;

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
