// SPDX-License-Identifier: GPL-2.0

//! The ioctl ABI of `/dev/mydevice` for userspace: the kernel module's own `ioctl_abi.rs`,
//! compiled against `const fn` twins of the kernel's `_IO`/`_IOR`/`_IOW` encoders, which nix's
//! `request_code_*!` compute.

#![expect(non_snake_case, reason = "the encoders keep the kernel's names")]

use nix::{
    request_code_none,
    request_code_read,
    request_code_readwrite,
    request_code_write, //
};

/// Direction bits of an ioctl number, as in `include/uapi/asm-generic/ioctl.h`.
pub const IOC_NONE: u32 = 0;
/// Userspace writes, the driver reads.
pub const IOC_WRITE: u32 = 1;
/// The driver writes, userspace reads.
pub const IOC_READ: u32 = 2;

const IOC_NRBITS: u32 = 8;
const IOC_TYPEBITS: u32 = 8;
const IOC_SIZEBITS: u32 = 14;
const IOC_TYPESHIFT: u32 = IOC_NRBITS;
const IOC_SIZESHIFT: u32 = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT: u32 = IOC_SIZESHIFT + IOC_SIZEBITS;

/// The largest size an ioctl number can carry.
pub const IOC_SIZE_MAX: u32 = (1 << IOC_SIZEBITS) - 1;

/// `_IOC(dir, type, nr, size)`, encoded by nix's `request_code_*!`; panics (at compile time in
/// constants) on out-of-range fields, which nix would mask silently.
pub const fn _IOC(dir: u32, ty: u32, nr: u32, size: usize) -> u32 {
    assert!(dir <= 3 && ty <= 0xff && nr <= 0xff && size <= IOC_SIZE_MAX as usize);
    let (ty, nr) = (ty as u8, nr as u8);
    // Every field is in range (above), so the number fits the 32 bits of `_IOC`.
    (match dir {
        IOC_NONE => request_code_none!(ty, nr),
        IOC_READ => request_code_read!(ty, nr, size),
        IOC_WRITE => request_code_write!(ty, nr, size),
        _ => request_code_readwrite!(ty, nr, size),
    }) as u32
}

/// `_IOC_DIR(cmd)`: the direction bits of an ioctl number.
pub const fn _IOC_DIR(cmd: u32) -> u32 {
    cmd >> IOC_DIRSHIFT
}

/// `_IOC_TYPE(cmd)`: the type ("magic") byte of an ioctl number.
pub const fn _IOC_TYPE(cmd: u32) -> u32 {
    (cmd >> IOC_TYPESHIFT) & ((1 << IOC_TYPEBITS) - 1)
}

/// `_IOC_NR(cmd)`: the command number within its type.
pub const fn _IOC_NR(cmd: u32) -> u32 {
    cmd & ((1 << IOC_NRBITS) - 1)
}

/// `_IOC_SIZE(cmd)`: the argument size an ioctl number carries.
pub const fn _IOC_SIZE(cmd: u32) -> u32 {
    (cmd >> IOC_SIZESHIFT) & IOC_SIZE_MAX
}

/// `_IO(type, nr)`: a command without argument.
pub const fn _IO(ty: u32, nr: u32) -> u32 {
    _IOC(IOC_NONE, ty, nr, 0)
}

/// `_IOR(type, nr, T)`: the driver copies a `T` out.
pub const fn _IOR<T>(ty: u32, nr: u32) -> u32 {
    _IOC(IOC_READ, ty, nr, core::mem::size_of::<T>())
}

/// `_IOW(type, nr, T)`: the driver copies a `T` in.
pub const fn _IOW<T>(ty: u32, nr: u32) -> u32 {
    _IOC(IOC_WRITE, ty, nr, core::mem::size_of::<T>())
}

#[path = "../../../ioctl_abi.rs"]
mod ioctl_abi;

pub use ioctl_abi::*;

impl Stats {
    /// Decodes the bytes `GET_STATS` copied out (native endianness, as the kernel wrote them).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != core::mem::size_of::<Self>() {
            return None;
        }
        let mut words = bytes
            .chunks_exact(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap_or_default()));
        let item = |_| ItemStats {
            submitted: words.next().unwrap_or_default(),
            queued: words.next().unwrap_or_default(),
            dropped: words.next().unwrap_or_default(),
            ran: words.next().unwrap_or_default(),
            cancelled: words.next().unwrap_or_default(),
            last_latency_ns: words.next().unwrap_or_default(),
            last_latency_jiffies: words.next().unwrap_or_default(),
        };
        Some(Stats::from_items(core::array::from_fn(item)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values computed by hand from include/uapi/asm-generic/ioctl.h; `_IOW('J', 11, u32)` is the
    // number strace shows for the lab's `ioctl /dev/mydevice -t J -n 11 -d write -s 4`.
    #[test]
    fn encodes_like_the_kernel() {
        assert_eq!(KICK, 0x0000_4a0a);
        assert_eq!(KICK_WITH_VALUE, 0x4004_4a0b);
        assert_eq!(KICK_QUICK, 0x0000_4a0c);
        assert_eq!(KICK_SLOW, 0x0000_4a0d);
        assert_eq!(KICK_DELAYED, 0x0000_4a0e);
        assert_eq!(START_RESCHED, 0x4004_4a0f);
        assert_eq!(SPAWN, 0x4004_4a10);
        assert_eq!(GET_STATS, 0x8150_4a11);
        assert_eq!(KICK_DELAYED_MS, 0x4004_4a12);
    }

    #[test]
    fn decodes_like_the_kernel() {
        let cmd = GET_STATS;
        assert_eq!(_IOC_DIR(cmd), IOC_READ);
        assert_eq!(_IOC_TYPE(cmd), u32::from(b'J'));
        assert_eq!(_IOC_NR(cmd), 17);
        assert_eq!(_IOC_SIZE(cmd) as usize, core::mem::size_of::<Stats>());
    }

    #[test]
    fn known_kernel_numbers() {
        // FS_IOC_GETFLAGS is _IOR('f', 1, long) = 0x80086601 on x86_64.
        assert_eq!(_IOR::<u64>(b'f' as u32, 1), 0x8008_6601);
        // TCGETS2-style check of the size field: _IOW('T', 0x2B, [u8; 44]) = 0x402c542b.
        assert_eq!(_IOW::<[u8; 44]>(b'T' as u32, 0x2b), 0x402c_542b);
    }

    #[test]
    fn stats_layout_has_no_padding() {
        assert_eq!(core::mem::size_of::<ItemStats>(), 7 * 8);
        assert_eq!(core::mem::size_of::<Stats>(), 6 * 7 * 8);
    }

    #[test]
    fn stats_round_trip() {
        let mut bytes = vec![0u8; core::mem::size_of::<Stats>()];
        bytes[8..16].copy_from_slice(&7u64.to_ne_bytes()); // kick.queued
        bytes[5 * 56 + 24..5 * 56 + 32].copy_from_slice(&3u64.to_ne_bytes()); // spawn.ran
        let s = Stats::from_bytes(&bytes).expect("right size");
        assert_eq!(s.kick.queued, 7);
        assert_eq!(s.spawn.ran, 3);
        assert!(Stats::from_bytes(&bytes[1..]).is_none());
    }

    #[test]
    #[should_panic]
    fn rejects_out_of_range_fields() {
        let nr = std::hint::black_box(256);
        let _ = _IOC(IOC_NONE, b'J' as u32, nr, 0);
    }
}
