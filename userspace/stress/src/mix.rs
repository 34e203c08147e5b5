// SPDX-License-Identifier: GPL-2.0

//! Random valid ioctls from several processes, with opens and closes racing, then a check that
//! the module's counters agree with what the processes did.

use std::{
    collections::BTreeMap,
    process::{
        Command,
        Stdio, //
    },
    time::{
        Duration,
        Instant, //
    },
};

use rust_workq_abi::{
    Stats,
    GET_STATS,
    ITEM_NAMES,
    KICK,
    KICK_DELAYED,
    KICK_QUICK,
    KICK_SLOW,
    KICK_WITH_VALUE,
    SPAWN,
    START_RESCHED, //
};

use fastrand::Rng;
use nix::errno::Errno;

use crate::{
    dev,
    Budget, //
};

/// What one process did: successful calls per work item, and everything else.
#[derive(Default, Debug)]
pub struct Tally {
    pub counts: BTreeMap<String, u64>,
}

impl Tally {
    fn add(&mut self, key: &str, n: u64) {
        *self.counts.entry(key.to_string()).or_default() += n;
    }

    pub fn get(&self, key: &str) -> u64 {
        self.counts.get(key).copied().unwrap_or(0)
    }

    fn line(&self) -> String {
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("tally {}", parts.join(" "))
    }

    fn parse(line: &str) -> Option<Self> {
        let mut t = Tally::default();
        for kv in line.strip_prefix("tally ")?.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            t.add(k, v.parse().ok()?);
        }
        Some(t)
    }
}

/// One worker: random valid ioctls within `budget`, reopening the device now and then.
pub fn worker(budget: Budget, seed: u64) -> Tally {
    let mut rng = Rng::with_seed(seed);
    let mut t = Tally::default();
    let mut file = match dev::open() {
        Ok(f) => f,
        Err(_) => {
            t.add("gone", 1);
            return t;
        }
    };
    t.add("opens", 1);
    let mut done = 0;
    while budget.more(done) {
        done += 1;
        if rng.u64(..50) == 0 {
            drop(file);
            file = match dev::open() {
                Ok(f) => f,
                Err(_) => {
                    // The module went away (rmmod cycles): stop here.
                    t.add("gone", 1);
                    return t;
                }
            };
            t.add("opens", 1);
        }
        let (item, err) = match rng.u64(..100) {
            0..=29 => ("kick", dev::ioctl_raw(&file, KICK, 0)),
            30..=44 => (
                "kick",
                dev::ioctl_u32(&file, KICK_WITH_VALUE, rng.u64(..) as u32),
            ),
            45..=59 => ("quick", dev::ioctl_raw(&file, KICK_QUICK, 0)),
            60..=64 => ("slow", dev::ioctl_raw(&file, KICK_SLOW, 0)),
            65..=74 => ("delayed", dev::ioctl_raw(&file, KICK_DELAYED, 0)),
            75..=89 => ("spawn", dev::ioctl_u32(&file, SPAWN, rng.u64(..) as u32)),
            90..=92 => (
                "resched",
                dev::ioctl_u32(&file, START_RESCHED, rng.u64(..50) as u32),
            ),
            _ => {
                let mut buf = [0u8; core::mem::size_of::<Stats>()];
                (
                    "stats",
                    dev::ioctl_raw(&file, GET_STATS, buf.as_mut_ptr() as usize),
                )
            }
        };
        match err {
            0 => t.add(item, 1),
            e if e == Errno::ENOMEM as i32 && item == "spawn" => t.add("spawn_enomem", 1),
            e => t.add(&format!("unexpected_{}_{}", item, dev::errno_name(e)), 1),
        }
    }
    t
}

/// Waits until every queued submission ran or was cancelled; returns the drained stats.
fn drained(timeout: Duration) -> Result<Stats, String> {
    let file = dev::open().map_err(|e| format!("open {}: {e}", dev::DEVICE))?;
    let start = Instant::now();
    loop {
        let s = dev::stats(&file).map_err(|e| format!("GET_STATS: {e}"))?;
        if s.items().iter().all(|i| i.ran + i.cancelled == i.queued) {
            return Ok(s);
        }
        if start.elapsed() > timeout {
            return Err(format!("work did not drain within {timeout:?}: {s:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `mix`: `procs` processes, each making calls within `budget` (`seconds` is what the
/// children get for theirs); with `check`, verifies the counters.
pub fn run(
    procs: u64,
    budget: Budget,
    seconds: Option<u64>,
    seed: u64,
    check: bool,
) -> Result<(), String> {
    let calls = budget.calls;
    match seconds {
        Some(s) => println!("mix: {procs} process(es) for {s} s, seed {seed}"),
        None => println!("mix: {procs} process(es) x {calls} calls, seed {seed}"),
    }
    let start = Instant::now();
    let mut total = Tally::default();
    if procs <= 1 {
        total = worker(budget, seed);
    } else {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let children: Vec<_> = (0..procs)
            .map(|i| {
                let mut cmd = Command::new(&exe);
                cmd.arg("mix-worker");
                if calls != u64::MAX {
                    cmd.args(["--calls", &calls.to_string()]);
                }
                if let Some(s) = seconds {
                    cmd.args(["--seconds", &s.to_string()]);
                }
                cmd.args(["--seed", &seed.wrapping_add(i).to_string()])
                    .stdout(Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("spawn worker: {e}"))
            })
            .collect::<Result<_, _>>()?;
        for child in children {
            let out = child
                .wait_with_output()
                .map_err(|e| format!("worker: {e}"))?;
            let text = String::from_utf8_lossy(&out.stdout);
            let t = text
                .lines()
                .find_map(Tally::parse)
                .ok_or(format!("worker printed no tally: {text}"))?;
            for (k, v) in t.counts {
                total.add(&k, v);
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let issued: u64 = [
        "kick", "quick", "slow", "delayed", "spawn", "resched", "stats",
    ]
    .iter()
    .map(|k| total.get(k))
    .sum::<u64>()
        + total.get("spawn_enomem");
    println!("{}", total.line());
    println!(
        "figure: mix_ioctls={issued} mix_procs={procs} mix_opens={} mix_secs={secs:.1}",
        total.get("opens")
    );
    let unexpected: Vec<_> = total
        .counts
        .iter()
        .filter(|(k, _)| k.starts_with("unexpected_"))
        .collect();
    if !unexpected.is_empty() {
        return Err(format!("unexpected errors: {unexpected:?}"));
    }
    if !check {
        return Ok(());
    }
    let s = drained(Duration::from_secs(60))?;
    let mut bad = Vec::new();
    for (name, i) in ITEM_NAMES.iter().zip(s.items()) {
        if i.submitted != i.queued + i.dropped {
            bad.push(format!(
                "{name}: submitted {} != queued {} + dropped {}",
                i.submitted, i.queued, i.dropped
            ));
        }
        if i.ran != i.queued {
            bad.push(format!("{name}: ran {} != queued {}", i.ran, i.queued));
        }
    }
    for (name, item) in [
        ("kick", &s.kick),
        ("quick", &s.quick),
        ("slow", &s.slow),
        ("delayed", &s.delayed),
    ] {
        if item.submitted != total.get(name) {
            bad.push(format!(
                "{name}: module counted {} submissions, processes made {}",
                item.submitted,
                total.get(name)
            ));
        }
    }
    if s.spawn.queued != total.get("spawn") || s.spawn.dropped != total.get("spawn_enomem") {
        bad.push(format!(
            "spawn: module {}/{} queued/dropped, processes {}/{}",
            s.spawn.queued,
            s.spawn.dropped,
            total.get("spawn"),
            total.get("spawn_enomem")
        ));
    }
    if s.resched.submitted < total.get("resched") {
        bad.push(format!(
            "resched: module counted {} < {} starts",
            s.resched.submitted,
            total.get("resched")
        ));
    }
    for (name, i) in ITEM_NAMES.iter().zip(s.items()) {
        println!(
            "stats {name}: submitted={} queued={} dropped={} ran={}",
            i.submitted, i.queued, i.dropped, i.ran
        );
    }
    if bad.is_empty() {
        println!("counters consistent");
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

/// `mix-worker`: runs one worker and prints its tally for the parent.
pub fn run_worker(budget: Budget, seed: u64) {
    println!("{}", worker(budget, seed).line());
}
