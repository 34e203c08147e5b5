// SPDX-License-Identifier: GPL-2.0

//! The lab's `ioctl` tool: issues one ioctl on a device and reports the result.
//!
//! ```text
//! ioctl /dev/mydevice -t J -n 10 -d none
//! ioctl /dev/mydevice -t J -n 11 -d write -s 4 -v 42
//! ioctl /dev/mydevice -t J -n 17 -d read -s 336
//! ioctl /dev/mydevice --stats        # GET_STATS, decoded
//! ioctl --list                       # the ABI table
//! ioctl --sh-env                     # each command's tool arguments, for shell scripts
//! ```
//!
//! `--then` starts another command in the same invocation: the commands are issued in order, from
//! this one process, on one open file, with no process start-up between them (so that two
//! submissions whose overlap matters, such as `KICK_SLOW` then `KICK_QUICK`, are microseconds
//! apart on any machine). `--repeat N` issues a command N times and stops at the first failure
//! (a burst that a shell loop of separate processes could not make).
//! `--marks` writes a line to the kernel log (`/dev/kmsg`) before and after each ioctl:
//! `ioctl: issuing 0x00004a0e (1 of 2)` and `ioctl: 0x00004a0e returned after 35 us (1 of 2)`,
//! so that a test reads from the kernel's own timestamps when each call started and returned.
//! `--hog-cpu0` first moves the tool to CPU 0 at real-time priority (`SCHED_FIFO` 50), so that
//! no ordinary task there, such as the kworker that runs an item of a per-CPU workqueue queued
//! from CPU 0, runs until the tool exits: the grader uses it to find a work item still pending.
//! `--arg ADDR` passes ADDR as the raw argument instead of a pointer to a buffer (to test a
//! driver's `EFAULT` handling). On failure it prints the errno's name and message and exits 1;
//! a usage error exits 2.

use std::{
    fs::{
        File,
        OpenOptions, //
    },
    io::Write,
    os::fd::AsRawFd,
    process::ExitCode,
    time::Instant,
};

use nix::{
    errno::Errno,
    libc,
    sched::{
        sched_setaffinity,
        CpuSet, //
    },
    unistd::Pid,
};

use rust_workq_abi::{
    Stats,
    _IOC,
    _IOC_DIR,
    _IOC_NR,
    _IOC_SIZE,
    _IOC_TYPE, //
    COMMANDS,
    GET_STATS,
    IOC_NONE,
    IOC_READ,
    IOC_SIZE_MAX,
    IOC_WRITE,
    ITEM_NAMES,
};

const USAGE: &str = "usage: ioctl DEVICE COMMAND [--then COMMAND]... [--hog-cpu0] [--marks]
         COMMAND: -t TYPE -n NR -d none|read|write|rw [-s SIZE] [-v VALUE] [--arg ADDR] [--repeat N]
       ioctl DEVICE --stats
       ioctl --list | --c-header | --sh-env";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Request {
    List,
    CHeader,
    ShEnv,
    Stats { device: String },
    Raw(Raw),
}

#[derive(Debug, PartialEq)]
struct Raw {
    device: String,
    /// The commands, in the order they are issued.
    cmds: Vec<Cmd>,
    /// Run on CPU 0 at real-time priority first.
    hog_cpu0: bool,
    /// Mark each call's start and return in the kernel log.
    marks: bool,
}

/// One command of an invocation.
#[derive(Debug, PartialEq)]
struct Cmd {
    cmd: u32,
    dir: u32,
    size: usize,
    value: u64,
    /// A raw argument to pass instead of a buffer's address.
    arg: Option<usize>,
    /// How many times to issue it.
    repeat: u64,
}

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// What one command's options said, before they are checked.
#[derive(Default)]
struct Spec {
    ty: Option<u64>,
    nr: Option<u64>,
    dir: Option<u32>,
    size: Option<u64>,
    value: Option<u64>,
    arg: Option<u64>,
    repeat: Option<u64>,
}

impl Spec {
    fn is_empty(&self) -> bool {
        self.ty.is_none()
            && self.nr.is_none()
            && self.dir.is_none()
            && self.size.is_none()
            && self.value.is_none()
            && self.arg.is_none()
            && self.repeat.is_none()
    }

    /// Checks the options of one command and encodes it.
    fn finish(self) -> Result<Cmd, String> {
        let ty = self.ty.ok_or("missing -t TYPE")?;
        let nr = self.nr.ok_or("missing -n NR")?;
        let dir = self.dir.ok_or("missing -d DIRECTION")?;
        if ty > 0xff || nr > 0xff {
            return Err("type and number must each fit in a byte".into());
        }
        let size = self.size.unwrap_or(0);
        if size > u64::from(IOC_SIZE_MAX) {
            return Err(format!("size {size} does not fit the 14-bit size field"));
        }
        if dir == IOC_NONE && (size != 0 || self.value.is_some()) {
            return Err("-d none takes neither -s nor -v".into());
        }
        if dir != IOC_NONE && size == 0 && self.arg.is_none() {
            return Err("-d read/write needs -s SIZE".into());
        }
        if let Some(v) = self.value {
            if dir & IOC_WRITE == 0 {
                return Err("-v needs -d write or rw".into());
            }
            if size > 8 || (size < 8 && v >> (8 * size) != 0) {
                return Err(format!("value {v} does not fit in {size} bytes"));
            }
        }
        let size = size as usize;
        Ok(Cmd {
            cmd: _IOC(dir, ty as u32, nr as u32, size),
            dir,
            size,
            value: self.value.unwrap_or(0),
            arg: self.arg.map(|a| a as usize),
            repeat: self.repeat.unwrap_or(1),
        })
    }
}

/// A number option's value: decimal or `0x` hex.
fn number(p: &mut lexopt::Parser, what: &str) -> Result<u64, String> {
    let v = p.value().map_err(|e| e.to_string())?;
    let v = v.to_string_lossy();
    parse_number(&v).ok_or(format!("bad {what} '{v}': a number"))
}

/// Parses the arguments after the program name.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Request, String> {
    use lexopt::prelude::*;
    let mut device = None;
    let mut spec = Spec::default();
    let mut cmds = Vec::new();
    let mut hog_cpu0 = false;
    let mut marks = false;
    let mut stats = false;
    let mut p = lexopt::Parser::from_args(args);
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        match arg {
            Long("list") => return Ok(Request::List),
            Long("c-header") => return Ok(Request::CHeader),
            Long("sh-env") => return Ok(Request::ShEnv),
            Long("stats") => stats = true,
            Short('t') => {
                let v = p
                    .value()
                    .map_err(|e| e.to_string())?
                    .to_string_lossy()
                    .into_owned();
                spec.ty = Some(match (v.len(), parse_number(&v)) {
                    (1, _) if !v.as_bytes()[0].is_ascii_digit() => u64::from(v.as_bytes()[0]),
                    (_, Some(n)) => n,
                    _ => return Err(format!("bad type '{v}': one character or a number")),
                });
            }
            Short('n') => spec.nr = Some(number(&mut p, "-n")?),
            Short('d') => {
                let v = p.value().map_err(|e| e.to_string())?;
                spec.dir = Some(match v.to_string_lossy().as_ref() {
                    "none" => IOC_NONE,
                    "write" => IOC_WRITE,
                    "read" => IOC_READ,
                    "rw" => IOC_READ | IOC_WRITE,
                    d => return Err(format!("bad direction '{d}': none, read, write or rw")),
                })
            }
            Short('s') => spec.size = Some(number(&mut p, "-s")?),
            Short('v') => spec.value = Some(number(&mut p, "-v")?),
            Long("arg") => spec.arg = Some(number(&mut p, "--arg")?),
            Long("hog-cpu0") => hog_cpu0 = true,
            Long("marks") => marks = true,
            Long("repeat") => {
                let n = number(&mut p, "--repeat")?;
                spec.repeat = Some(n).filter(|&n| n > 0);
                if spec.repeat.is_none() {
                    return Err("bad --repeat: a number above 0".into());
                }
            }
            Long("then") => {
                let done = core::mem::take(&mut spec);
                cmds.push(done.finish().map_err(|e| format!("before --then: {e}"))?);
            }
            Value(v) if device.is_none() => device = Some(v.to_string_lossy().into_owned()),
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    let device = device.ok_or("missing DEVICE")?;
    if stats {
        if !cmds.is_empty() || !spec.is_empty() {
            return Err("--stats takes no command".into());
        }
        return Ok(Request::Stats { device });
    }
    if !cmds.is_empty() && spec.is_empty() {
        return Err("--then needs a command after it".into());
    }
    cmds.push(spec.finish()?);
    Ok(Request::Raw(Raw {
        device,
        cmds,
        hog_cpu0,
        marks,
    }))
}

/// The ioctl ABI as a C header, generated from `ioctl_abi.rs` so that the C twin of the module
/// cannot drift from it.
fn c_header() -> String {
    use std::fmt::Write as _;
    let mut h = String::from(
        "/* SPDX-License-Identifier: GPL-2.0 */\n\
         /* Generated by `ioctl --c-header` from ioctl_abi.rs: do not edit. */\n\
         #ifndef RUST_WORKQ_ABI_H\n#define RUST_WORKQ_ABI_H\n#include <linux/types.h>\n\n",
    );
    for (name, cmd) in COMMANDS {
        let _ = writeln!(h, "#define RWQ_{name} 0x{cmd:08x}U");
    }
    for (name, value) in [
        ("KICK_DELAY_MS", rust_workq_abi::KICK_DELAY_MS),
        ("DELAY_MAX_MS", rust_workq_abi::DELAY_MAX_MS),
        ("SLOW_SLEEP_MS", rust_workq_abi::SLOW_SLEEP_MS),
        (
            "RESCHED_MAX_PERIOD_MS",
            rust_workq_abi::RESCHED_MAX_PERIOD_MS,
        ),
    ] {
        let _ = writeln!(h, "#define RWQ_{name} {value}U");
    }
    let _ = writeln!(
        h,
        "#define RWQ_RESCHED_LIMIT {}U",
        rust_workq_abi::RESCHED_LIMIT
    );
    h.push_str(
        "\nstruct rwq_item_stats {\n\t__u64 submitted, queued, dropped, ran, cancelled;\n\
         \t__u64 last_latency_ns, last_latency_jiffies;\n};\n\nstruct rwq_stats {\n\tstruct rwq_item_stats",
    );
    h.push_str(&format!(" {};\n}};\n", ITEM_NAMES.join(", ")));
    // The items as indices into the counters, in the same order.
    let items: Vec<String> = ITEM_NAMES
        .iter()
        .map(|n| format!("RWQ_ITEM_{}", n.to_uppercase()))
        .collect();
    let _ = writeln!(
        h,
        "\nenum rwq_item {{ {}, RWQ_NR_ITEMS }};",
        items.join(", ")
    );
    let _ = writeln!(
        h,
        "\n_Static_assert(sizeof(struct rwq_stats) == {}, \"layout of struct Stats\");\n#endif",
        core::mem::size_of::<Stats>()
    );
    h
}

/// This tool's arguments for a command number: `-t J -n 11 -d write -s 4`.
fn tool_args(cmd: u32) -> String {
    let (dir, ty, nr, size) = (_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd));
    let d = match dir {
        IOC_NONE => "none",
        IOC_WRITE => "write",
        IOC_READ => "read",
        _ => "rw",
    };
    let ty = char::from_u32(ty)
        .filter(char::is_ascii_graphic)
        .map_or(ty.to_string(), String::from);
    match dir {
        IOC_NONE => format!("-t {ty} -n {nr} -d {d}"),
        _ => format!("-t {ty} -n {nr} -d {d} -s {size}"),
    }
}

/// Shell assignments `IOCTL_KICK='-t J -n 10 -d none'`, one per command, so that scripts name
/// commands (`ioctl /dev/mydevice $IOCTL_KICK`) instead of repeating numbers.
fn sh_env() -> String {
    COMMANDS
        .iter()
        .map(|(name, cmd)| format!("IOCTL_{name}='{}'\n", tool_args(*cmd)))
        .collect()
}

/// An errno as `ENOTTY (Inappropriate ioctl for device)`.
fn describe(e: Errno) -> String {
    // The message is the C library's (`strerror`, as `perror` prints it); nix's own `desc()`
    // words some differently ("Not a typewriter").
    let msg = std::io::Error::from_raw_os_error(e as i32).to_string();
    let msg = msg.split(" (os error").next().unwrap_or(&msg);
    format!("{e:?} ({msg})")
}

/// The errno of a failed call on a `std` type.
fn errno_of(err: &std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(0))
}

fn open_device(device: &str) -> Result<File, String> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(device)
        .map_err(|e| format!("cannot open {device}: {}", describe(errno_of(&e))))
}

/// The kernel-log marks of `--marks`: one line before and one after each ioctl, so that the
/// kernel's own timestamps say when a call started and when it returned.
struct Marks {
    kmsg: File,
    of: usize,
}

impl Marks {
    fn open(of: usize) -> Result<Self, String> {
        let kmsg = OpenOptions::new()
            .write(true)
            .open("/dev/kmsg")
            .map_err(|e| {
                format!(
                    "cannot open /dev/kmsg for --marks: {}",
                    describe(errno_of(&e))
                )
            })?;
        Ok(Self { kmsg, of })
    }

    /// Writes one record; `<6>` makes it an info line, as the module's own are.
    fn write(&mut self, text: String) -> Result<(), String> {
        self.kmsg
            .write_all(format!("<6>ioctl: {text}\n").as_bytes())
            .map_err(|e| {
                format!(
                    "cannot write a mark to /dev/kmsg: {}",
                    describe(errno_of(&e))
                )
            })
    }
}

/// Issues `cmd` on `file` with `buf` (or the raw `arg`), `times` times, stopping at the first
/// failure; returns the last result. With `marks`, the first call's start and the last one's
/// return are marked in the kernel log as call `nth` of the invocation.
fn issue(
    file: &File,
    device: &str,
    cmd: &Cmd,
    buf: &mut [u8],
    marks: Option<(&mut Marks, usize)>,
) -> Result<i32, String> {
    let arg = cmd.arg.unwrap_or(if buf.is_empty() {
        0
    } else {
        buf.as_mut_ptr() as usize
    });
    let (times, code) = (cmd.repeat, cmd.cmd);
    let mut marks = marks;
    if let Some((m, nth)) = marks.as_mut() {
        let of = m.of;
        m.write(format!("issuing 0x{code:08x} ({nth} of {of})"))?;
    }
    let started = Instant::now();
    let mut ret = 0;
    for done in 0..times {
        // SAFETY: `file` is open; `arg` is either the address of `buf`, which is valid for
        // `buf.len()` bytes (the size encoded in `cmd`), or a raw value the user asked for, which
        // the kernel checks before it touches it.
        let res = Errno::result(unsafe { libc::ioctl(file.as_raw_fd(), code.into(), arg) });
        ret = match res {
            Ok(r) => r,
            Err(e) => {
                let after = if times > 1 {
                    format!(" (after {done} of {times})")
                } else {
                    String::new()
                };
                return Err(format!(
                    "ioctl {device} 0x{code:08x} failed{after}: {}",
                    describe(e)
                ));
            }
        };
    }
    let took = started.elapsed().as_micros();
    if let Some((m, nth)) = marks {
        let of = m.of;
        m.write(format!(
            "0x{code:08x} returned after {took} us ({nth} of {of})"
        ))?;
    }
    Ok(ret)
}

/// Moves this process to CPU 0 at `SCHED_FIFO` priority 50.
fn hog_cpu0() -> Result<(), String> {
    let mut set = CpuSet::new();
    set.set(0)
        .map_err(|e| format!("cannot name CPU 0: {}", describe(e)))?;
    sched_setaffinity(Pid::from_raw(0), &set)
        .map_err(|e| format!("cannot move to CPU 0: {}", describe(e)))?;
    // nix has no `sched_setscheduler`: it comes from libc, as nix's own calls do.
    let param = libc::sched_param { sched_priority: 50 };
    // SAFETY: `param` is a valid `sched_param`; pid 0 is this process.
    Errno::result(unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) })
        .map_err(|e| format!("cannot switch to SCHED_FIFO: {}", describe(e)))?;
    Ok(())
}

/// What a read command copied out: hex bytes, and the value or the `u64` words they hold.
fn print_read(buf: &[u8]) {
    let hex: Vec<String> = buf.iter().map(|b| format!("{b:02x}")).collect();
    println!("read {} bytes: {}", buf.len(), hex.join(" "));
    if buf.len() <= 8 {
        let mut v = [0u8; 8];
        v[..buf.len()].copy_from_slice(buf);
        println!("value: {}", u64::from_le_bytes(v));
    } else if buf.len().is_multiple_of(8) {
        let words: Vec<String> = buf
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()).to_string())
            .collect();
        println!("u64: {}", words.join(" "));
    }
}

fn run(req: Request) -> Result<(), String> {
    match req {
        Request::List => {
            for (name, cmd) in COMMANDS {
                println!("{name:<16} 0x{cmd:08x}  -t J -n {}", cmd & 0xff);
            }
        }
        Request::CHeader => print!("{}", c_header()),
        Request::ShEnv => print!("{}", sh_env()),
        Request::Stats { device } => {
            let mut buf = vec![0u8; core::mem::size_of::<Stats>()];
            let get = Cmd {
                cmd: GET_STATS,
                dir: IOC_READ,
                size: buf.len(),
                value: 0,
                arg: None,
                repeat: 1,
            };
            issue(&open_device(&device)?, &device, &get, &mut buf, None)?;
            let stats = Stats::from_bytes(&buf).ok_or("short GET_STATS reply")?;
            for (name, s) in ITEM_NAMES.iter().zip(stats.items()) {
                println!(
                    "{name} submitted={} queued={} dropped={} ran={} cancelled={} last_latency_ns={} last_latency_jiffies={}",
                    s.submitted, s.queued, s.dropped, s.ran, s.cancelled, s.last_latency_ns, s.last_latency_jiffies
                );
            }
        }
        Request::Raw(r) => {
            let mut marks = if r.marks {
                Some(Marks::open(r.cmds.len())?)
            } else {
                None
            };
            if r.hog_cpu0 {
                hog_cpu0()?;
            }
            let file = open_device(&r.device)?;
            for (i, c) in r.cmds.iter().enumerate() {
                let mut buf = vec![0u8; c.size];
                let n = c.size.min(8);
                buf[..n].copy_from_slice(&c.value.to_le_bytes()[..n]);
                let ret = issue(
                    &file,
                    &r.device,
                    c,
                    &mut buf,
                    marks.as_mut().map(|m| (m, i + 1)),
                )?;
                if c.dir & IOC_READ != 0 && c.arg.is_none() {
                    print_read(&buf);
                }
                if ret != 0 {
                    println!("returned {ret}");
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let req = match parse(std::env::args().skip(1)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ioctl: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(req) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ioctl: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_workq_abi::{
        KICK,
        KICK_WITH_VALUE, //
    };

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn raw(s: &str) -> Raw {
        match parse(args(s)) {
            Ok(Request::Raw(r)) => r,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn lab_commands_encode_the_module_numbers() {
        assert_eq!(raw("/dev/mydevice -t J -n 10 -d none").cmds[0].cmd, KICK);
        let r = &raw("/dev/mydevice -t J -n 11 -d write -s 4 -v 42").cmds[0];
        assert_eq!(r.cmd, KICK_WITH_VALUE);
        assert_eq!(r.cmd, 0x4004_4a0b);
        assert_eq!((r.size, r.value), (4, 42));
        assert_eq!(
            raw("/dev/mydevice -t J -n 17 -d read -s 336").cmds[0].cmd,
            GET_STATS
        );
        assert_eq!(raw("/dev/x -t 0x4a -n 0xa -d none").cmds[0].cmd, KICK);
        assert_eq!(raw("/dev/x -t J -n 10 -d none").cmds[0].repeat, 1);
        assert!(raw("/dev/x -t J -n 10 -d none --hog-cpu0").hog_cpu0);
        assert_eq!(
            raw("/dev/x -t J -n 10 -d none --repeat 50").cmds[0].repeat,
            50
        );
    }

    #[test]
    fn several_commands_in_one_invocation() {
        let r = raw(
            "/dev/x --marks -t J -n 13 -d none --then -t J -n 11 -d write -s 4 -v 7 --repeat 3",
        );
        assert!(r.marks && !r.hog_cpu0);
        assert_eq!(r.cmds.len(), 2);
        assert_eq!(r.cmds[0].cmd, rust_workq_abi::KICK_SLOW);
        assert_eq!(r.cmds[0].repeat, 1);
        assert_eq!(r.cmds[1].cmd, KICK_WITH_VALUE);
        assert_eq!((r.cmds[1].value, r.cmds[1].repeat), (7, 3));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "/dev/mydevice",
            "/dev/mydevice -t J -n 10",
            "/dev/mydevice -t J -n 10 -d sideways",
            "/dev/mydevice -t J -n 300 -d none",
            "/dev/mydevice -t JJ -n 10 -d none",
            "/dev/mydevice -t J -n 10 -d none -s 4",
            "/dev/mydevice -t J -n 11 -d write",
            "/dev/mydevice -t J -n 11 -d write -s 1 -v 300",
            "/dev/mydevice -t J -n 11 -d read -s 4 -v 1",
            "/dev/mydevice -t J -n 11 -d write -s 20000",
            "/dev/mydevice -t J -n ten -d none",
            "/dev/mydevice -t J -n 10 -d none --bogus",
            "/dev/mydevice -t J -n 10 -d none --repeat 0",
            "/dev/mydevice -t J -n 10 -d none --repeat",
            "/dev/mydevice /dev/other -t J -n 10 -d none",
            "/dev/mydevice -t J -n 10 -d none --then",
            "/dev/mydevice --then -t J -n 10 -d none",
            "/dev/mydevice -t J -n 10 -d none --then -t J -n 11 -d write",
            "/dev/mydevice --stats --then -t J -n 10 -d none",
        ] {
            assert!(parse(args(bad)).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn names_errnos() {
        let e = std::io::Error::from_raw_os_error(Errno::ENOTTY as i32);
        assert_eq!(
            describe(errno_of(&e)),
            "ENOTTY (Inappropriate ioctl for device)"
        );
    }

    #[test]
    fn sh_env_round_trips() {
        assert_eq!(sh_env().lines().count(), COMMANDS.len());
        for (name, cmd) in COMMANDS {
            // The arguments --sh-env gives a command parse back to that command's number.
            let args = tool_args(cmd);
            assert_eq!(
                raw(&format!("/dev/x {args}")).cmds[0].cmd,
                cmd,
                "{name}: {args}"
            );
        }
    }

    /// The encoding column of the ABI table: `_IO('J', 10)`, `_IOW('J', 11, u32)`,
    /// `_IOR('J', 17, Stats)`, computed with the encoders the module's numbers use.
    fn encoding(text: &str) -> Option<u32> {
        let (macro_name, args) = text.strip_suffix(')')?.split_once('(')?;
        let args: Vec<&str> = args.split(", ").collect();
        let ty = u32::from(
            *args
                .first()?
                .strip_prefix('\'')?
                .strip_suffix('\'')?
                .as_bytes()
                .first()?,
        );
        let nr = args.get(1)?.parse().ok()?;
        let size = match args.get(2).copied() {
            None => 0,
            Some("u32") => core::mem::size_of::<u32>(),
            Some("Stats") => core::mem::size_of::<Stats>(),
            Some(_) => return None,
        };
        let dir = match (macro_name, args.len()) {
            ("_IO", 2) => IOC_NONE,
            ("_IOW", 3) => IOC_WRITE,
            ("_IOR", 3) => IOC_READ,
            _ => return None,
        };
        Some(_IOC(dir, ty, nr, size))
    }

    /// The module's docs carry the one ABI table: every command has one row, whose encoding
    /// computes to the command's number and whose tool command parses back to it.
    #[test]
    fn abi_table_matches() {
        let module = include_str!("../../../rust_workq.rs");
        let rows: Vec<Vec<&str>> = module
            .lines()
            .filter_map(|l| l.strip_prefix("//! | `"))
            .map(|l| l.split('|').map(|c| c.trim().trim_matches('`')).collect())
            .collect();
        assert_eq!(rows.len(), COMMANDS.len(), "ABI table rows: {rows:#?}");
        for (name, cmd) in COMMANDS {
            let row = rows
                .iter()
                .find(|r| r[0].trim_start_matches('`') == name)
                .unwrap_or_else(|| panic!("the ABI table has no row for {name}"));
            assert_eq!(encoding(row[1]), Some(cmd), "{name}: encoding {}", row[1]);
            let tool = row[2]
                .strip_prefix("ioctl ")
                .unwrap_or_else(|| panic!("{name}: tool command {}", row[2]));
            assert_eq!(raw(tool).cmds[0].cmd, cmd, "{name}: {tool}");
        }
    }
}
