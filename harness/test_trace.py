# SPDX-License-Identifier: GPL-2.0
"""Unit tests of harness/trace.py: the Trace Event Format checks on broken trace.json files, the
scenario's checks and the missed set-up on the events of a real `make trace` (7.3.4, its timings
kept), make check's three attempts, the PNG decoder on every filter, collect on a records file
without the trace, and the bench rows."""
import io
import json
import struct
import tempfile
import unittest
import zlib
from pathlib import Path
from unittest import mock

from harness import boot, records, trace
from harness.common import Fail
from harness.ktap import Ktap

RUNS = {"kick": (844158, 44, 844313, 495, 27), "slow": (861225, 45, 861350, 203220, 27),
        "quick": (861781, 45, 862212, 93, 8), "delayed": (877824, 43, 2912433, 298, 27)}


def real_trace():
    """The events the checks read from a real make trace of the scenario (7.3.4, base kernel)."""
    ev = [{"ph": "M", "name": "thread_name", "pid": 1, "tid": t, "args": {"name": n}} for t, n in (
        (43, "ioctl (pid 43, CPU 0)"), (44, "ioctl (pid 44, CPU 0)"), (45, "ioctl (pid 45, CPU 0)"),
        (8, "kworker/0:0H (pid 8, CPU 0)"), (27, "kworker/0:3 (pid 27, CPU 0)"))]
    for i, (name, (qts, qtid, ts, dur, tid)) in enumerate(RUNS.items()):
        how = "queue_delayed_work" if name == "delayed" else "queue_work"
        ev += [{"ph": "X", "cat": "submit", "name": f"{how} {name}", "pid": 1, "tid": qtid, "ts": qts, "dur": 0.0},
               {"ph": "X", "cat": "work", "name": name, "pid": 1, "tid": tid, "ts": ts, "dur": dur},
               {"ph": "s", "cat": "flow", "id": i, "name": "queue → run", "pid": 1, "tid": qtid, "ts": qts},
               {"ph": "f", "cat": "flow", "id": i, "name": "queue → run", "pid": 1, "tid": tid, "ts": ts}]
    ev.append({"ph": "X", "cat": "sched", "name": "off CPU (asleep)", "pid": 1, "tid": 27, "ts": 861524.0,
               "dur": 202902.0, "args": {"cpu": 0, "prev_state": "D"}})
    return {"traceEvents": ev}


def results(ktap):
    return [l for l in ktap.out.getvalue().splitlines() if l.startswith(("ok ", "not ok "))]


class FormatTest(unittest.TestCase):
    def test_a_real_trace_is_the_format(self):
        self.assertEqual(trace.format_problems(real_trace()), [])

    def test_broken_trace_json(self):
        self.assertEqual(trace.format_problems([]), ["no traceEvents list"])
        self.assertEqual(trace.format_problems({"traceEvents": {}}), ["no traceEvents list"])
        doc = real_trace()
        ev = doc["traceEvents"]
        ev[5]["ph"] = "B"  # kick's submission
        del ev[6]["tid"]  # kick's run
        ev[9]["ts"] = "soon"  # slow's submission
        del ev[14]["dur"]  # quick's run
        del ev[-2]["id"]  # delayed's flow ends without its id, and its start has no end
        # slow's worker runs something that starts while it sleeps and ends after: not nested
        ev.append({"ph": "X", "cat": "work", "name": "late", "pid": 1, "tid": 27, "ts": 1_000_000, "dur": 100_000})
        ev += ["not an event", 3]
        bad = trace.format_problems(doc)
        for want in ("2 events are not objects", "event 5: phase 'B'", "event 6: no tid", "event 9: no numeric ts",
                     "event 14: X without a duration", "event 20: flow without id", "flows without both ends: [3, 'None']",
                     "tid 27: 'late' overlaps 'off CPU (asleep)' without nesting"):
            self.assertIn(want, bad)

    def test_a_broken_file_is_a_failure_not_a_crash(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "trace.json").write_text('{"traceEvents": [')
            k = Ktap(io.StringIO())
            self.assertIs(trace.check_trace(d, k), False)
            self.assertEqual(results(k), ["not ok 1 trace: the trace's files can be read"])
            (Path(d) / "trace.json").write_text(json.dumps({"traceEvents": [{"ph": "X", "cat": "submit", "name": "nospace"}]}))
            k = Ktap(io.StringIO())
            self.assertIs(trace.check_trace(d, k), False)
            self.assertEqual(results(k)[0], "not ok 1 trace: trace.json is the Trace Event Format")


class ScenarioTest(unittest.TestCase):
    def check(self, doc):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "trace.json").write_text(json.dumps(doc))
            k = Ktap(io.StringIO())
            return trace.check_trace(d, k), results(k), k.out.getvalue()

    def test_the_module_did_what_the_scenario_asks(self):
        verdict, got, _ = self.check(real_trace())
        # All of the trace's own checks pass; there is no timeline.svg here to read.
        self.assertEqual([l.split(" ", 2)[0] for l in got[:9]], ["ok"] * 9)
        self.assertEqual(got[9], "not ok 10 trace: the trace's files can be read")
        self.assertIs(verdict, False)

    def test_missed_set_up(self):
        doc = real_trace()
        quick = next(e for e in doc["traceEvents"] if e.get("name") == "queue_work quick")
        quick["ts"] = RUNS["slow"][2]  # submitted as slow started to run: not while it ran
        verdict, got, text = self.check(doc)
        self.assertEqual(verdict, "missed")
        self.assertEqual(len(got), 3)
        self.assertIn(f"# {trace.MISSED}: quick submitted at {RUNS['slow'][2]} us, slow ran 861350..1064570 us", text)

    def test_what_the_module_did_wrong(self):
        doc = real_trace()
        for e in doc["traceEvents"]:
            if e.get("cat") == "work" and e["name"] == "quick":
                e["tid"] = 27  # quick on slow's own worker
            if e.get("cat") == "sched":
                e["args"]["prev_state"] = "R+"  # preempted, not asleep
        verdict, got, _ = self.check(doc)
        self.assertIs(verdict, False)
        self.assertIn("not ok 6 trace: quick's run lies inside slow's, on another worker", got)
        self.assertIn("not ok 8 trace: slow's worker was off the CPU, asleep, for >= 190 ms of its run", got)
        doc["traceEvents"].append(dict(doc["traceEvents"][6]))  # kick ran twice
        self.assertEqual(self.check(doc)[1][-1], "not ok 3 trace: a run of kick, slow, quick and delayed, each named by the module")


class AttemptsTest(unittest.TestCase):
    def run_test(self, verdicts):
        def check(d, k):
            v = verdicts.pop(0)
            if v == "missed":
                k.diag(f"{trace.MISSED}: quick submitted at 1 us, slow ran 2..3 us")
            else:
                k.result(v, "trace: one")
            return v
        k = Ktap(io.StringIO())
        with tempfile.TemporaryDirectory() as d, mock.patch.object(trace.shutil, "which", return_value="/usr/bin/chromium"), \
                mock.patch.object(trace, "record", return_value=boot.Boot(rc=0)) as record, \
                mock.patch.object(trace, "render"), mock.patch.object(trace, "check_trace", side_effect=check):
            ok = trace.trace_test(mock.Mock(), d, k)
        return ok, k.out.getvalue().splitlines(), record.call_count

    def test_three_missed_set_ups_are_a_skip(self):
        ok, lines, boots = self.run_test(["missed"] * 3)
        self.assertEqual((ok, boots), (True, 3))
        self.assertEqual(lines[0], "TAP version 13")
        self.assertEqual(lines[1], f"# attempt 1: # {trace.MISSED}: quick submitted at 1 us, slow ran 2..3 us")
        self.assertEqual(lines[4:], ["ok 1 trace: quick submitted while slow ran # SKIP set-up missed in 3 boots"
                                   " (machine too slow for it; not the module's fault)", "1..1", "# Totals: pass:0 fail:0 skip:1"])

    def test_a_guest_that_died_before_it_sent_the_trace(self):
        with tempfile.TemporaryDirectory() as d:
            died = boot.Boot(why="guest did not finish within 600s (full log x)")
            with mock.patch.object(trace.qemu, "boot", return_value=died), \
                    mock.patch.object(trace.shutil, "which", return_value="/usr/bin/chromium"):
                with self.assertRaises(Fail) as e:
                    trace.record(mock.Mock(), "true", d, echo=False)
                self.assertEqual(str(e.exception), died.why)  # its cause, not the missing trace
                k, kernel = Ktap(io.StringIO()), mock.Mock()
                kernel.name = "7.3/base"
                self.assertIs(trace.trace_test(kernel, d, k), False)
            self.assertEqual(k.out.getvalue().splitlines()[-4:], [f"# {died.why}", "not ok 1 trace: make trace of the scenario on 7.3/base",
                                                                  "1..1", "# Totals: pass:0 fail:1 skip:0"])

    def test_a_later_attempt_counts(self):
        ok, lines, boots = self.run_test(["missed", False])
        self.assertEqual((ok, boots), (False, 2))
        self.assertEqual(lines[2], "not ok 1 trace: one")
        self.assertTrue(lines[3].startswith("# files: "))
        self.assertEqual(lines[4:], ["1..1", "# Totals: pass:0 fail:1 skip:0"])


class PngTest(unittest.TestCase):
    def test_every_filter(self):
        w, h, bpp, seed = 7, 15, 4, [1]

        def value():  # a fixed pseudo-random sequence of few values: Paeth's ties come up
            seed[0] = seed[0] * 1103515245 + 12345 & 0x7FFFFFFF
            return (seed[0] >> 16) % 4 * 85
        px = [[(value(), value(), value(), 255) for x in range(w)] for y in range(h)]
        raw, prev = b"", bytes(w * bpp)
        for y in range(h):  # row y with filter y % 5: none, sub, up, average, Paeth
            line = bytes(c for p in px[y] for c in p)
            out = bytearray()
            for x in range(len(line)):
                a, b, c = line[x - bpp] if x >= bpp else 0, prev[x], prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                paeth = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
                out.append((line[x] - (0, a, b, (a + b) // 2, paeth)[y % 5]) & 255)
            raw, prev = raw + bytes([y % 5]) + out, line
        chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "t.png").write_bytes(png)
            self.assertEqual(trace.png_pixels(Path(d) / "t.png"), (w, h, [[p[:3] for p in row] for row in px]))
            (Path(d) / "t.png").write_bytes(b"<svg/>")
            self.assertRaises(ValueError, trace.png_pixels, Path(d) / "t.png")


class RecordsTest(unittest.TestCase):
    def test_collect_without_the_trace(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "records.tsv").write_text("trace\te5\t# kernel: 7.3.4\nexit\t0\n")
            with mock.patch.object(trace, "run") as tool, self.assertRaises(Fail) as e:
                trace.collect(Path(d) / "records.tsv", "e10", Path(d) / "out")
            self.assertEqual(str(e.exception), f"the guest sent no trace named 'e10' (see {d}/records.tsv)")
            self.assertEqual((Path(d) / "out/trace.txt").read_text(), "")
            tool.assert_not_called()

    def test_collect_takes_its_trace_only(self):
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "records.tsv").write_text("trace\te5\tother\ntrace\te10\t# kernel: 7.3.4\nbogus\te10\tx\n"
                                                 "trace\te10\t  kworker/0:3-27 [000] ..... 0.1: workqueue_execute_start: x\n")
            with mock.patch.object(trace, "run") as tool, mock.patch.object(trace.kernels, "tools"):
                trace.collect(Path(d) / "records.tsv", "e10", Path(d) / "out", "make demo: exercise 10")
            self.assertEqual((Path(d) / "out/trace.txt").read_text(),
                             "# kernel: 7.3.4\n  kworker/0:3-27 [000] ..... 0.1: workqueue_execute_start: x\n")
            self.assertEqual(tool.call_args[0][0][1:3], ["--title", "make demo: exercise 10 (Linux 7.3.4)"])

    def test_bench_rows(self):
        rs = records.parse("bench\tverbose1\tkind\tcalls\tns\nbench\tverbose0\tkick\t10\t5\n"
                           "diag\tverbose1\tnot a row\nbench\tverbose1\tkick\t10\t7\nbench\tverbose10\tx\nexit\t0\n")
        self.assertEqual(trace.bench_rows(rs, "verbose1"), ["kind\tcalls\tns", "kick\t10\t7"])
        self.assertEqual(trace.bench_rows(rs, "verbose0"), ["kick\t10\t5"])
        self.assertEqual(trace.bench_rows(rs, "verbose2"), [])


if __name__ == "__main__":
    unittest.main()
