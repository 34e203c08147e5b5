# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the grader (no guest boot, no build): the report's points, exit statuses and
JSON on Results as the suite returns them (a pass, a failure, a crash from a captured panic, an
inconclusive check, a build failure, UNSAFE=forbid and flag, hostile text), the unsafe lines,
the class table from a manifest, grade-merge's refusals, the shard split and results names, the
sandbox's argv and what stage_submission keeps, and the starter."""
import io
import json
import os
import shutil
import tempfile
import types
import unittest
from unittest import mock
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from harness import grade, records, sandbox, suite
from harness.common import ROOT, Fail

DATA = Path(__file__).parent / "testdata"
# loads (5 points), e1_worker_ran, e2_already_queued, e3_value (10 each): exercises 0 to 3.
CHECKS = sorted((ROOT / "grade/checks").glob("[0-9]*.sh"))[:4]
NAMES = ["loads", "e1_worker_ran", "e2_already_queued", "e3_value"]


def test(name, verdict="pass", output=(), **kw):
    """A check's record as the suite returns it (against the grader's submission.ko)."""
    return records.Test(f"{name}@submission", verdict, kw.get("attempts", 1), kw.get("seconds", 0.2), 20,
                        "/extra/submission.ko", kw.get("reason", ""), "", list(output))


def results(*changed):
    """Results where every check passed but those given."""
    by = {t.name: t for t in changed}
    tests = [by.get(f"{n}@submission") or test(n, output=[f"{n}@submission took 0.2s (limit 20s)"]) for n in NAMES]
    return records.Results("7.3/base", "7.3.4", 1.2, "a calibration boot took 2.0s", 1, tests)


def quiet(fn, *args):
    with redirect_stdout(io.StringIO()) as out, redirect_stderr(io.StringIO()) as err:
        rc = fn(*args)
    return rc, out.getvalue(), err.getvalue()


class Tmp(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)


class ReportTest(Tmp):
    def report(self, res, build="ok", found=(), policy="flag", exercise="", log=""):
        out = self.tmp / "grade"
        (out / "module").mkdir(parents=True, exist_ok=True)
        (out / "module/build.log").write_text(log)
        rc, said, err = quiet(grade.report, CHECKS, [CHECKS[3]], res, build, list(found), policy, "7.3/base (7.3.4)",
                              "/x/student\x1b", 12.5, exercise, out)
        data = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else None
        return rc, said, err, data

    def test_full_marks(self):
        rc, said, err, data = self.report(results())
        self.assertEqual(rc, 0)
        self.assertEqual(said.splitlines()[0], "Grading student\\x1b on 7.3/base (7.3.4)")
        self.assertIn("  loads                        OK           5/5  (0.2s, limit 20s)\n", said)
        self.assertIn("  e3_value                     OK         10/10  (0.2s, limit 20s)  [hidden]\n", said)
        self.assertIn(grade.EXERCISE_9 + "\n", said)
        self.assertTrue(said.endswith("Score: 35/35\n"))
        self.assertEqual((data["score"], data["execution_time"], data["output"]), (35, 12.5, "7.3/base (7.3.4): 35/35"))
        self.assertEqual([t["name"] for t in data["tests"]], ["loading and unloading: loads", "exercise 1: e1_worker_ran",
                                                             "exercise 2: e2_already_queued", "exercise 3: e3_value",
                                                             "exercise 9 (written answer)"])
        self.assertEqual(data["tests"][3]["visibility"], "hidden")
        # The check's first sentence (one full stop), then what it said (its time line is the runner's), then its time.
        self.assertEqual(data["tests"][0]["output"], "The module loads, registers /dev/mydevice, unloads cleanly and loads "
                                                     "again.\n(0.2s, limit 20s)")
        x = data["extra_data"]
        self.assertEqual((x["max_score"], x["build"], x["exercises"]["1"], x["speed_factor"]["speed_factor"]), (35, "ok", [10, 10], 1.2))
        self.assertEqual((self.tmp / "grade/grader.log").read_text(), "speed factor 1.2 (a calibration boot took 2.0s)\n")

    def test_failure_harness_lines_and_hostile_text(self):
        out = self.tmp / "grade"
        said_lines = ["runner: after e1_worker_ran@submission, put back for the next test:", "SETUP MISSED: too slow",
                      "e1_worker_ran@submission: attempt 1 of 3: set-up missed: too slow",
                      f"FAIL: no line \x1b[31mred\x1b[0m\r in {out}/log/boot-1/console.log", "SKIP: not this",
                      "e1_worker_ran@submission took 3.5s (limit 20s)"]
        rc, said, err, data = self.report(results(test("e1_worker_ran", "fail", said_lines, attempts=2, seconds=3.5)))
        self.assertEqual(rc, 1)
        self.assertIn("  e1_worker_ran                FAIL        0/10  (3.5s, limit 20s)\n"
                      "      FAIL: no line \\x1b[31mred\\x1b[0m\\x0d in log/boot-1/console.log\n", said)
        self.assertNotIn(str(out), said + json.dumps(data))
        self.assertNotIn("\x1b", said + (out / "grader.log").read_text())
        self.assertEqual(data["extra_data"]["attempts"], {"e1_worker_ran": 2})
        self.assertEqual(data["tests"][1]["status"], "failed")
        self.assertEqual((data["score"], data["extra_data"]["exercises"]["1"]), (25, [0, 10]))
        log = (out / "grader.log").read_text().splitlines()
        self.assertEqual(log[1:], ["e1_worker_ran: runner: after e1_worker_ran@submission, put back for the next test:",
                                   "e1_worker_ran: e1_worker_ran@submission: attempt 1 of 3: set-up missed: too slow",
                                   "e1_worker_ran: run 2 times in all (set-up missed)"])

    def test_crash_from_a_captured_panic(self):
        log = self.tmp / "grade/log/boot-2"
        log.mkdir(parents=True)
        shutil.copy(DATA / "panic-console.log", log / "console.log")
        lines, _ = suite.crash_output("e2_already_queued@submission", "guest stopped", log / "console.log")
        rc, said, err, data = self.report(results(test("e2_already_queued", "crash", ["KICK sent"] + lines, seconds=None)))
        self.assertEqual(rc, 1)
        self.assertEqual(data["extra_data"]["crashed"], ["e2_already_queued"])
        shown = data["tests"][2]["output"].splitlines()
        self.assertEqual(shown[1:3], ["KICK sent", "e2_already_queued@submission crashed the guest: guest stopped"])
        self.assertIn("its cause: index out of bounds: the len is 4 but the index is 510", shown)
        # Of the console's tail only what happened, not the register dump; its path is not said.
        tail = shown[shown.index("the console's last word:") + 1:-1]
        self.assertTrue(tail and len(tail) <= 4 and all("Oops" in l or "BUG" in l or "panic" in l or "WARNING" in l for l in tail))
        self.assertEqual(shown[-1], "(-, limit 20s)")
        self.assertIn("  e2_already_queued            FAIL        0/10  (-, limit 20s)\n", said)

    def test_inconclusive_is_not_graded(self):
        t = test("e3_value", "inconclusive", ["e3_value@submission inconclusive: set-up missed"], attempts=3,
                 reason="set-up missed in 3 attempt(s): the machine was too slow")
        rc, said, err, data = self.report(results(t))
        self.assertEqual(rc, grade.INCOMPLETE)
        self.assertIn("  e3_value                     NOT GRADED  not graded  (0.2s, limit 20s)  [hidden]\n", said)
        self.assertIn("exercise 3: 0/10 (10 not graded)\n", said)
        self.assertTrue(said.endswith("Score: 25/35 (10 not graded: e3_value)\n"))
        self.assertIn("grade: the grade is incomplete (exit 4, kselftest's skip): 10 point(s) not graded", err)
        x = data["extra_data"]
        self.assertEqual((x["not_graded_points"], x["inconclusive"]),
                         (10, ["e3_value: set-up missed in 3 attempt(s): the machine was too slow"]))
        self.assertEqual(data["tests"][3]["status"], "inconclusive")

    def test_build_failure(self):
        log = ("sandbox: x.rs left out: not a regular file of at most 1 MiB\nmake[1]: Entering directory '/tmp/build/out'\n"
               "  RUSTC [M] rust_workq.o\nerror[E0308]: mismatched types\n --> /x/student/rust_workq.rs:3:1\n")
        rc, said, err, data = self.report(None, build="failed", log=log, exercise="1")
        self.assertEqual(rc, 1)
        self.assertIn("sandbox: the build tried, and was refused: sandbox: x.rs left out", said)
        self.assertIn("the module does not build: every check scores 0. The compiler said:\n"
                      "    sandbox: x.rs left out: not a regular file of at most 1 MiB\n    error[E0308]: mismatched types\n", said)
        self.assertNotIn("RUSTC", said)
        self.assertNotIn(grade.EXERCISE_9, said)  # EXERCISE=1: no exercise 9 line
        self.assertEqual((data["score"], data["extra_data"]["build"], data["extra_data"]["speed_factor"]), (0, "failed", None))
        self.assertTrue(data["output"].startswith("7.3/base (7.3.4): 0/35; the module did not build:\nsandbox: x.rs"))
        self.assertEqual((data["tests"][0]["name"], data["tests"][0]["status"]), ("build: rust_workq.ko", "failed"))
        self.assertTrue(data["tests"][0]["output"].startswith("The module does not build. The compiler said:\nsandbox: x.rs"))
        self.assertTrue(all("the module did not build" in t["output"] for t in data["tests"][1:5]))

    def test_no_host_path_in_the_results(self):
        log = ("error[E0308]: mismatched types\n --> /x/student\x1b/rust_workq.rs:3:1\n"
               f"  ::: {grade.CACHE}/src/7.3/7.3.4-1/rust/kernel/workqueue.rs:10:5\n"
               f"note: {grade.CACHE}/kernel/7.3-base-0123456789ab/rust/bindings.rs and {grade.HOME}/x and {grade.ROOT}/y\n")
        rc, said, err, data = self.report(None, build="failed", log=log, exercise="1")
        text = json.dumps(data)
        self.assertIn(" --> rust_workq.rs:3:1", data["tests"][0]["output"])
        self.assertIn("  ::: linux/rust/kernel/workqueue.rs:10:5", data["tests"][0]["output"])
        self.assertIn("note: linux-build/rust/bindings.rs and ~/x and $GRADER/y", data["tests"][0]["output"])
        for path in ("/x/student", str(grade.CACHE), str(grade.HOME), str(self.tmp)):
            self.assertNotIn(path, text)

    def test_unsafe_forbid_and_flag(self):
        found = [("rust_workq.rs", 660, "unsafe { x() }")] * 12
        rc, said, err, data = self.report(None, build="refused", found=found, policy="forbid",
                                          log="UNSAFE=forbid: rust_workq.rs:660: unsafe code beyond the starter's: unsafe { x() }\n")
        self.assertEqual((rc, data["score"], data["extra_data"]["build"]), (1, 0, "refused"))
        self.assertIn("the module was not built (UNSAFE=forbid): every check scores 0:\n    UNSAFE=forbid: rust_workq.rs:660:", said)
        self.assertIn("the module was not built (UNSAFE=forbid)\n", data["tests"][1]["output"])
        self.assertEqual(data["tests"][0]["output"].splitlines()[0], "the module was not built (UNSAFE=forbid):")
        rc, said, err, data = self.report(results(), found=found)
        self.assertEqual(rc, 0)
        self.assertIn("unsafe code beyond the starter's (UNSAFE=flag: listed, not graded): 12 line(s)\n"
                      "    rust_workq.rs:660: unsafe { x() }\n", said)
        self.assertIn("    ... and 2 more (results.json)\n", said)
        self.assertEqual(len(data["extra_data"]["unsafe"]), 12)

    def test_checks_that_did_not_run(self):
        rc, said, err, data = self.report(None)
        self.assertEqual((rc, said, data), (2, "", None))
        self.assertEqual(err, f"grade: the checks did not run (see {self.tmp / 'grade/suite.err'})\n")

    def test_missing_result(self):
        res = results()
        res.tests[0] = records.Test("loads@submission")
        rc, said, err, data = self.report(res)
        self.assertIn("      no result: the guest stopped before this check\n", said)
        self.assertEqual(data["score"], 30)


class UnsafeTest(Tmp):
    def test_only_lines_beyond_the_starter(self):
        for f in ("wq.rs", "rust_workq.rs"):
            shutil.copy(ROOT / f, self.tmp)
        with open(self.tmp / "rust_workq.rs", "a") as f:
            f.write("fn x() { unsafe { y() } } // unsafe\n// unsafe in a comment\nconst S: &str = \"unsafe \x1b\";\n")
        (self.tmp / "new.rs").write_text("fn z() {}\n" + "unsafe fn w() {}\n")
        (self.tmp / "link.rs").symlink_to(ROOT / "wq.rs")
        n = len((ROOT / "rust_workq.rs").read_text().splitlines())
        self.assertEqual(grade.unsafe(self.tmp), [("new.rs", 2, "unsafe fn w() {}"), ("rust_workq.rs", n + 1, "fn x() { unsafe { y() } } // unsafe"),
                                                  ("rust_workq.rs", n + 3, 'const S: &str = "unsafe \\x1b";')])
        # The starter's own lines, as many times as the reference has them: a second copy counts.
        line = next(t for _, t in grade.unsafe_lines(ROOT / "wq.rs"))
        with open(self.tmp / "wq.rs", "a") as f:
            f.write(line + "\n")
        self.assertEqual(grade.unsafe(self.tmp)[-1][0], "wq.rs")


class ClassTest(Tmp):
    def results_dir(self, name, score, exercises, build="ok", crashed=(), inconclusive=(), unsafe=()):
        d = self.tmp / "class" / name
        d.mkdir(parents=True)
        (d / "results.json").write_text(json.dumps({"score": score, "extra_data": {
            "max_score": 15, "exercises": exercises, "build": build, "crashed": list(crashed), "unsafe": list(unsafe),
            "unsafe_policy": "flag", "inconclusive": list(inconclusive)}}))
        return d

    def test_class_csv_and_summary_from_a_manifest(self):
        a = self.results_dir("a", 15, {"0": [5, 5], "1": [10, 10]}, unsafe=["x.rs:1: unsafe {}"])
        b = self.results_dir("b", 5, {"0": [5, 5], "1": [0, 10]}, crashed=["e1_worker_ran"], inconclusive=["e1_x: slow"])
        c = self.results_dir("c", 0, {"0": [0, 5], "1": [0, 10]}, build="failed")
        manifest = self.tmp / "class.tsv"
        manifest.write_text(f"a\t{a}\t\ta\nb\t{b}\t\tb\nlink\t\ta symbolic link: not followed\tlink\nc\t{c}\t\tc\n"
                            f"gone\t{self.tmp / 'class/gone'}\t\tgone\n")
        rc, said, err = quiet(grade.class_table, self.tmp / "class.csv", manifest)
        self.assertEqual((self.tmp / "class.csv").read_text().splitlines(), [
            "name,score,max,e0,e1,build,crashed,inconclusive,unsafe,not graded", "a,15,15,5,10,ok,,,1,",
            "b,5,15,5,0,ok,e1_worker_ran,e1_x,0,", "link,,,,,not graded,,,,a symbolic link: not followed",
            "c,0,15,0,0,failed,,,0,", "gone,,,,,not graded,,,,no result (the grader could not run)"])
        self.assertEqual(json.loads((self.tmp / "summary.json").read_text()), {
            "entries": 5, "graded": 3, "not_graded": 2, "failed_builds": 1, "with_unsafe": 1, "with_crashed_checks": 1,
            "with_checks_not_graded": 1, "exercise_means": {"0": 3.33, "1": 3.33}})
        self.assertTrue(said.startswith("name  score  max  e0  e1  build       crashed        inconclusive  unsafe  not graded\n"))
        self.assertTrue(said.endswith(f"5 submission(s): 3 graded, 1 failed to build, 1 with crashed checks; {self.tmp / 'class.csv'}\n"))
        self.assertEqual(grade.score(a / "results.json"), "15/15")

    def test_shard_split_and_results_names(self):
        for n in (1, 2, 3, 7):
            shares = [[k for k in range(1, 11) if grade.in_share(k, i, n)] for i in range(1, n + 1)]
            self.assertEqual(sorted(sum(shares, [])), list(range(1, 11)))
        self.assertEqual([k for k in range(1, 8) if grade.in_share(k, 2, 3)], [2, 5])
        self.assertEqual(grade.results_names(["col a", "col_a", "col_a-2", "new\nline", "é", "x\udcff"]),
                         ["col_a", "col_a-2", "col_a-2-2", "new_line", "__", "x_"])
        self.assertEqual(grade.shown_name("new\nline\x1b\x7f\udcff"), "new?line???")

    def share(self, i, n, rows, context="c1", entries=("a", "b", "c")):
        d = self.tmp / f"s{i}-{len(list(self.tmp.iterdir()))}"
        (d / "class").mkdir(parents=True)
        (d / "shard.json").write_text(json.dumps({"shard": i, "of": n, "context": context, "entries": list(entries)}))
        (d / "class.tsv").write_text("".join(f"{r}\t{d / 'class' / r}\t\t{r}\n" for r in rows))
        return d

    def merge_fails(self, dirs, why):
        with self.assertRaises(Fail) as e:
            grade.merge(self.tmp / "merged", dirs)
        self.assertRegex(str(e.exception), why)
        self.assertFalse((self.tmp / "merged").exists())

    def test_merge_and_its_refusals(self):
        s1, s2 = self.share(1, 2, ["a", "c"]), self.share(2, 2, ["b"])
        self.merge_fails([s1], r"^share\(s\) 2 of 2 missing: give every share's results$")
        self.merge_fails([s1, s1], r"^share 1 of 2 is given twice \(")
        self.merge_fails([s1, self.share(2, 2, ["b", "a"])], r"^student a is in shares 1 and 2$")
        self.merge_fails([s1, self.share(2, 2, [])], r"^student b is in no share's results$")
        self.merge_fails([s1, self.share(2, 2, ["b"], context="c2")], r"was graded with other checks, settings or kernel \(context c2 vs c1\)")
        self.merge_fails([s1, self.share(2, 2, ["b"], entries=("a", "b"))], r"is a share of another class or split")
        self.merge_fails([s1, self.share(2, 2, ["b", "z"])], r"^student z is not in the class$")
        self.merge_fails([s1, self.tmp / "nowhere"], r"nowhere is not the output of make grade-all")
        quiet(grade.merge, self.tmp / "merged", [s2, s1])
        self.assertEqual([l.split("\t")[::3] for l in (self.tmp / "merged/class.tsv").read_text().splitlines()],
                         [["a", "a"], ["b", "b"], ["c", "c"]])
        self.assertIn(f"{s2.resolve()}/class/b", (self.tmp / "merged/class.tsv").read_text())
        self.assertTrue((self.tmp / "merged/class.csv").exists())

    def test_an_incomplete_grade_is_graded_again(self):
        """grade-all keeps a grade for reuse (its key) unless a check could not be graded."""
        for s in ("complete", "incomplete"):
            (self.tmp / "class" / s).mkdir(parents=True)
            (self.tmp / "class" / s / "Kbuild").write_text("obj-m := rust_workq.o\n")
            (self.tmp / "class" / s / "rust_workq.rs").write_text(f"// {s}\n")

        def grade_one(module, out, *rest):
            (out / "results.json").write_text('{"score": 5, "extra_data": {"max_score": 5}}\n')
            return grade.INCOMPLETE if module.name == "incomplete" else 0
        env = {"SUBMISSIONS": str(self.tmp / "class"), "GRADE_OUT": str(self.tmp / "out"), "MODULE": "", "SHARD": "", "EXERCISE": ""}
        with mock.patch.dict("os.environ", env), mock.patch.object(grade.kernels, "grade_flavor", lambda: "base"), \
                mock.patch.object(grade.kernels, "prepare", lambda s, f: types.SimpleNamespace(name="7.3/base", version="7.3.4", dir=None)), \
                mock.patch.object(grade.sandbox, "sandbox_ready", lambda *kdir, **private: None), mock.patch.object(grade, "grade_one", grade_one):
            quiet(grade.grade_all, [])
            self.assertEqual([(self.tmp / f"out/class/{s}/key").is_file() for s in ("complete", "incomplete")], [True, False])
            rc, said, _ = quiet(grade.grade_all, [])
        self.assertEqual(rc, 0)
        self.assertIn("complete: graded before from the same submission", said)
        self.assertRegex(said, r"\] incomplete: 5/5 \(\d+ s\) \(graded again")

    def test_fatal_lines_and_exit_status(self):
        env = {"MODULE": str(self.tmp / "none"), "SUBMISSIONS": ""}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            self.assertEqual(quiet(grade.grade, []), (2, "", f"grade: MODULE={self.tmp / 'none'} is not a directory\n"))
            self.assertEqual(quiet(grade.grade_all, [])[::2], (2, "grade-all: give SUBMISSIONS=DIR (one subdirectory per submission)\n"))
            self.assertEqual(quiet(grade.grade_merge, [])[0], 2)
        finally:
            for k, v in old.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


class SandboxTest(Tmp):
    def test_box_argv(self):
        argv = sandbox.box("/root/.cache/k/7.3-base", "/root/.cache/src/7.3", "/tmp/stage")
        s = " ".join(argv)
        for flags in ("bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup --cap-drop ALL",
                      "--die-with-parent --new-session --clearenv", "--ro-bind /usr /usr",
                      "--perms 1777 --size 67108864 --tmpfs /tmp", "--size 536870912 --tmpfs /tmp/build",
                      "--perms 0755 --dir /root --perms 0755 --dir /root/.cache --perms 0755 --dir /root/.cache/k",
                      "--ro-bind /root/.cache/k/7.3-base /root/.cache/k/7.3-base", "--ro-bind /tmp/stage /tmp/submission",
                      f"setpriv --reuid={sandbox.SANDBOX_ID} --regid={sandbox.SANDBOX_ID} --clear-groups --inh-caps=-all "
                      "--bounding-set=-all --no-new-privs bwrap --unshare-user --disable-userns --cap-drop ALL --bind / / --dev /dev"):
            self.assertIn(flags, s)
        self.assertEqual(s.count("--dir /root/.cache/src"), 1)
        self.assertNotIn("/home/build /home", s)
        self.assertTrue(s.endswith("--dev /dev"))

    def test_box_argv_uid_mode(self):
        argv = sandbox.box("/root/.cache/k/7.3-base", "/root/.cache/src/7.3", "/tmp/stage", "uid", "/tmp/w")
        self.assertEqual(argv, [f"setpriv", f"--reuid={sandbox.SANDBOX_ID}", f"--regid={sandbox.SANDBOX_ID}", "--clear-groups",
                                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
                                "env", "-i", "PATH=/usr/bin:/bin", "HOME=/tmp/w", "SUB=/tmp/stage", "WORK=/tmp/w"])

    def test_stage_keeps_regular_small_rs_files(self):
        src = self.tmp / "src"
        src.mkdir()
        for k in range(65):
            (src / f"m{k:02}.rs").write_text(f"// {k}\n")
        (src / "big.rs").write_bytes(b"x" * (sandbox.RS_MAX + 1))
        (src / "edge.rs").write_bytes(b"x" * sandbox.RS_MAX)
        (src / "link.rs").symlink_to(ROOT / "wq.rs")
        (src / "Kbuild").symlink_to(ROOT / "Kbuild")
        os.mkfifo(src / "fifo.rs")
        (src / "notes.txt").write_text("no")
        said = sandbox.stage_submission(src, self.tmp / "stage")
        self.assertEqual(said, ["sandbox: more than 64 .rs files: the rest left out",
                                "sandbox: big.rs left out: not a regular file of at most 1 MiB",
                                "sandbox: fifo.rs left out: not a regular file of at most 1 MiB",
                                "sandbox: link.rs left out: not a regular file of at most 1 MiB"])
        kept = sorted(os.listdir(self.tmp / "stage"))
        self.assertEqual(kept, ["Kbuild", "edge.rs"] + [f"m{k:02}.rs" for k in range(63)])
        self.assertEqual((self.tmp / "stage/Kbuild").read_bytes(), (ROOT / "Kbuild").read_bytes())
        self.assertEqual(os.stat(self.tmp / "stage/m00.rs").st_mode & 0o777, 0o644)
        os.environ["STUDENT_KBUILD"] = "1"
        self.addCleanup(os.environ.pop, "STUDENT_KBUILD")
        said = sandbox.stage_submission(src, self.tmp / "stage2")
        self.assertEqual(said[-1], "sandbox: STUDENT_KBUILD=1 but the submission has no regular Kbuild of at most 64 KiB")
        self.assertNotIn("Kbuild", os.listdir(self.tmp / "stage2"))
        # The key follows what is built and the context only.
        key = grade.grade_key(src, "c")
        self.assertEqual(key, grade.grade_key(self.tmp / "stage2", "c"))
        (src / "notes.txt").write_text("changed")
        self.assertEqual(key, grade.grade_key(src, "c"))
        (src / "m00.rs").write_text("changed")
        self.assertNotEqual(key, grade.grade_key(src, "c"))
        self.assertNotEqual(key, grade.grade_key(self.tmp / "stage2", "d"))


class StarterTest(Tmp):
    def test_starter(self):
        with self.assertRaises(Fail):
            grade.starter(ROOT, self.tmp / "bad", "12")
        grade.starter(ROOT, self.tmp / "s9", 9)
        head = (self.tmp / "s9/rust_workq.rs").read_text().splitlines()
        self.assertEqual(head[0], (ROOT / "rust_workq.rs").read_text().splitlines()[0])
        self.assertEqual(head[3], "// Exercises solved: 1-8. Each `// TODO n:` says what exercise n asks; `make grade")
        self.assertIn("// TODO 9", (self.tmp / "s9/rust_workq.rs").read_text())
        grade.starter(ROOT, self.tmp / "s11", "11")
        self.assertEqual((self.tmp / "s11/rust_workq.rs").read_bytes(), (ROOT / "rust_workq.rs").read_bytes())


if __name__ == "__main__":
    unittest.main()
