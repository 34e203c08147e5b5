// SPDX-License-Identifier: GPL-2.0

//! `workq-stress`: the reliability scenarios' load generator for `/dev/mydevice`.
//!
//! ```text
//! workq-stress mix [--procs P] [--calls N] [--seconds T] [--seed S] [--check]
//! workq-stress fuzz [--threads T] [--calls N] [--seconds T] [--seed S]
//! workq-stress enomem [--calls N] # SPAWN with slab allocations failing: expects ENOMEM
//! workq-stress bench [--calls N] [--tsv FILE] # Rust module vs its C twin (both loaded)
//! workq-stress bench-logcost --with FILE --without FILE # the log lines' cost, from two --tsv
//! ```
//! Every run prints its seed; the same seed replays the same sequence of calls. With
//! `--seconds`, `mix` and `fuzz` stop when the time is up (or after `--calls`, if given, comes
//! first) and report how many calls they made.

mod bench;
mod dev;
mod fuzz;
mod mix;

use nix::errno::Errno;
use std::process::ExitCode;

const USAGE: &str =
    "usage: workq-stress mix [--procs P] [--calls N] [--seconds T] [--seed S] [--check]
       workq-stress fuzz [--threads T] [--calls N] [--seconds T] [--seed S]
       workq-stress enomem [--calls N]
       workq-stress bench [--calls N] [--tsv FILE]
       workq-stress bench-logcost --with FILE --without FILE";

struct Opts {
    device: String,
    procs: u64,
    calls: Option<u64>,
    seconds: Option<u64>,
    seed: u64,
    check: bool,
    tsv: Option<String>,
    with: Option<String>,
    without: Option<String>,
}

/// How long a load runs: a number of calls, a deadline, or whichever comes first.
#[derive(Clone, Copy)]
pub struct Budget {
    pub calls: u64,
    pub until: Option<std::time::Instant>,
}

impl Budget {
    fn new(calls: Option<u64>, seconds: Option<u64>, default_calls: u64) -> Self {
        let until = seconds.map(|s| std::time::Instant::now() + std::time::Duration::from_secs(s));
        let calls = calls.unwrap_or(if until.is_some() {
            u64::MAX
        } else {
            default_calls
        });
        Self { calls, until }
    }

    /// Whether call number `done` (counting from 0) should still be made.
    pub fn more(&self, done: u64) -> bool {
        done < self.calls
            && (!done.is_multiple_of(64)
                || self.until.is_none_or(|t| std::time::Instant::now() < t))
    }
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Opts, lexopt::Error> {
    use lexopt::prelude::*;
    let mut o = Opts {
        device: dev::DEVICE.to_string(),
        procs: 1,
        calls: None,
        seconds: None,
        // A run that names no seed gets a random one (it prints it, so the run can be replayed).
        seed: fastrand::u64(..),
        check: false,
        tsv: None,
        with: None,
        without: None,
    };
    let mut p = lexopt::Parser::from_args(args);
    while let Some(arg) = p.next()? {
        match arg {
            Long("procs" | "threads") => o.procs = p.value()?.parse::<u64>()?.max(1),
            Long("calls") => o.calls = Some(p.value()?.parse()?),
            Long("seconds") => o.seconds = Some(p.value()?.parse()?),
            Long("seed") => o.seed = p.value()?.parse()?,
            Long("check") => o.check = true,
            Long("device") => o.device = p.value()?.string()?,
            Long("tsv") => o.tsv = Some(p.value()?.string()?),
            Long("with") => o.with = Some(p.value()?.string()?),
            Long("without") => o.without = Some(p.value()?.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(o)
}

/// `enomem`: `calls` SPAWNs, each with fault injection armed for this task only around the
/// ioctl; every one must fail with ENOMEM.
fn enomem(calls: u64) -> Result<(), String> {
    use std::io::Write as _;
    let file = dev::open().map_err(|e| format!("open: {e}"))?;
    // Opened once: writing through it allocates nothing that could fail while armed.
    let mut knob = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/make-it-fail")
        .map_err(|e| format!("/proc/self/make-it-fail: {e} (needs CONFIG_FAULT_INJECTION)"))?;
    for i in 0..calls {
        // Only allocations this task makes while armed fail (failslab's task-filter).
        knob.write_all(b"1").map_err(|e| format!("arm: {e}"))?;
        let err = dev::ioctl_u32(&file, rust_workq_abi::SPAWN, i as u32);
        knob.write_all(b"0").map_err(|e| format!("disarm: {e}"))?;
        if err != Errno::ENOMEM as i32 {
            return Err(format!(
                "SPAWN {i} under failslab returned {}",
                dev::errno_name(err)
            ));
        }
    }
    println!("{calls} SPAWNs under failslab: ENOMEM each time");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("", &args[..]),
    };
    let opts = match parse(rest.iter().cloned()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("workq-stress: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let calls = opts.calls.unwrap_or(1000);
    let budget = Budget::new(opts.calls, opts.seconds, 1000);
    let res = match cmd {
        "mix" => mix::run(opts.procs, budget, opts.seconds, opts.seed, opts.check),
        "mix-worker" => {
            mix::run_worker(budget, opts.seed);
            Ok(())
        }
        "fuzz" => fuzz::run(
            opts.procs,
            Budget::new(opts.calls, opts.seconds, 100_000),
            opts.seed,
        ),
        "enomem" => enomem(calls),
        "bench" => bench::run(calls, opts.tsv.as_deref()),
        "bench-logcost" => match (&opts.with, &opts.without) {
            (Some(with), Some(without)) => bench::log_cost(with, without),
            _ => Err("bench-logcost needs --with FILE and --without FILE".into()),
        },
        "bench-kicks" => bench::kicks_worker(&opts.device, calls),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("workq-stress: FAIL: {e}");
            ExitCode::from(1)
        }
    }
}
