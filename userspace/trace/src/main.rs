// SPDX-License-Identifier: GPL-2.0

//! `workq-trace`: what the kernel's own tracepoints say a module's work items did, as a Perfetto
//! trace, an SVG timeline or a table for the terminal.
//!
//! ```text
//! workq-trace [--module NAME] [--json FILE] [--svg FILE] [--title TEXT] [--text] TRACE
//! workq-trace [--module NAME] --outstanding TRACE
//! workq-trace [--module NAME] --runs TRACE
//! workq-trace --demangle TEXT
//! ```
//!
//! TRACE is tracefs's `trace` file as recorded (`-` for standard input) with the events
//! `workqueue:*`, `timer:timer_start`, `timer:timer_expire_entry`, `timer:timer_expire_exit` and
//! `printk:console` enabled (`qemu/guest-trace.sh` does that). Only the items whose work function
//! is in module NAME (default `rust_workq`) are drawn. `--outstanding` prints how many of them
//! were submitted and have not finished running, and exits 0 only if none: the guest waits on it
//! before it stops the trace. `--runs` prints a record per run of the module's items (who
//! armed, queued and ran it, when, and what it printed: `runs.rs`), from which the grader judges
//! the mechanism an exercise teaches. `--demangle` copies TEXT (a console log, say) with every
//! Rust symbol in it demangled and shortened, as the other outputs name work functions.

mod chrome;
mod model;
mod parse;
mod runs;
mod svg;
mod text;

use std::{
    fs,
    io::{
        self,
        Read, //
    },
    process::ExitCode,
};

struct Args {
    module: String,
    json: Option<String>,
    svg: Option<String>,
    title: Option<String>,
    text: bool,
    outstanding: bool,
    runs: bool,
    demangle: bool,
    input: String,
}

fn args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut a = Args {
        module: "rust_workq".into(),
        json: None,
        svg: None,
        title: None,
        text: false,
        outstanding: false,
        runs: false,
        demangle: false,
        input: String::new(),
    };
    let mut input = None;
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("module") => a.module = p.value()?.string()?,
            Long("json") => a.json = Some(p.value()?.string()?),
            Long("svg") => a.svg = Some(p.value()?.string()?),
            Long("title") => a.title = Some(p.value()?.string()?),
            Long("text") => a.text = true,
            Long("outstanding") => a.outstanding = true,
            Long("runs") => a.runs = true,
            Long("demangle") => a.demangle = true,
            Long("help") | Short('h') => {
                println!("usage: workq-trace [--module NAME] [--json FILE] [--svg FILE] [--title TEXT] [--text] [--outstanding | --runs | --demangle] TRACE");
                std::process::exit(0);
            }
            Value(v) if input.is_none() => input = Some(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    a.input = input.ok_or("missing TRACE (the recorded trace file, or -)")?;
    Ok(a)
}

fn read(path: &str) -> io::Result<String> {
    let mut raw = Vec::new();
    if path == "-" {
        io::stdin().read_to_end(&mut raw)?;
    } else {
        raw = fs::read(path)?;
    }
    // A module can print any bytes into the trace: take them as text, lossily.
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("workq-trace: {e}");
            return ExitCode::from(2);
        }
    };
    let raw = match read(&a.input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("workq-trace: {}: {e}", a.input);
            return ExitCode::FAILURE;
        }
    };
    if a.demangle {
        for l in raw.lines() {
            println!("{}", model::demangle_text(l));
        }
        return ExitCode::SUCCESS;
    }
    let events: Vec<parse::Event> = raw.lines().filter_map(parse::line).collect();
    let t = model::build(&events, &a.module);
    if a.outstanding {
        let n = t.outstanding();
        println!("{n}");
        return if n == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    if a.runs {
        print!("{}", runs::render(&t));
        return ExitCode::SUCCESS;
    }
    let title = a
        .title
        .clone()
        .unwrap_or_else(|| format!("{}: work items from the kernel's tracepoints", a.module));
    if let Some(path) = &a.json {
        let v = chrome::render(&t, &title);
        if let Err(e) = fs::write(path, format!("{v}\n")) {
            eprintln!("workq-trace: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = &a.svg {
        if let Err(e) = fs::write(path, svg::render(&t, &title)) {
            eprintln!("workq-trace: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    if a.text {
        print!("{}", text::render(&t));
    }
    if t.runs.is_empty() {
        eprintln!(
            "workq-trace: no work item of module {} in the trace ({} events read)",
            a.module,
            events.len()
        );
    }
    ExitCode::SUCCESS
}
