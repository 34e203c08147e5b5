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
    let ret = unsafe { libc::ioctl(file.as_raw_fd(), cmd as libc::c_ulong, arg) };
    if ret < 0 {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    } else {
        0
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

/// The name of an errno this tool may see.
pub fn errno_name(e: i32) -> String {
    match e {
        0 => "ok".into(),
        libc::ENOTTY => "ENOTTY".into(),
        libc::EFAULT => "EFAULT".into(),
        libc::EINVAL => "EINVAL".into(),
        libc::ENOMEM => "ENOMEM".into(),
        libc::ENODEV => "ENODEV".into(),
        libc::ENOENT => "ENOENT".into(),
        libc::EACCES => "EACCES".into(),
        e => format!("errno{e}"),
    }
}
