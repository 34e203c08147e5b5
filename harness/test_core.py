# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the core (kunit_tool_test.py's way): the record parser on a captured channel with
hostile lines appended, Results and its summary, KTAP printed from results, the QEMU argv, the
host's crash diagnostics on a captured panic, the "#@" reader."""
import io
import json
import tempfile
import unittest
from dataclasses import dataclass
from pathlib import Path

from harness import boot, ktap, records, suite
from harness.common import ROOT, meta, scaled, test_name

DATA = Path(__file__).parent / "testdata"


@dataclass(frozen=True)
class FakeKernel:
    dir: Path = Path("/k")
    mem: str = "512"
    append: str = "panic_on_warn=1"
    name: str = "7.3/base"
    version: str = "7.3.4"


class RecordsTest(unittest.TestCase):
    def test_captured_channel_with_hostile_lines(self):
        rs = records.read(DATA / "records.tsv")
        kinds = [r.kind for r in rs]
        # A known kind with too few fields, an unknown kind and a line with an escape in its kind
        # are skipped; the truncated last "test" line too.
        self.assertEqual(kinds.count("exit"), 1)
        self.assertNotIn("bogus", kinds)
        self.assertEqual(rs[-1].kind, "exit")
        self.assertEqual(rs[-1].fields, {"status": "0"})
        tests = records.tests_of(rs, {"loads@todo1", "loads@reference"})
        self.assertEqual(tests["loads@todo1"].verdict, "pass")
        self.assertEqual(tests["loads@todo1"].seconds, 0.1)
        self.assertEqual(tests["loads@todo1"].output, [])  # its diag came after its record

    def test_fields_are_bounded_and_rest_of_line_kinds(self):
        r = records.parse_line("test\t" + "n" * 5000 + "\tpass\t1")
        self.assertEqual(len(r.fields["name"]), records.FIELD_CAP)
        self.assertEqual(records.parse_line("bench\tverbose1\ta\tb\tc").fields, {"run": "verbose1", "row": "a\tb\tc"})
        self.assertIsNone(records.parse_line("trace\tonly-a-name"))
        self.assertEqual(records.parse_line("trace\tt\ta\tb").fields["line"], "a\tb")
        self.assertEqual(len(records.parse(b"exit\t0\n" * (records.CAP // 4))), records.CAP // 7)

    def test_first_record_of_a_planned_test_wins(self):
        rs = records.parse("diag\ta\tsaid\ntest\ta\tfail\t1\ntest\ta\tpass\t1\ntest\tb\tweird\t1\ntest\tc\tpass\t1\n")
        got = records.tests_of(rs, {"a", "b"})
        self.assertEqual(got["a"].verdict, "fail")
        self.assertEqual(got["a"].output, ["said"])
        self.assertNotIn("b", got)  # not a verdict
        self.assertNotIn("c", got)  # not planned

    def test_results_summary_and_round_trip(self):
        T = records.Test
        r = records.Results("7.3/base", "7.3.4", 1.5, "TIMEOUT_MUL=1.5", 2, [
            T("a", "pass", 1, 2.0, 10), T("b", "inconclusive", 3, 9.0, 10, reason="set-up missed"),
            T("c", "crash", 1, None, 10), T("d"), T("e", "skip", 1, 0.1, 10, figures="f=1")])
        s = r.summary
        self.assertEqual((s["planned"], s["reported"], s["passed"], s["failed"], s["skipped"]), (5, 4, 1, 2, 1))
        self.assertEqual((s["inconclusive"], s["crashed"], s["retried"]), (["b"], ["c"], ["b"]))
        self.assertEqual(s["closest"], "b took 9.0s of 10s")
        with tempfile.TemporaryDirectory() as d:
            r.save(Path(d) / "r.json")
            self.assertEqual(json.loads((Path(d) / "r.json").read_text())["summary"], s)
            self.assertEqual(records.Results.load(Path(d) / "r.json"), r)


class KtapTest(unittest.TestCase):
    def test_printed_from_results(self):
        out = io.StringIO()
        k = ktap.Ktap(out)
        k.header()
        k.plan(3)
        k.test(records.Test("a", "pass", output=["said a", ""]))
        k.test(records.Test("b", "skip", reason="no tracefs"))
        k.test(records.Test("c", "inconclusive"))
        k.totals()
        self.assertEqual(out.getvalue().splitlines(), [
            "TAP version 13", "1..3", "# said a", "#", "ok 1 a", "ok 2 b # SKIP no tracefs", "not ok 3 c",
            "# Totals: pass:1 fail:1 skip:1"])

    def test_phase_takes_a_stream_renumbered(self):
        inner, outer = ktap.Phase(), ktap.Phase()
        inner.result("pass", "x")
        inner.diag("why")
        inner.result("fail", "y")
        inner.result("skip", "z", "slow")
        outer.result("pass", "first")
        outer.take(inner, "slow: ", " at SLOWDOWN=3")
        self.assertEqual(outer.text().splitlines()[1:], [
            "ok 2 slow: x at SLOWDOWN=3", "# why", "not ok 3 slow: y at SLOWDOWN=3", "ok 4 slow: z at SLOWDOWN=3 # SKIP slow"])
        self.assertEqual((outer.leaves_passed, outer.leaves_failed), (2, 1))


class BootTest(unittest.TestCase):
    def test_qemu_argv(self):
        argv = boot.qemu_argv(FakeKernel())
        self.assertEqual(argv[:3], ["qemu-system-x86_64", "-accel", "tcg,thread=multi"])
        for a, b in (("-m", "512"), ("-kernel", "/k/arch/x86/boot/bzImage"), ("-nic", "none"), ("-smp", "2")):
            self.assertEqual(argv[argv.index(a) + 1], b)
        self.assertIn("-no-reboot", argv)
        args = boot.kernel_args(FakeKernel())
        self.assertTrue(args.startswith("console=ttyS0 loglevel=5 panic=-1 oops=panic notsc"))
        self.assertTrue(args.endswith(" panic_on_warn=1"))
        self.assertNotIn("notsc", boot.kernel_args(FakeKernel(), tsc=True))

    def test_late_files_served_by_name_only(self):
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            (d / "files").mkdir()
            (d / "files/check.sh").write_text("echo hidden\n")
            (d / "files/link.sh").symlink_to(d / "files/check.sh")
            (d / "req").write_bytes(b"need check.sh\nneed ../files/check.sh\nneed link.sh\n" + b"need " + b"x" * 300 + b"\n")
            boot.serve_late(d / "req", d / "ans", d / "files")
            ans = (d / "ans").read_text().splitlines()
            self.assertEqual(ans[:3], ["begin check.sh", "ZWNobyBoaWRkZW4K", "end"])
            self.assertEqual(ans[3:5], ["missing ../files/check.sh", "missing link.sh"])
            self.assertTrue(all(l.startswith("missing ") and len(l) <= 210 for l in ans[5:]))


class SuiteTest(unittest.TestCase):
    def test_crash_output_of_a_captured_panic(self):
        out, first = suite.crash_output("e7_spawn@m", "guest stopped", DATA / "panic-console.log")
        self.assertEqual(out[0], "e7_spawn@m crashed the guest: guest stopped")
        self.assertEqual(first, ["rust_kernel: panicked at rust_workq.rs:548:24:"])
        self.assertIn("its cause: index out of bounds: the len is 4 but the index is 510", out)
        self.assertTrue(any(l.startswith("  module frame: ") for l in out))
        self.assertEqual(out[-26], f"console tail ({DATA / 'panic-console.log'}):")

    def test_splats(self):
        found = suite.splats([DATA / "panic-console.log"])
        self.assertEqual(found[0], "rust_kernel: panicked at rust_workq.rs:548:24:")
        self.assertIn("------------[ cut here ]------------", found)
        self.assertNotIn("index out of bounds: the len is 4 but the index is 510", found)


class MetaTest(unittest.TestCase):
    def test_headers_names_and_scaling(self):
        m = meta(ROOT / "tests/guest/05-e4_resched.sh")
        self.assertEqual((m["name"], m["limit"], m["timing"]), ("e4_resched", "15", True))
        self.assertEqual(meta(ROOT / "qemu/flavors/debug.config")["include"], "base")
        self.assertEqual(test_name(ROOT / "grade/checks/40-e4_chain.sh", "/x/todo1.ko"), "e4_chain@todo1")
        self.assertEqual((scaled(10, 1.5), scaled(10, 1.25), scaled(7, 1)), (15, 13, 7))


if __name__ == "__main__":
    unittest.main()
