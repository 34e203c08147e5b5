# SPDX-License-Identifier: GPL-2.0
# The single front door. Kbuild (next to this file) describes the module for the kernel's build.
# `make help` lists the targets (from the "##" comments below) and the variables.

SHELL := /bin/bash
# The command for `make run CMD=...`, exactly as typed: $(value) keeps make from expanding $x,
# $(...) and $? in it before the guest's shell sees them.
export RWQ_CMD = $(value CMD)
export KERNEL_SERIES FLAVOR KDIR ACCEL TESTS SOAK_SECONDS CHECK_KERNELS MODULE EXERCISE EXTRA_TESTS DEBUG TODO FORCE SUBMISSIONS
export SLOWDOWN TIMEOUT_MUL STUDENT_KBUILD UNSAFE HIDDEN_VISIBILITY GRADER_DEBUG GRADER_IMAGE
BENCH_CALLS ?= 10000

# The harness is one Python program (harness/): python3 is all it needs to start, and it installs
# the rest (make deps). A machine without python3 hears so when a target needs it.
ROOT_DIR := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
HARNESS = $(if $(shell command -v python3),PYTHONPATH=$(ROOT_DIR) python3 -m harness,$(error python3 not found: install it (as root: apt-get install python3), then every target installs what else it needs))

.PHONY: help demo check run trace soak bench lint module kernel kernel-key tools deps rust-analyzer clean skels grade grade-all grade-merge image autograder

help: ## this list
	@echo "targets:"
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)$$/  make \1\t\2/p' Makefile | expand -t 24
	@echo "variables:"
	@sed -n "s/^#: /  /p" Makefile

#: KERNEL_SERIES=7.2|7.3   kernel series (default: the newest supported one the mirror offers)
#: FLAVOR=base|debug      kernel flavour for run, demo, soak, module (qemu/flavors/; default base)
#: KDIR=/path/to/build    use your own built Rust-enabled kernel tree instead of the cache
#: TESTS="e1_kick ..."    limit the guest suite of make check to these tests
#: CHECK_KERNELS="7.3/base ..."  the kernels make check covers (default: all, see README)
#: SOAK_SECONDS=N         how long the soak scenarios run (make soak; make check uses the flavour's)
#: ACCEL=kvm              boot with KVM instead of TCG (only where KVM really works)
#: SLOWDOWN=N             QEMU gets 1/N of one CPU (cgroup cpu controller): a slow machine on demand
#: TIMEOUT_MUL=N          scale every time limit and wait by N (default: measured by a calibration boot)
#: TODO=N                 make skels: exercises 1..N-1 come solved (default 1: none); FORCE=1 overwrites skels/
#: MODULE=DIR             make grade, make run: that module directory instead of the reference (e.g. skels)
#: EXERCISE=N             make grade: only exercise N's checks (0-10, robustness)
#: EXTRA_TESTS=DIR        make grade: an instructor's own checks (DIR/*.sh), hidden in the JSON
#: DEBUG=1                make grade, grade-all: on the debug kernel (KASAN, lockdep, DEBUG_OBJECTS)
#: SUBMISSIONS=DIR        make grade-all: one module directory per submission; FORCE=1 regrades all
#: SHARD=I/N              make grade-all: only the I-th of N shares (default: GitLab's CI_NODE_INDEX/CI_NODE_TOTAL)
#: RESULTS="DIR ..."      make grade-merge: the shares' output directories (build/grade-shard-I-of-N)
#: STUDENT_KBUILD=1       make grade, grade-all, run: build with the submission's own Kbuild (in the box)
#: UNSAFE=flag|forbid|allow  make grade, grade-all: list (default), refuse or ignore unsafe code beyond the starter's
#: HIDDEN_VISIBILITY=...   Gradescope: what students see of EXTRA_TESTS's checks (after_published; hidden, after_due_date, visible)
#: GRADER_DEBUG=1         make image, Gradescope's setup.sh: the debug kernel too (for DEBUG=1 grades)
#: GRADER_IMAGE=NAME      make image: the image's name (default localhost/rust-workq-grader:latest)

demo: ## boot the guest and walk through exercises 1-10; the timelines of 5 and 10 in build/trace/
	@$(HARNESS) demo

check: ## the guest suite on every kernel, lint, host tests, harness self-test, grader proofs (what CI runs)
	@$(HARNESS) check $(CHECK_KERNELS)

skels: ## write the lab's starter to skels/, generated from the solution (TODO=N, FORCE=1)
	@$(HARNESS) skels skels

grade: ## grade MODULE=DIR (default: the reference) with points; build/grade/results.json
	@$(HARNESS) grade

grade-all: ## grade every SUBMISSIONS=DIR/*/ (sandboxed builds); build/grade/class.csv
	@$(HARNESS) grade-all

grade-merge: ## join the shares of grade-all SHARD=I/N (RESULTS="DIR ...") into build/grade/class.csv
	@$(HARNESS) grade-merge $(RESULTS)

image: ## the grader image (podman): everything make grade needs, built in; Gradescope's and PrairieLearn's entry points
	@$(HARNESS) image

autograder: ## Gradescope's autograder: build/autograder/gradescope.zip (setup.sh, run_autograder, the project)
	@$(HARNESS) autograder

run: ## interactive guest shell with the module loaded; CMD='...' runs a command instead
	@$(HARNESS) run

trace: ## record the workqueue tracepoints while CMD='...' runs: build/trace/{trace.txt,trace.json,timeline.svg}
	@$(HARNESS) trace

soak: ## the load/unload, concurrency and fuzz scenarios for SOAK_SECONDS each (default 600)
	@SOAK_SECONDS=$${SOAK_SECONDS:-600} $(HARNESS) soak

bench: ## the Rust module against its C twin in one boot (BENCH_CALLS=10000); rows in build/bench/
	@$(HARNESS) bench $(BENCH_CALLS)

lint: ## rustfmt, clippy (CLIPPY=1) on every series, cargo fmt/clippy, shellcheck
	@$(HARNESS) lint

module: ## build rust_workq.ko only (against the cached kernel, or KDIR)
	@$(HARNESS) module

kernel: ## fetch and build the cached kernel of KERNEL_SERIES and FLAVOR
	@$(HARNESS) kernel

kernel-key: ## print the cached kernel's name and key (KERNEL_SERIES, FLAVOR): a CI cache key
	@$(HARNESS) kernel-key

tools: ## build the static userspace tools
	@$(HARNESS) tools

deps: ## install the Debian packages and bindgen the build needs
	@$(HARNESS) deps

rust-analyzer: ## write rust-project.json so an editor resolves kernel:: items
	@$(HARNESS) rust-analyzer

clean: ## remove build/ (the kernel cache in ~/.cache/rust_workq stays)
	rm -rf build userspace/target rust-project.json
