// SPDX-License-Identifier: GPL-2.0

//! `bench`: the Rust module against its C twin, in one boot, with one tool. Every figure comes
//! from this run; latency and delays are the modules' own `ktime`/`jiffies` measurements, read
//! back through `GET_STATS`.

use nix::time::{
    clock_gettime,
    ClockId, //
};
use std::{
    collections::HashMap,
    fs::File,
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
    ItemStats,
    Stats,
    KICK,
    KICK_DELAYED_MS,
    SPAWN, //
};

use crate::dev;

const DEVICES: [(&str, &str); 2] = [("Rust", "/dev/mydevice"), ("C", "/dev/mydevice_c")];
/// How far ahead the coalesced-submission rounds arm the delayed item, each round waiting for it
/// to run: 2000 calls with log lines take about 25 ms here (BENCH.md), so 500 ms stays 8x above
/// them on a machine 2.5x slower; a round the item overtakes anyway is not counted.
const COALESCE_AHEAD_MS: u32 = 500;
/// The guest kernel's tick rate (qemu/flavors/base.config: CONFIG_HZ_250).
const HZ: u64 = 250;

fn open(path: &str) -> Result<File, String> {
    dev::open_path(path)
        .map_err(|e| format!("open {path}: {e} (are rust_workq and c_workq loaded?)"))
}

fn stats(f: &File) -> Result<Stats, String> {
    dev::stats(f).map_err(|e| format!("GET_STATS: {e}"))
}

/// Polls until `item(stats).ran` exceeds `before`; returns the fresh stats.
fn wait_ran(f: &File, item: fn(&Stats) -> &ItemStats, before: u64) -> Result<Stats, String> {
    let start = Instant::now();
    loop {
        let s = stats(f)?;
        if item(&s).ran > before {
            return Ok(s);
        }
        if start.elapsed() > Duration::from_secs(15) {
            return Err("a work item did not run within 15 s".into());
        }
    }
}

/// Waits until every queued submission of `f`'s module has run (so that one measurement's
/// leftovers do not load the next).
fn drain(f: &File) -> Result<(), String> {
    let start = Instant::now();
    while !stats(f)?
        .items()
        .iter()
        .all(|i| i.ran + i.cancelled >= i.queued)
    {
        if start.elapsed() > Duration::from_secs(30) {
            return Err("work did not drain within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// The device order of round `r`: alternating, so that neither module always goes first.
fn order(r: u64) -> [usize; 2] {
    if r.is_multiple_of(2) {
        [0, 1]
    } else {
        [1, 0]
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    percentile(&v, 0.5)
}

/// Runs every path of both modules once, so that neither pays for first-use costs (TCG
/// translates code on first execution) inside a measurement.
fn warm_up(files: &[File; 2]) -> Result<(), String> {
    for f in files {
        for i in 0..300 {
            for (cmd, arg) in [
                (KICK, None),
                (SPAWN, Some(i)),
                (rust_workq_abi::KICK_QUICK, None),
            ] {
                let e = match arg {
                    Some(v) => dev::ioctl_u32(f, cmd, v),
                    None => dev::ioctl_raw(f, cmd, 0),
                };
                if e != 0 {
                    return Err(format!("warm-up ioctl failed: {}", dev::errno_name(e)));
                }
            }
        }
        drain(f)?;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

struct Row {
    name: String,
    n: String,
    values: [f64; 2],
    /// Rust/C when it is not `values[0] / values[1]`: the median of paired rounds' ratios.
    ratio: Option<f64>,
}

fn row(rows: &mut Vec<Row>, name: &str, n: impl ToString, values: [f64; 2]) {
    rows.push(Row {
        name: name.into(),
        n: n.to_string(),
        values,
        ratio: None,
    });
}

/// A row from rounds that each measured both modules back to back: the columns are each
/// module's median round, Rust/C the median of the rounds' own ratios, so that the machine
/// changing speed between rounds (a shared host) moves both sides of a ratio alike.
fn paired_row(rows: &mut Vec<Row>, name: &str, n: impl ToString, rounds: &[[f64; 2]]) {
    let ratios = rounds.iter().map(|[r, c]| r / c).collect();
    rows.push(Row {
        name: name.into(),
        n: n.to_string(),
        values: [
            median(rounds.iter().map(|v| v[0]).collect()),
            median(rounds.iter().map(|v| v[1]).collect()),
        ],
        ratio: Some(median(ratios)),
    });
}

/// Kick latency: KICK, wait for the run, read the module's own measurement; interleaved in
/// blocks so that both modules see the same conditions.
fn latency(files: &[File; 2], n: u64, rows: &mut Vec<Row>) -> Result<(), String> {
    let mut samples: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let block = 100.min(n.max(1));
    for r in 0..n.div_ceil(block) {
        for d in order(r) {
            let f = &files[d];
            for _ in 0..block {
                let before = stats(f)?.kick.ran;
                if dev::ioctl_raw(f, KICK, 0) != 0 {
                    return Err("KICK failed".into());
                }
                let s = wait_ran(f, |s| &s.kick, before)?;
                samples[d].push(s.kick.last_latency_ns as f64 / 1000.0);
            }
        }
    }
    for s in &mut samples {
        s.sort_by(f64::total_cmp);
    }
    let count = samples[0].len();
    for (label, p) in [("p50", 0.5), ("p99", 0.99), ("max", 1.0)] {
        row(
            rows,
            &format!("kick latency {label} (us)"),
            count,
            [percentile(&samples[0], p), percentile(&samples[1], p)],
        );
    }
    Ok(())
}

/// CLOCK_MONOTONIC in ns: comparable across processes, unlike `Instant`.
fn monotonic_ns() -> u64 {
    // The monotonic clock always exists on Linux; 0 would only make a figure obviously wrong.
    clock_gettime(ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64)
        .unwrap_or(0)
}

/// `bench-kicks`: one process's share of the throughput run; prints when its loop started and
/// ended, so that process start-up is not counted.
pub fn kicks_worker(device: &str, calls: u64) -> Result<(), String> {
    let f = open(device)?;
    let start = monotonic_ns();
    for _ in 0..calls {
        if dev::ioctl_raw(&f, KICK, 0) != 0 {
            return Err("KICK failed".into());
        }
    }
    println!("span {start} {}", monotonic_ns());
    Ok(())
}

/// KICKs per second from `procs` processes of `calls` each, and how many were coalesced; the
/// median of `rounds` rounds in alternating order.
fn throughput(
    files: &[File; 2],
    procs: u64,
    calls: u64,
    rounds: u64,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut rate = Vec::new();
    let mut coalesced = Vec::new();
    for r in 0..rounds {
        let (mut round_rate, mut round_coalesced) = ([0.0; 2], [0.0; 2]);
        for d in order(r) {
            let path = DEVICES[d].1;
            drain(&files[d])?;
            let before = stats(&files[d])?.kick;
            let start = Instant::now();
            let children: Vec<_> = (0..procs)
                .map(|_| {
                    Command::new(&exe)
                        .args([
                            "bench-kicks",
                            "--device",
                            path,
                            "--calls",
                            &calls.to_string(),
                        ])
                        .stdout(Stdio::null())
                        .spawn()
                        .map_err(|e| format!("spawn: {e}"))
                })
                .collect::<Result<_, _>>()?;
            for mut c in children {
                let st = c.wait().map_err(|e| format!("wait: {e}"))?;
                if !st.success() {
                    return Err(format!("bench-kicks on {path} failed"));
                }
            }
            let secs = start.elapsed().as_secs_f64();
            let after = stats(&files[d])?.kick;
            let total = (procs * calls) as f64;
            round_rate[d] = total / secs;
            round_coalesced[d] = 100.0 * (after.dropped - before.dropped) as f64 / total;
        }
        rate.push(round_rate);
        coalesced.push(round_coalesced);
    }
    let n = format!("{rounds}x{procs}x{calls}");
    paired_row(
        rows,
        &format!("throughput, {procs} proc(s) (kicks/s)"),
        &n,
        &rate,
    );
    paired_row(
        rows,
        &format!("  coalesced, {procs} proc(s) (%)"),
        &n,
        &coalesced,
    );
    Ok(())
}

/// Requested vs observed delay of the delayed item, for delays spread from 10 ms to 2 s. Both
/// modules are armed back to back (in alternating order), so both timers start in the same
/// tick as a rule: the rows compare the modules, not where in a 4 ms tick each call fell.
fn delays(files: &[File; 2], count: u64, rows: &mut Vec<Row>) -> Result<(), String> {
    let mut err_ms = [Vec::new(), Vec::new()];
    let mut err_j = [Vec::new(), Vec::new()];
    for i in 0..count {
        // Log-spaced from 10 ms to 2000 ms.
        let ms = (10.0 * 200f64.powf(i as f64 / (count.max(2) - 1) as f64)).round() as u32;
        let before = [stats(&files[0])?.delayed.ran, stats(&files[1])?.delayed.ran];
        for d in order(i) {
            if dev::ioctl_u32(&files[d], KICK_DELAYED_MS, ms) != 0 {
                return Err("KICK_DELAYED_MS failed".into());
            }
        }
        for (d, f) in files.iter().enumerate() {
            let s = wait_ran(f, |s| &s.delayed, before[d])?;
            let want_j = (u64::from(ms) * HZ).div_ceil(1000);
            err_ms[d].push(s.delayed.last_latency_ns as f64 / 1e6 - f64::from(ms));
            err_j[d].push(s.delayed.last_latency_jiffies as f64 - want_j as f64);
        }
    }
    let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let max = |v: &Vec<f64>| v.iter().cloned().fold(f64::MIN, f64::max);
    let min = |v: &Vec<f64>| v.iter().cloned().fold(f64::MAX, f64::min);
    row(
        rows,
        "delay error mean (ms)",
        count,
        [mean(&err_ms[0]), mean(&err_ms[1])],
    );
    row(
        rows,
        "delay error min (ms)",
        count,
        [min(&err_ms[0]), min(&err_ms[1])],
    );
    row(
        rows,
        "delay error max (ms)",
        count,
        [max(&err_ms[0]), max(&err_ms[1])],
    );
    row(
        rows,
        "delay error mean (jiffies)",
        count,
        [mean(&err_j[0]), mean(&err_j[1])],
    );
    row(
        rows,
        "delay error max (jiffies)",
        count,
        [max(&err_j[0]), max(&err_j[1])],
    );
    Ok(())
}

/// The calls a submission-cost round makes on one module before it turns to the other.
const BLOCK: u64 = 100;

/// Makes `calls` calls of `call` on each module, in alternating blocks of [`BLOCK`], so that
/// both meet the same machine (a shared host changes speed within milliseconds); returns each
/// module's time per call in ns. `call` gets the call's index and fails with the errno.
fn interleaved(
    files: &[File; 2],
    calls: u64,
    first: u64,
    call: impl Fn(&File, u64) -> i32,
) -> Result<[f64; 2], i32> {
    let mut ns = [0u128; 2];
    let mut done = 0;
    let mut block = first;
    while done < calls {
        let n = BLOCK.min(calls - done);
        for d in order(block) {
            let start = Instant::now();
            for i in done..done + n {
                match call(&files[d], i) {
                    0 => {}
                    e => return Err(e),
                }
            }
            ns[d] += start.elapsed().as_nanos();
        }
        done += n;
        block += 1;
    }
    Ok(ns.map(|t| t as f64 / calls as f64))
}

/// Cost of one submission seen from userspace: SPAWN (allocates a closure item) vs KICK (the
/// embedded struct item); `rounds` rounds of interleaved calls.
fn submission_cost(
    files: &[File; 2],
    calls: u64,
    rounds: u64,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    for (name, cmd) in [
        ("SPAWN (try_spawn/kmalloc)", SPAWN),
        ("KICK (struct item)", KICK),
    ] {
        let mut ns = Vec::new();
        for r in 0..rounds {
            drain(&files[0])?;
            drain(&files[1])?;
            let round = interleaved(files, calls, r, |f, i| {
                if cmd == SPAWN {
                    dev::ioctl_u32(f, cmd, i as u32)
                } else {
                    dev::ioctl_raw(f, cmd, 0)
                }
            })
            .map_err(|e| format!("{name} failed: {}", dev::errno_name(e)))?;
            ns.push(round);
        }
        paired_row(
            rows,
            &format!("{name} submit (ns)"),
            format!("{rounds}x{calls}"),
            &ns,
        );
    }
    Ok(())
}

/// Cost of a submission that is always coalesced, the same path in both modules whatever the
/// workers do: both delayed items are armed [`COALESCE_AHEAD_MS`] ahead, then `calls` more
/// interleaved `KICK_DELAYED_MS` each find theirs pending ("already queued"). A round in which
/// an item ran before the last call (not every call dropped) is not counted.
fn coalesced_cost(
    files: &[File; 2],
    calls: u64,
    rounds: u64,
    rows: &mut Vec<Row>,
) -> Result<(), String> {
    let arm = |f: &File| dev::ioctl_u32(f, KICK_DELAYED_MS, COALESCE_AHEAD_MS);
    let failed = |e| format!("KICK_DELAYED_MS failed: {}", dev::errno_name(e));
    let mut ns = Vec::new();
    for r in 0..rounds {
        let mut before = [0; 2];
        for (d, f) in files.iter().enumerate() {
            drain(f)?;
            match arm(f) {
                0 => before[d] = stats(f)?.delayed.dropped,
                e => return Err(failed(e)),
            }
        }
        let round = interleaved(files, calls, r, |f, _| arm(f)).map_err(failed)?;
        let dropped = [
            stats(&files[0])?.delayed.dropped - before[0],
            stats(&files[1])?.delayed.dropped - before[1],
        ];
        if dropped == [calls, calls] {
            ns.push(round);
        }
    }
    let n = format!("{}x{calls}", ns.len());
    paired_row(rows, "KICK_DELAYED coalesced submit (ns)", n, &ns);
    Ok(())
}

impl Row {
    /// Rust/C: the paired rounds' median ratio, else the ratio of the two values; `None` when
    /// there is none (C measured 0).
    fn ratio(&self) -> Option<f64> {
        match self.ratio {
            Some(ratio) => Some(ratio).filter(|r| r.is_finite()),
            None if self.values[1] != 0.0 => Some(self.values[0] / self.values[1]),
            None => None,
        }
    }
}

/// The header of `bench --tsv`: a row per metric, `metric` as the table names it (without its
/// indent), Rust/C empty where there is none.
const TSV_HEADER: &str = "metric\tn\trust\tc\trust_over_c";

/// `bench`: measures both modules and prints the table; with `tsv`, also writes the rows there
/// as data ([`TSV_HEADER`]).
pub fn run(n: u64, tsv: Option<&str>) -> Result<(), String> {
    let files = [open(DEVICES[0].1)?, open(DEVICES[1].1)?];
    let quick = n < 1000;
    let mut rows = Vec::new();
    let t = Instant::now();
    let rounds = if quick { 2 } else { 12 };
    warm_up(&files)?;
    latency(&files, n, &mut rows)?;
    throughput(&files, 1, n, rounds, &mut rows)?;
    throughput(&files, 4, n / 4, rounds, &mut rows)?;
    delays(&files, if quick { 4 } else { 20 }, &mut rows)?;
    submission_cost(&files, n / 5, rounds, &mut rows)?;
    coalesced_cost(&files, n / 5, rounds, &mut rows)?;
    println!(
        "{:<36} {:>9} {:>12} {:>12} {:>8}",
        "metric", "n", "Rust", "C", "Rust/C"
    );
    for r in &rows {
        let ratio = r.ratio().map_or("-".into(), |x| format!("{x:.2}"));
        println!(
            "{:<36} {:>9} {:>12.2} {:>12.2} {:>8}",
            r.name, r.n, r.values[0], r.values[1], ratio
        );
    }
    println!("(bench ran {:.1} s)", t.elapsed().as_secs_f64());
    if let Some(path) = tsv {
        std::fs::write(path, to_tsv(&rows)).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}

fn to_tsv(rows: &[Row]) -> String {
    let mut out = format!("{TSV_HEADER}\n");
    for r in rows {
        let ratio = r.ratio().map_or(String::new(), |x| x.to_string());
        let [rust, c] = r.values;
        out += &format!("{}\t{}\t{rust}\t{c}\t{ratio}\n", r.name.trim(), r.n);
    }
    out
}

/// The Rust and C values of each metric in a `bench --tsv` file.
fn read_tsv(path: &str) -> Result<Metrics, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse_tsv(&text).map_err(|e| format!("{path}: {e}"))
}

fn parse_tsv(text: &str) -> Result<Metrics, String> {
    let mut lines = text.lines();
    if lines.next() != Some(TSV_HEADER) {
        return Err("not a `workq-stress bench --tsv` file".into());
    }
    lines
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let value = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
            match (value(2), value(3)) {
                (Some(rust), Some(c)) => Ok((f[0].to_string(), [rust, c])),
                _ => Err(format!("bad row {line:?}")),
            }
        })
        .collect()
}

/// `bench-logcost`: what the log lines cost each module, from the `bench --tsv` files of a run
/// with them (`verbose=1`) and one without (`verbose=0`) in the same boot.
pub fn log_cost(with: &str, without: &str) -> Result<(), String> {
    let rows = log_cost_rows(&read_tsv(with)?, &read_tsv(without)?)?;
    println!(
        "{:<44} {:>12} {:>12} {:>8}",
        "metric", "Rust", "C", "Rust/C"
    );
    for (name, [rust, c]) in rows {
        let ratio = if c > 0.0 {
            format!("{:.2}", rust / c)
        } else {
            "-".into()
        };
        println!("{name:<44} {rust:>12.0} {c:>12.0} {ratio:>8}");
    }
    Ok(())
}

type Metrics = HashMap<String, [f64; 2]>;

/// Each log-cost row's Rust and C figure (ns): the metric with the lines minus without them.
fn log_cost_rows(
    with: &Metrics,
    without: &Metrics,
) -> Result<Vec<(&'static str, [f64; 2])>, String> {
    let mut rows = Vec::new();
    for (name, metric, to_ns) in [
        (
            "log lines in kick latency p50 (ns)",
            "kick latency p50 (us)",
            1000.0,
        ),
        (
            "log line per KICK ioctl (ns)",
            "KICK (struct item) submit (ns)",
            1.0,
        ),
    ] {
        let get = |m: &Metrics| {
            m.get(metric)
                .copied()
                .ok_or_else(|| format!("no row {metric:?} in a bench --tsv file"))
        };
        let ([r1, c1], [r0, c0]) = (get(with)?, get(without)?);
        rows.push((name, [(r1 - r0) * to_ns, (c1 - c0) * to_ns]));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(p50_us: [f64; 2], kick_ns: [f64; 2]) -> Vec<Row> {
        let mut rows = Vec::new();
        row(&mut rows, "kick latency p50 (us)", 10000, p50_us);
        row(
            &mut rows,
            "  coalesced, 1 proc(s) (%)",
            "12x1x10000",
            [70.0, 0.0],
        );
        paired_row(
            &mut rows,
            "KICK (struct item) submit (ns)",
            "12x2000",
            &[kick_ns],
        );
        rows
    }

    #[test]
    fn tsv_round_trip() {
        let text = to_tsv(&rows([5.5, 5.0], [3000.0, 2000.0]));
        assert_eq!(
            text.lines().nth(2),
            Some("coalesced, 1 proc(s) (%)\t12x1x10000\t70\t0\t")
        );
        let m = parse_tsv(&text).unwrap();
        assert_eq!(m["kick latency p50 (us)"], [5.5, 5.0]);
        assert_eq!(m["KICK (struct item) submit (ns)"], [3000.0, 2000.0]);
        assert!(parse_tsv("metric\tn\n").is_err());
        assert!(parse_tsv(&format!("{TSV_HEADER}\nx\t1\tnot-a-number\t2\t\n")).is_err());
    }

    #[test]
    fn log_cost_subtracts_the_run_without_lines() {
        let with = parse_tsv(&to_tsv(&rows([9.5, 9.0], [15000.0, 12000.0]))).unwrap();
        let without = parse_tsv(&to_tsv(&rows([5.5, 5.0], [3000.0, 2000.0]))).unwrap();
        let got = log_cost_rows(&with, &without).unwrap();
        assert_eq!(
            got[0],
            ("log lines in kick latency p50 (ns)", [4000.0, 4000.0])
        );
        assert_eq!(got[1], ("log line per KICK ioctl (ns)", [12000.0, 10000.0]));
        assert!(log_cost_rows(&with, &HashMap::new()).is_err());
    }
}
