// SPDX-License-Identifier: GPL-2.0

//! The device: open it, issue raw ioctls, read the stats.

use std::{
    fs::{
        File,
        OpenOptions, //
    },
    io,
    os::fd::AsRawFd,
};

use nix::errno::Errno;
use rust_workq_abi::{
    Stats,
    GET_STATS, //
};

pub const DEVICE: &str = "/dev/mydevice";

pub fn open() -> io::Result<File> {
    open_path(DEVICE)
}

pub fn open_path(path: &str) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

/// Issues `cmd` with a raw argument; returns 0 or the errno.
pub fn ioctl_raw(file: &File, cmd: u32, arg: usize) -> i32 {
    // SAFETY: The kernel validates `arg` before it touches memory through it; a pointer the
    // caller passes either points at its own live buffer of the size encoded in `cmd`, or is
    // deliberately invalid (the fuzzer), which the kernel answers with EFAULT.
    let ret = unsafe { nix::libc::ioctl(file.as_raw_fd(), cmd.into(), arg) };
    match Errno::result(ret) {
        Ok(_) => 0,
        Err(e) => e as i32,
    }
}

/// Issues an `_IOW(.., u32)` command with `value`.
pub fn ioctl_u32(file: &File, cmd: u32, value: u32) -> i32 {
    let v = value;
    ioctl_raw(file, cmd, &v as *const u32 as usize)
}

pub fn stats(file: &File) -> io::Result<Stats> {
    let mut buf = vec![0u8; core::mem::size_of::<Stats>()];
    match ioctl_raw(file, GET_STATS, buf.as_mut_ptr() as usize) {
        0 => Stats::from_bytes(&buf).ok_or_else(|| io::Error::other("short GET_STATS reply")),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// The name of an errno (0 is "ok"): `ENOTTY`, or `errno523` for one nix does not know.
pub fn errno_name(e: i32) -> String {
    match Errno::from_raw(e) {
        _ if e == 0 => "ok".into(),
        Errno::UnknownErrno => format!("errno{e}"),
        known => format!("{known:?}"),
    }
}
