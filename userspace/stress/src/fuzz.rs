// SPDX-License-Identifier: GPL-2.0

//! ioctl fuzzing: random command numbers, real commands with wrong direction or size bits, and
//! argument pointers that are NULL, -1, a kernel address, a `PROT_NONE` page, or a buffer ending
//! at an unmapped guard page. Every result must be success or a documented errno.

use std::collections::BTreeMap;

use rust_workq_abi::{
    _IOC_TYPE, //
    COMMANDS,
    MAGIC,
};

use fastrand::Rng;
use nix::errno::Errno;

use crate::{
    dev,
    Budget, //
};

/// The errnos the module documents; anything else fails the run.
const DOCUMENTED: [i32; 5] = [
    0,
    Errno::ENOTTY as i32,
    Errno::EFAULT as i32,
    Errno::EINVAL as i32,
    Errno::ENOMEM as i32,
];

/// ioctl types the VFS handles itself before any driver (FIONBIO, FIFREEZE, FIBMAP, FICLONE,
/// FS_IOC_*): the fuzzer stays away from them so that it tests the driver, not the VFS.
const VFS_TYPES: [u32; 6] = [0x00, b'T' as u32, b'X' as u32, b'f' as u32, 0x94, 0x15];

/// Memory the argument pointers point into.
struct Arena {
    /// A readable and writable page.
    good: usize,
    /// A page mapped `PROT_NONE`.
    none: usize,
    /// The end of the good page of a pair whose second page is `PROT_NONE`.
    guard_end: usize,
}

fn map(len: usize, prot: i32) -> Result<usize, String> {
    // SAFETY: An anonymous private mapping at an address of the kernel's choosing; it touches no
    // existing memory. It is never unmapped: the process exits when the fuzzing is over.
    let p = unsafe {
        nix::libc::mmap(
            core::ptr::null_mut(),
            len,
            prot,
            nix::libc::MAP_PRIVATE | nix::libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == nix::libc::MAP_FAILED {
        return Err(format!("mmap: {}", std::io::Error::last_os_error()));
    }
    Ok(p as usize)
}

impl Arena {
    fn new() -> Result<Self, String> {
        let page = 4096;
        let good = map(page, nix::libc::PROT_READ | nix::libc::PROT_WRITE)?;
        let none = map(page, nix::libc::PROT_NONE)?;
        let pair = map(2 * page, nix::libc::PROT_READ | nix::libc::PROT_WRITE)?;
        // SAFETY: The second page of `pair` is ours (mapped just above); making it
        // inaccessible affects nothing else.
        if unsafe { nix::libc::mprotect((pair + page) as *mut _, page, nix::libc::PROT_NONE) } != 0
        {
            return Err(format!("mprotect: {}", std::io::Error::last_os_error()));
        }
        Ok(Self {
            good,
            none,
            guard_end: pair + page,
        })
    }

    fn arg(&self, rng: &mut Rng) -> usize {
        match rng.u64(..8) {
            0 => 0,
            1 => usize::MAX,
            2 => 0xffff_ffff_8100_0000,
            3 => self.none + rng.u64(..4096) as usize,
            // Ends 1..8 bytes before the guard page: any read of 4 or more bytes crosses it.
            4 => self.guard_end - 1 - rng.u64(..8) as usize,
            5 => self.guard_end - 200,
            6 => rng.u64(..) as usize,
            _ => self.good,
        }
    }
}

fn command(rng: &mut Rng) -> u32 {
    let real = COMMANDS[rng.u64(..COMMANDS.len() as u64) as usize].1;
    let cmd = match rng.u64(..5) {
        0 => rng.u64(..) as u32,
        // Wrong direction bits.
        1 => real ^ ((1 + rng.u64(..3) as u32) << 30),
        // Wrong size bits.
        2 => real ^ ((1 + rng.u64(..0x3fff) as u32) << 16),
        // Our type, any number.
        3 => (real & !0xff) | rng.u64(..256) as u32,
        _ => real,
    };
    if VFS_TYPES.contains(&_IOC_TYPE(cmd)) {
        (cmd & !0xff00) | (MAGIC << 8)
    } else {
        cmd
    }
}

/// Runs fuzzed ioctls within `budget` over `threads` threads; prints the errno histogram.
pub fn run(threads: u64, budget: Budget, seed: u64) -> Result<(), String> {
    let per = Budget {
        calls: budget.calls / threads,
        ..budget
    };
    match budget.until {
        Some(_) => println!("fuzz: timed run over {threads} threads, seed {seed} (replay a count: workq-stress fuzz --threads {threads} --calls N --seed {seed})"),
        None => println!("fuzz: {} calls over {threads} threads, seed {seed} (replay: workq-stress fuzz --threads {threads} --calls {} --seed {seed})", budget.calls, budget.calls),
    }
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            std::thread::spawn(move || -> Result<BTreeMap<String, u64>, String> {
                let arena = Arena::new()?;
                let file = dev::open().map_err(|e| format!("open: {e}"))?;
                let mut rng = Rng::with_seed(seed.wrapping_add(i));
                let mut hist = BTreeMap::new();
                let mut done = 0;
                while per.more(done) {
                    done += 1;
                    let cmd = command(&mut rng);
                    let arg = arena.arg(&mut rng);
                    let err = dev::ioctl_raw(&file, cmd, arg);
                    *hist.entry(dev::errno_name(err)).or_insert(0) += 1;
                    if !DOCUMENTED.contains(&err) {
                        return Err(format!(
                            "cmd 0x{cmd:08x} arg 0x{arg:x}: undocumented {}",
                            dev::errno_name(err)
                        ));
                    }
                }
                Ok(hist)
            })
        })
        .collect();
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    for h in handles {
        let hist = h.join().map_err(|_| "fuzz thread panicked".to_string())??;
        for (k, v) in hist {
            *total.entry(k).or_default() += v;
        }
    }
    let n: u64 = total.values().sum();
    let hist: Vec<String> = total.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("figure: fuzz_calls={n} fuzz_seed={seed}");
    println!("figure: fuzz_errnos {}", hist.join(" "));
    Ok(())
}
