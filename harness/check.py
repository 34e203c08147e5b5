# SPDX-License-Identifier: GPL-2.0
"""make check [KERNEL...]: every kernel prepared first (the phases after time what they test), the
host unit tests, the guest suite on every kernel and `make trace` on it, and beside them, reported
after: lint, the harness self-test, the grader's proofs, its box on a hostile class, a class graded
in shares, the slow machine, the grader image on the course platforms' layouts (harness/proofs.py). KTAP: one result per phase, its own stream
indented below it; then the phase times, each suite's reliability figures and "N passed, N failed"
over every leaf result. KERNEL: SERIES/FLAVOR, or FLAVOR on the default series (default: base and
debug on it, base on every other series the mirror offers); KDIR=... checks that tree alone.
TESTS="name ..." limits the guest suite: a focused run, which skips what is not the suite."""
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import kernels, lint, proofs, suite, trace
from .common import ROOT, Fail, env, meta, notes_to
from .ktap import Ktap, Phase

TITLES = ("lint", "harness self-test", "grader proofs", "grade-all sandbox", "grade-all shards", "slow machine", "course platforms", "class pipeline")


def indented(s):
    """A stream below the top level's result: each line indented by four spaces."""
    return "".join("    " + l for l in s.splitlines(True))


class Shown(io.StringIO):
    """A foreground phase's stream: printed indented as it comes, and kept."""

    def write(self, s):
        sys.stdout.write(indented(s))
        sys.stdout.flush()
        return super().write(s)


@dataclass
class Job:
    """A phase beside the suites: fn(phase) writes its stream and returns False where it failed
    beyond its results; one that raises fails with why, and the others go on."""
    title: str
    fn: object
    phase: Phase = field(default_factory=Phase)
    ok: bool = False
    t0: float = 0.0
    t1: float = 0.0

    def run(self):
        self.t0 = time.monotonic()
        try:
            with notes_to(self.phase.diag):
                self.ok = self.fn(self.phase) is not False
        except Fail as e:
            self.phase.diag(f"error: {e}")
        except Exception:  # a bug in a phase
            self.phase.diag(traceback.format_exc().rstrip())
        self.t1 = time.monotonic()


def start(groups):
    """Runs each group of jobs in a thread of its own, the jobs of a group one after another."""
    threads = [threading.Thread(target=lambda g=g: [j.run() for j in g], daemon=True) for g in groups]
    for t in threads:
        t.start()
    return threads


class Report:
    """The top-level stream, the phase times and the leaf counts."""

    def __init__(self):
        self.top, self.times, self.passed, self.failed = Ktap(), [], 0, 0

    def end(self, name, t0, ok, passed=0, failed=0, t1=None):
        """One phase's result; a failed phase counts one failed leaf at least."""
        self.times.append(f"{name:<26} {(t1 or time.monotonic()) - t0:7.1f}s")
        self.passed += passed
        self.failed += failed or not ok
        self.top.result(bool(ok), name)

    def phase(self, name, t0, ph, ok=True, t1=None):
        """A phase with a stream: it fails on a failed result, or with none (it proved nothing)."""
        self.end(name, t0, ok and ph.n > 0 and ph.failed == 0, ph.leaves_passed, ph.leaves_failed, t1)


def kernel_names(argv):
    if env("KDIR"):
        return ["custom/base"]
    series = kernels.default_series()
    if argv:
        return [k if "/" in k else f"{series}/{k}" for k in argv]
    return [f"{series}/base", f"{series}/debug"] + [f"{s}/base" for s in kernels.offered() if s != series]


def guest_specs(names):
    """TESTS's guest tests (names, or paths), or every one."""
    tests = {meta(t)["name"]: t for t in suite.guest_tests()}
    for n in names:
        if n not in tests and not Path(n).is_file():
            raise Fail(f"TESTS: no guest test named '{n}' (tests/guest/NN-{n}.sh)")
    return [(tests.get(n) or Path(n), None) for n in names] if names else [(t, None) for t in tests.values()]


def counts(text, rc):
    """Passed and failed tests of cargo's "test result:" lines (libtest's JSON is unstable); a
    failure that reports no test (a build that failed) counts as one."""
    n = lambda pattern: sum(map(int, re.findall(pattern, text, re.M)))
    return n(r"test result: \S+ (\d+) passed;"), n(r"test result: \S+ \d+ passed; (\d+) failed") or int(rc != 0)


# The harness's unit tests run in a child (they patch modules the phases beside them use), which
# hands back its counts as data.
UNITTEST = """import json, sys, unittest
r = unittest.main(module=None, argv=["unittest", "discover", "-s", sys.argv[2], "-t", sys.argv[3], "-p", "test_*.py"], exit=False).result
json.dump({"run": r.testsRun, "failed": len(r.failures) + len(r.errors) + len(r.unexpectedSuccesses), "skipped": len(r.skipped)},
          open(sys.argv[1], "w"))
"""


def unit_tests(start, top):
    """The unittest tests in start (test_*.py, imported from top), their output shown: passed and
    failed; a run that hands back no counts failed once."""
    with tempfile.TemporaryDirectory() as t:
        rc, _ = shown([sys.executable, "-c", UNITTEST, f"{t}/counts.json", start, top], top)
        try:
            d = json.loads(Path(t, "counts.json").read_text())
            return d["run"] - d["failed"] - d["skipped"], d["failed"] or int(rc != 0)
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 1


def shown(argv, cwd):
    """Runs argv, its output printed indented as it comes: its status and its output."""
    out = []
    try:
        with subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as p:
            for l in p.stdout:
                print(f"    {l}", end="", flush=True)
                out.append(l)
        return p.returncode, "".join(out)
    except OSError as e:
        print(f"    {e}", flush=True)
        return 127, ""


def figures(name, r):
    """The reliability figures and time margins of one suite's Results."""
    if r is None:
        return [f"{name}: no results (the kernel or module did not build)"]
    s = r.summary
    out = [f"{name}: speed factor {r.speed_factor}", f"{name}: {s['figures']}", f"{name}: closest to its time limit: {s['closest']}"]
    for key, what in (("crashed", "CRASHED the guest"), ("inconclusive", "INCONCLUSIVE (set-up never happened)"), ("retried", "set-up missed, run again")):
        if s[key]:
            out.append(f"{name}: {what}: {' '.join(s[key])}")
    return out


def background(names, kernel):
    """The phases beside the suites (TITLES), started: lint and the self-test each in a thread;
    the proofs, the hostile class and the shards one after another (all boot guests); the slow
    machine in its own; the course platforms (an image build, then grades at half a CPU) and the
    class pipeline (gitlab-ci-local in that image) one after the other in their own. The proofs take every base kernel of a series, the self-test the default
    series' base kernel."""
    def niced(ph):  # compiling yields the CPU to the guests, whose time it would take (this thread only)
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        return lint.lint(ph)
    own = "custom/base" if env("KDIR") else f"{kernels.default_series()}/base"
    base = [k for k in names if k.endswith("/base") and not k.startswith("custom/")]
    groups = [[Job("lint", niced)], [Job("harness self-test", lambda ph: proofs.selftest(kernel(own), ph))]]
    if base:
        groups += [[Job("grader proofs", lambda ph: proofs.grade_proof([kernel(k) for k in base], ph)),
                    Job("grade-all sandbox", proofs.grade_class), Job("grade-all shards", proofs.grade_shards)],
                   [Job("slow machine", lambda ph: proofs.slow(kernel(base[0]), ph))], [Job("course platforms", proofs.platforms), Job("class pipeline", proofs.class_pipeline)]]
    return [j for g in groups for j in g], start(groups)


def check(argv):
    t_all = time.monotonic()
    kernels.deps(test=True)  # and what the tests need (headless Chromium draws the trace's timeline)
    names = kernel_names(argv)
    focused = f"TESTS={env('TESTS')}: a focused run" if env("TESTS") else ""
    specs = guest_specs(env("TESTS").split())
    r, results, prepared = Report(), {}, {}

    def kernel(k):
        """A kernel this run lists, prepared once below; the self-test's may be another."""
        if k in prepared or k not in names:
            return prepared.get(k) or kernels.prepare(*k.split("/"))
        raise Fail(f"kernel {k} could not be prepared (its phase above)")
    r.top.header()
    r.top.plan(1 + len(TITLES) + 3 * len(names))
    r.top.diag(f"kernels: {' '.join(names)}")
    for k in names:
        t0 = time.monotonic()
        r.top.diag(f"kernel {k}")
        try:
            with notes_to(lambda l: print(f"    # {l}", flush=True)):
                prepared[k] = kernels.prepare(*k.split("/"))
        except Fail as e:
            print(f"    error: {e}", flush=True)
        r.end(f"kernel {k}", t0, k in prepared)
    jobs, threads = background(names, kernel) if not focused else ([], [])

    t0 = time.monotonic()
    r.top.diag("host unit tests")
    rc, out = shown(["cargo", "test", "-q", "--locked"], ROOT / "userspace")
    cp, cf = counts(out, rc)
    up, uf = unit_tests(ROOT / "harness", ROOT)
    r.end("host unit tests", t0, rc == 0 and uf == 0, cp + up, cf + uf)

    for k in names:
        for name, what in ((k, "guest suite"), (f"trace on {k}", "make trace")):
            if focused and what == "make trace":
                r.top.result("skip", name, focused)
                continue
            t0, ph, ok = time.monotonic(), Phase(), False
            ph.out = Shown()
            r.top.diag(f"{what} on {k}")
            try:
                with notes_to(ph.diag):
                    if what == "guest suite":
                        results[k] = suite.run(kernel(k), specs, log=kernel(k).out / "log", ktap=ph)
                        ok = results[k].host_ok
                    else:
                        ok = trace.trace_test(kernel(k), kernel(k).out / "trace", ph)
            except Fail as e:
                ph.diag(f"error: {e}")
            r.phase(name, t0, ph, ok)

    for t in threads:
        t.join()
    for j in jobs:
        r.top.diag(f"{j.title} (ran alongside the suites)")
        sys.stdout.write(indented(j.phase.text()))
        r.phase(j.title, j.t0, j.phase, j.ok, j.t1)
    for title in TITLES[len(jobs):]:
        r.top.result("skip", title, focused or "no base kernel of a supported series")
    r.top.totals()
    print("# Phase times:")
    for line in r.times + [f"{'total':<26} {time.monotonic() - t_all:7.1f}s"]:
        print(f"#   {line}")
    print("# Reliability figures and time margins (this run's guest tests):")
    for line in (f for k in names for f in figures(k, results.get(k))):
        print(f"#   {line}")
    print(f"{r.passed} passed, {r.failed} failed")
    return 0 if r.top.ok and r.failed == 0 else 1


COMMANDS = {"check": check}
