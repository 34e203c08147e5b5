# SPDX-License-Identifier: GPL-2.0
"""Unit tests of make check's parts that need no guest: the kernel list, the scheduler of the
phases beside the suites (their verdicts, leaf counts and times), the figures from recorded
Results, cargo's counts from its captured output and unittest's as data, and the proofs' plumbing (a
child process's stream, the module cache)."""
import contextlib
import io
import tempfile
import threading
import time
import unittest
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from harness import check, kernels, proofs, records
from harness.common import Fail
from harness.ktap import Phase

# Captured: `cargo test -q --locked` in userspace/ (two of its crates), a failing crate, and one
# that does not compile.
CARGO_OK = """
running 6 tests
......
test result: ok. 6 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s


running 16 tests
................
test result: ok. 16 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
"""
CARGO_FAILED = CARGO_OK + """
running 3 tests
.F.
failures:
    tests::abi_matches

test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

error: test failed, to rerun pass `-p ioctl --lib`
"""
CARGO_BROKEN = """error[E0425]: cannot find value `x` in this scope
error: could not compile `ioctl` (lib test) due to 1 previous error
"""
# Real unittest modules: a failure, an error, a skip, an expected failure and a pass; one that
# does not import.
MIXED = """import unittest
class T(unittest.TestCase):
    def test_fails(self): self.fail()
    def test_errs(self): raise OSError
    @unittest.skip("no")
    def test_skipped(self): pass
    @unittest.expectedFailure
    def test_expected(self): self.fail()
    def test_passes(self): pass
"""


@dataclass(frozen=True)
class FakeKernel:
    name: str = "7.3/base"
    dir: Path = Path("/k")
    out: Path = Path("/out/7.3-base")


class KernelListTest(unittest.TestCase):
    def names(self, argv, kdir=""):
        with mock.patch.dict("os.environ", {"KDIR": kdir}), mock.patch.object(kernels, "default_series", lambda: "7.3"), \
                mock.patch.object(kernels, "offered", lambda: ["7.3", "7.2"]):
            return check.kernel_names(argv)

    def test_default_is_base_and_debug_then_base_of_every_other_series(self):
        self.assertEqual(self.names([]), ["7.3/base", "7.3/debug", "7.2/base"])

    def test_a_flavour_alone_is_on_the_default_series(self):
        self.assertEqual(self.names(["debug", "7.2/base"]), ["7.3/debug", "7.2/base"])

    def test_kdir_is_that_tree_alone(self):
        self.assertEqual(self.names(["debug"], "/src/linux"), ["custom/base"])

    def test_tests_by_name_and_an_unknown_one(self):
        self.assertEqual([t.name for t, m in check.guest_specs(["e1_kick"])], ["02-e1_kick.sh"])
        self.assertGreater(len(check.guest_specs([])), 10)
        with self.assertRaisesRegex(Fail, r"no guest test named 'nope' \(tests/guest/NN-nope.sh\)"):
            check.guest_specs(["nope"])


def phase_with(*verdicts):
    """A job's fn writing these results (and a nested line that is no leaf)."""
    def fn(ph):
        ph.line("    ok 1 nested, not a leaf")
        for i, v in enumerate(verdicts):
            ph.result(v, f"x: {i}", "why")
    return fn


def raises(e):
    def fn(ph):
        ph.result("pass", "x: before")
        raise e
    return fn


class SchedulerTest(unittest.TestCase):
    def run_jobs(self, groups):
        jobs = [j for g in groups for j in g]
        for t in check.start(groups):
            t.join(30)
        r = check.Report()
        r.top.out = io.StringIO()
        for j in jobs:
            r.phase(j.title, j.t0, j.phase, j.ok, j.t1)
        return r, jobs

    def test_verdicts_and_leaf_counts(self):
        r, jobs = self.run_jobs([
            [check.Job("passes", phase_with("pass", "pass", "skip"))],
            [check.Job("fails", phase_with("pass", "fail"))],
            [check.Job("raises Fail", raises(Fail("kernel 7.3/base could not be prepared")))],
            [check.Job("has a bug", raises(KeyError("oops")))],
            [check.Job("proves nothing", lambda ph: None)],
            [check.Job("fails beyond its results", lambda ph: ph.result("pass", "x") and False)]])
        self.assertEqual(r.top.out.getvalue().splitlines(), [
            "ok 1 passes", "not ok 2 fails", "not ok 3 raises Fail", "not ok 4 has a bug", "not ok 5 proves nothing",
            "not ok 6 fails beyond its results"])
        # Leaves: 2 + 1 + 1 + 1 + 0 + 1 passed (the skip and the nested line are none); a failed
        # phase counts one failed leaf at least.
        self.assertEqual((r.passed, r.failed), (6, 5))
        self.assertIn("# error: kernel 7.3/base could not be prepared", jobs[2].phase.text())
        self.assertIn("KeyError: 'oops'", jobs[3].phase.text())

    def test_a_group_runs_in_sequence_and_groups_side_by_side(self):
        both = threading.Event()

        def first(ph):  # finishes only if the other group runs meanwhile
            ph.result(both.wait(10), "x: beside")
            time.sleep(0.2)

        def second(ph):
            ph.result(job1.t1 > 0, "x: after the first")
        job1 = check.Job("first", first)
        r, jobs = self.run_jobs([[job1, check.Job("second", second)], [check.Job("other", lambda ph: both.set() or ph.result("pass", "x"))]])
        self.assertEqual((r.passed, r.failed), (3, 0), r.top.out.getvalue())
        self.assertGreaterEqual(jobs[1].t0, jobs[0].t1)
        self.assertRegex(r.times[0], r"^first {21} +0\.[2-9]s$")


class ReportTest(unittest.TestCase):
    def test_figures_from_recorded_results(self):
        t = records.Test
        r = records.Results("7.3/debug", "7.3.4-1~bpo13+1", 1.0, "a calibration boot took 7.0s", 2, [
            t("e5_quick_slow", "pass", 1, 4.9, 30, figures="e5: quick 3 ms after slow"),
            t("e8_stopping", "pass", 2, 4.0, 75), t("crash", "crash", 1, None, 10),
            t("robust_slow_running@submission", "inconclusive", 3, 2.0, 60, figures="e8: 2 s")])
        self.assertEqual(check.figures("7.3/debug", r), [
            "7.3/debug: speed factor 1.0", "7.3/debug: e5: quick 3 ms after slow e8: 2 s",
            "7.3/debug: closest to its time limit: e5_quick_slow took 4.9s of 30s",
            "7.3/debug: CRASHED the guest: crash",
            "7.3/debug: INCONCLUSIVE (set-up never happened): robust_slow_running@submission",
            "7.3/debug: set-up missed, run again: e8_stopping robust_slow_running@submission"])
        self.assertEqual(check.figures("7.2/base", None), ["7.2/base: no results (the kernel or module did not build)"])

    def test_counts_of_captured_output(self):
        self.assertEqual(check.counts(CARGO_OK, 0), (22, 0))
        self.assertEqual(check.counts(CARGO_FAILED, 101), (24, 1))
        self.assertEqual(check.counts(CARGO_BROKEN, 101), (0, 1))

    def test_unit_test_counts_come_back_as_data(self):
        for files, want in (({"test_mixed.py": MIXED}, (2, 2)), ({"test_mixed.py": MIXED, "test_broken.py": "import no_such_module\n"}, (2, 3)),
                            ({"test_ok.py": "import unittest\nclass T(unittest.TestCase):\n    def test_a(self): pass\n"}, (1, 0))):
            with tempfile.TemporaryDirectory() as d, contextlib.redirect_stdout(io.StringIO()):
                for name, text in files.items():
                    Path(d, name).write_text(text)
                self.assertEqual(check.unit_tests(d, d), want, files)

    def test_a_foreground_stream_is_printed_indented_and_kept(self):
        ph, shown = Phase(), io.StringIO()
        ph.out = check.Shown()
        with contextlib.redirect_stdout(shown):
            ph.diag("a\nb")
            ph.result("fail", "x")
        self.assertEqual(shown.getvalue(), "    # a\n    # b\n    not ok 1 x\n")
        self.assertEqual(ph.text(), "# a\n# b\nnot ok 1 x\n")
        self.assertEqual((ph.leaves_passed, ph.leaves_failed), (0, 1))


class CheckTest(unittest.TestCase):
    """A whole make check with every phase faked: the KTAP, the counts, the exit status."""
    def check(self, tests="", suite_fails=False):
        t = records.Test
        results = records.Results("7.3/base", "7.3.4", 1.5, "TIMEOUT_MUL=1.5", 1, [t("load_unload", "pass", 1, 1.0, 10)])
        results.host_ok = True

        def suite_run(kernel, specs, log, ktap):
            self.assertEqual(log, Path("/out/7.3-base/log"))
            ktap.result("fail" if suite_fails else "pass", "load_unload")
            ktap.result("pass", "7.3/base: every planned test reported (1)")
            return results

        def proof(verdicts):
            return lambda *a: phase_with(*verdicts)(a[-1])
        shown = {"cargo": (0, CARGO_OK)}
        out = io.StringIO()
        with mock.patch.dict("os.environ", {"KDIR": "", "TESTS": tests}), \
                mock.patch.object(kernels, "deps", lambda test: None), mock.patch.object(kernels, "default_series", lambda: "7.3"), \
                mock.patch.object(kernels, "offered", lambda: ["7.3"]), \
                mock.patch.object(kernels, "prepare", lambda s, f: FakeKernel(f"{s}/{f}", out=Path(f"/out/{s}-{f}"))), \
                mock.patch.object(check, "shown", lambda argv, cwd: shown[argv[0]]), mock.patch.object(check, "unit_tests", lambda s, t: (2, 2)), \
                mock.patch.object(check.suite, "run", suite_run), \
                mock.patch.object(check.trace, "trace_test", lambda k, d, ph: ph.result("pass", "trace: x") and True), \
                mock.patch.object(check.lint, "lint", proof(["pass", "pass"])), mock.patch.object(proofs, "selftest", proof(["pass"])), \
                mock.patch.object(proofs, "grade_proof", proof(["pass", "fail"])), mock.patch.object(proofs, "grade_class", proof(["pass"])), \
                mock.patch.object(proofs, "grade_shards", proof([])), mock.patch.object(proofs, "slow", proof(["pass"])), \
                mock.patch.object(proofs, "platforms", proof(["pass"])), mock.patch.object(proofs, "class_pipeline", proof(["pass"])), \
                contextlib.redirect_stdout(out):
            return check.check(["base"]), out.getvalue()

    def test_a_whole_run(self):
        rc, out = self.check()
        self.assertEqual(rc, 1)
        top = [l for l in out.splitlines() if l.startswith(("ok ", "not ok ", "1.."))]
        self.assertEqual(top, ["1..12", "ok 1 kernel 7.3/base", "not ok 2 host unit tests", "ok 3 7.3/base", "ok 4 trace on 7.3/base",
                               "ok 5 lint", "ok 6 harness self-test", "not ok 7 grader proofs", "ok 8 grade-all sandbox",
                               "not ok 9 grade-all shards", "ok 10 slow machine", "ok 11 course platforms", "ok 12 class pipeline"])
        self.assertIn("# grader proofs (ran alongside the suites)\n        ok 1 nested, not a leaf\n    ok 1 x: 0\n    not ok 2 x: 1\nnot ok 7", out)
        self.assertIn("#   7.3/base: speed factor 1.5\n", out)
        self.assertRegex(out, r"#   host unit tests +\d+\.\ds\n")
        # Leaves: 22 + 2 (cargo, unittest) + 2 (suite) + 1 (trace) + 2 + 1 + 1 + 1 + 1 + 1 + 1 passed;
        # 2 (unittest) + 1 (grader proofs) + 1 (the shards proved nothing) failed.
        self.assertTrue(out.endswith("35 passed, 4 failed\n"), out[-300:])

    def test_a_focused_run_skips_what_is_not_the_suite(self):
        rc, out = self.check("e1_kick", suite_fails=True)
        self.assertEqual(rc, 1)
        self.assertIn("not ok 3 7.3/base\nok 4 trace on 7.3/base # SKIP TESTS=e1_kick: a focused run\n", out)
        self.assertIn("ok 10 slow machine # SKIP TESTS=e1_kick: a focused run\n", out)
        self.assertIn("ok 11 course platforms # SKIP TESTS=e1_kick: a focused run\n", out)
        self.assertIn("ok 12 class pipeline # SKIP TESTS=e1_kick: a focused run\n", out)
        self.assertTrue(out.endswith("25 passed, 3 failed\n"), out[-300:])


class ProofsTest(unittest.TestCase):
    def test_a_child_process_stream_and_its_failure(self):
        ph = Phase()
        ph.line("before")
        self.assertTrue(proofs.isolated("grade_proof", ph, []))  # no kernel: nothing but the stream's frame
        self.assertEqual(ph.text(), "before\nTAP version 13\n# Totals: pass:0 fail:0 skip:0\n")
        ph = Phase()
        self.assertFalse(proofs.isolated("copy_reference", ph))  # a bug: its traceback in the stream
        self.assertIn("AttributeError: 'Phase' object has no attribute", ph.text())
        self.assertEqual(ph.n, 0)

    def test_module_cache_and_a_build_that_fails(self):
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            src, work = d / "src", d / "work"
            src.mkdir()
            (work / "ko").mkdir(parents=True)
            (src / "Kbuild").write_text("obj-m := rust_workq.o\n")
            (src / "rust_workq.rs").write_text("// a module\n")

            def broken(src, out, kdir):
                Path(out).mkdir(parents=True)
                (Path(out) / "build.log").write_text("  RUSTC [M] x\nerror[E0425]: cannot find value `x`\n --> rust_workq.rs:3:5\n")
                return False
            ph = Phase()
            with mock.patch.object(proofs, "CACHE", d / "cache"), mock.patch.object(kernels, "build_module", broken):
                self.assertFalse(proofs.build(src, "todo1", FakeKernel(), work, ph))
                self.assertEqual(ph.text().splitlines()[:2], ["# todo1 does not build:", "# error[E0425]: cannot find value `x`"])
                built = lambda src, out, kdir: Path(out).mkdir(parents=True, exist_ok=True) or (Path(out) / "rust_workq.ko").write_bytes(b"ko") > 0
                with mock.patch.object(kernels, "build_module", built):
                    self.assertTrue(proofs.build(src, "todo1", FakeKernel(), work, ph))
                # The same sources against the same tree: from the cache, no build.
                self.assertTrue(proofs.build(src, "todo2", FakeKernel(), work, ph))
                self.assertEqual((work / "ko/todo2.ko").read_bytes(), b"ko")
                self.assertFalse(proofs.build(src, "todo3", FakeKernel(dir=Path("/other")), work, ph))


if __name__ == "__main__":
    unittest.main()
