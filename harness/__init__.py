# SPDX-License-Identifier: GPL-2.0
"""The host side of the rust_workq lab's harness: one program, `python3 -m harness`, in the
shape of the kernel's kunit.py. The guest side (busybox sh: the runner, the tests, the grader's
checks) and the Rust tools stay where they are; this package prepares kernels, boots guests,
reads what they send back as data, and prints KTAP from it.

  common    the project's places, one-line failures, phase times, the "#@" reader, test names
  kernels   series and flavours, dependencies, the kernel cache and its key, the module, the
            tools, the initramfs: a Kernel, prepared once per kernel and passed
  boot      the QEMU argv, the channels by name, caps, the watchdog, the speed factor
  records   the guest's data channel as Records, one suite's Results (results.json)
  ktap      KTAP printed from results; a phase's stream in memory
  suite     one kernel's guest suite: limits, crash isolation, the host's own checks
  sandbox   the build box for untrusted module directories (bubblewrap, setpriv)
  grade     make grade, grade-all, grade-merge, skels: points, results.json, the class table
  trace     make trace, its checks, make demo, make bench, make run
  lint      make lint
  platforms the course platforms: make image, make autograder, Gradescope's and PrairieLearn's
            entry points and their results' shapes
  check     make check: the phases and their scheduler; proofs: what the phases prove
"""
