// SPDX-License-Identifier: GPL-2.0

//! Seeds for the seeded generator (`fastrand::Rng::with_seed`), so that a failing run can be
//! replayed from its seed.

/// A seed from the clock, for runs that do not ask for one.
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
}
