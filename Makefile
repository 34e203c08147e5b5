# SPDX-License-Identifier: GPL-2.0
# The single front door. Kbuild (next to this file) describes the module for the kernel's build.
#
#   make demo           boot the guest and walk through exercises 1-10
#   make check          lint, host tests, the guest suite in QEMU on both kernels (what CI runs)
#   make bench          Rust module vs its C twin in one boot (BENCH_CALLS=10000)
#   make run            interactive guest shell with the module loaded
#   make run CMD='...'  run a command in the guest (qemu/run.sh 'CMD' keeps its exit status)
#   make lint           rustfmt + clippy for the module and the tools
#   make rust-analyzer  write rust-project.json so an editor resolves kernel:: items
#   make module         build rust_workq.ko only
#   make kernel         fetch and build the cached kernel (and the module)
#   make clean          remove build/ (the kernel cache in ~/.cache/rust_workq stays)
#
# KDIR=/path/to/linux-build builds against your own Rust-enabled kernel tree instead of the cache.
# ACCEL=kvm boots with KVM instead of TCG.

SHELL := /bin/bash
FLAVOR ?= base
CHECK_KERNELS ?= base debug
export KDIR ACCEL TESTS CLIPPY CMD FLAVOR

BENCH_CALLS ?= 10000

.PHONY: demo check bench lint rust-analyzer run module kernel tools deps clean help

help:
	@sed -n '3,17p' Makefile | sed 's/^# \{0,1\}//'

demo:
	@color=0; [ -t 1 ] && color=1; bash qemu/run.sh "COLOR=$$color sh /demo/lab.sh"

check:
	@bash tests/host/check.sh $(CHECK_KERNELS)

# TSC clock for nanosecond latencies; its calibration error cancels out of the Rust/C ratios.
bench:
	@bash qemu/run.sh --flavor base --tsc --timeout 1800 --logdir build/bench/log "sh /demo/bench.sh $(BENCH_CALLS)"

lint:
	@bash tests/host/lint.sh

rust-analyzer:
	@bash qemu/rust-analyzer.sh

# With CMD, make exits 2 when the command fails; qemu/run.sh 'CMD' exits with its own status.
run:
	@bash qemu/run.sh $${CMD:+"$$CMD"}

module kernel:
	@bash qemu/prepare.sh $(FLAVOR) >/dev/null

tools:
	@bash qemu/tools.sh

deps:
	@bash qemu/deps.sh

clean:
	rm -rf build userspace/target rust-project.json

