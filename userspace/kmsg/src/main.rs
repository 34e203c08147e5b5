// SPDX-License-Identifier: GPL-2.0

//! `kmsg`: the parts of util-linux `dmesg` the lab uses and busybox's `dmesg` lacks: `-w`
//! (follow) and `-T` (wall-clock timestamps). The guest's `/bin/dmesg` hands those options here
//! and everything else to busybox.
//!
//! ```text
//! kmsg [-T] [-w]      # dmesg -T, dmesg -w, dmesg -T -w
//! ```
//!
//! It reads `/dev/kmsg` from the last clear (as `dmesg` does after `dmesg -c`) and prints each
//! record as `[seconds.micros] text`, or `[Tue Nov 24 03:00:05 2026] text` with `-T`.

use std::{
    fs::File,
    io::{
        self,
        Read,
        Write, //
    },
    process::ExitCode,
};

use nix::{
    errno::Errno,
    fcntl::{
        fcntl,
        FcntlArg,
        OFlag, //
    },
    libc,
    time::{
        clock_gettime,
        ClockId, //
    },
    unistd::{
        lseek,
        Whence, //
    },
};

/// One record of `/dev/kmsg`: "PRI,SEQ,TS_USEC,FLAGS;TEXT\n" plus optional " KEY=VALUE" lines.
#[derive(Debug, PartialEq)]
struct Record {
    usec: u64,
    text: String,
}

fn parse(raw: &[u8]) -> Option<Record> {
    let s = String::from_utf8_lossy(raw);
    let (head, rest) = s.split_once(';')?;
    let usec = head.split(',').nth(2)?.parse().ok()?;
    let msg = rest.lines().next().unwrap_or("");
    Some(Record {
        usec,
        text: unescape(msg),
    })
}

/// Undoes the kernel's `\xNN` escaping of non-printable bytes.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1] == b'x' {
            if let Ok(v) = u8::from_str_radix(&s[i + 2..i + 4], 16) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A clock's time in seconds (0 if it cannot be read, which no Linux clock used here does).
fn clock(id: ClockId) -> f64 {
    clock_gettime(id).map_or(0.0, |t| t.tv_sec() as f64 + t.tv_nsec() as f64 / 1e9)
}

/// `[Tue Nov 24 03:00:05 2026]` for a record `usec` after boot.
fn wall(usec: u64) -> String {
    let boot = clock(ClockId::CLOCK_REALTIME) - clock(ClockId::CLOCK_BOOTTIME);
    let t = (boot + usec as f64 / 1e6) as libc::time_t;
    // nix has no `localtime_r` and `strftime`: they come from libc, as nix's own calls do.
    // SAFETY: `tm` is plain data that `localtime_r` fills in; all-zero is a valid value.
    let mut tm: libc::tm = unsafe { core::mem::zeroed() };
    let mut buf = [0u8; 64];
    // SAFETY: `t` and `tm` are valid for the call; `strftime` writes at most `buf.len()` bytes
    // into `buf` with a NUL-terminated format.
    let n = unsafe {
        libc::localtime_r(&t, &mut tm);
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%a %b %e %H:%M:%S %Y".as_ptr(),
            &tm,
        )
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn format(r: &Record, wall_clock: bool) -> String {
    if wall_clock {
        format!("[{}] {}", wall(r.usec), r.text)
    } else {
        format!(
            "[{:5}.{:06}] {}",
            r.usec / 1_000_000,
            r.usec % 1_000_000,
            r.text
        )
    }
}

fn run(wall_clock: bool, follow: bool) -> io::Result<()> {
    let mut kmsg = File::open("/dev/kmsg")?;
    // SEEK_DATA on /dev/kmsg moves to the first record after the last clear.
    lseek(&kmsg, 0, Whence::SeekData)?;
    if !follow {
        // O_NONBLOCK makes the end of the buffer an EAGAIN instead of a wait.
        let flags = OFlag::from_bits_retain(fcntl(&kmsg, FcntlArg::F_GETFL)?);
        fcntl(&kmsg, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    }
    let mut out = io::stdout().lock();
    let mut buf = vec![0u8; 8192];
    loop {
        match kmsg.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if let Some(r) = parse(&buf[..n]) {
                    writeln!(out, "{}", format(&r, wall_clock))?;
                    if follow {
                        out.flush()?;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            // EPIPE: records were overwritten while we read; go on with the next one.
            Err(e) if e.raw_os_error() == Some(Errno::EPIPE as i32) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The options: `-T` (`--ctime`) and `-w` (`--follow`), also as `-Tw`.
fn options(args: impl IntoIterator<Item = String>) -> Result<(bool, bool), lexopt::Error> {
    use lexopt::prelude::*;
    let (mut wall_clock, mut follow) = (false, false);
    let mut p = lexopt::Parser::from_args(args);
    while let Some(arg) = p.next()? {
        match arg {
            Short('T') | Long("ctime") => wall_clock = true,
            Short('w') | Long("follow") => follow = true,
            _ => return Err(arg.unexpected()),
        }
    }
    Ok((wall_clock, follow))
}

fn main() -> ExitCode {
    let (wall_clock, follow) = match options(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("kmsg: {e}\nusage: kmsg [-T] [-w]");
            return ExitCode::from(2);
        }
    };
    match run(wall_clock, follow) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kmsg: /dev/kmsg: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kmsg_records() {
        let r =
            parse(b"6,1234,5933038,-;rust_workq: worker ran [on kworker pid 9]\n SUBSYSTEM=x\n")
                .expect("a record");
        assert_eq!(r.usec, 5_933_038);
        assert_eq!(r.text, "rust_workq: worker ran [on kworker pid 9]");
        assert_eq!(
            format(&r, false),
            "[    5.933038] rust_workq: worker ran [on kworker pid 9]"
        );
        assert!(parse(b"garbage").is_none());
    }

    #[test]
    fn takes_dmesg_options() {
        let o = |s: &str| options(s.split_whitespace().map(String::from)).ok();
        assert_eq!(o(""), Some((false, false)));
        assert_eq!(o("-T -w"), Some((true, true)));
        assert_eq!(o("-Tw"), Some((true, true)));
        assert_eq!(o("--follow"), Some((false, true)));
        assert_eq!(o("-x"), None);
        assert_eq!(o("file"), None);
    }

    #[test]
    fn unescapes_like_the_kernel_escapes() {
        assert_eq!(unescape(r"tab\x09here"), "tab\there");
        assert_eq!(unescape(r"no\xzzescape"), r"no\xzzescape");
        assert_eq!(unescape(r"end\x4"), r"end\x4");
    }
}
