# SPDX-License-Identifier: GPL-2.0
"""Unit tests of the platforms' shapes (no guest boot, no build): Gradescope's and PrairieLearn's
results.json from one make grade results.json, the grader's own failure in each, where a
submission's module is found and what is built of it."""
import json
import os
import shutil
import tempfile
import unittest
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path
from unittest import mock

from harness import platforms
from harness.common import ROOT

GS_TOP, GS_TEST = platforms.FIELDS["gradescope"], platforms.FIELDS["gradescope test"]
PL_TOP, PL_TEST = platforms.FIELDS["prairielearn"], platforms.FIELDS["prairielearn test"]


def model(inconclusive=()):
    """make grade's results.json of a module: 25 of 40, one hidden check, one not graded."""
    t = lambda name, score, most, status, vis="visible": {"name": name, "score": score, "max_score": most, "status": status,
                                                          "output": f"{name} said", "visibility": vis}
    return {"score": 25, "execution_time": 61.4, "output": "7.3/base (7.3.4): 25/40",
            "tests": [t("loading and unloading: loads", 5, 5, "passed"), t("exercise 1: e1_worker_ran", 0, 10, "failed"),
                      t("exercise 3: e3_value", 10, 10, "passed", "hidden"), t("exercise 4: e4_chain", 0, 5, "inconclusive"),
                      t("exercise 5: e5_quick_slow", 10, 10, "passed"), t("exercise 7: e7_spawn", 0, 0, "skipped"),
                      {"name": "exercise 9 (written answer)", "score": 0, "max_score": 0, "output": "Graded by hand.", "visibility": "visible"}],
            "extra_data": {"kernel": "7.3/base (7.3.4)", "build": "ok", "max_score": 40, "exercises": {"0": [5, 5]},
                           "inconclusive": list(inconclusive), "unsafe": ["rust_workq.rs:3: unsafe"], "speed_factor": None}}


class ShapeTest(unittest.TestCase):
    def test_gradescope(self):
        g = platforms.gradescope(model(), "after_published")
        self.assertLessEqual(set(g), GS_TOP)
        self.assertTrue(all(set(t) <= GS_TEST for t in g["tests"]))
        self.assertEqual((g["score"], g["execution_time"], g["output_format"], g["stdout_visibility"]), (25, 61, "text", "hidden"))
        self.assertEqual([t.get("status") for t in g["tests"]], ["passed", "failed", "passed", "failed", "passed", None, None])
        self.assertEqual([t["visibility"] for t in g["tests"]], ["visible", "visible", "after_published"] + ["visible"] * 4)
        self.assertEqual(platforms.gradescope(model(), "hidden")["tests"][2]["visibility"], "hidden")
        self.assertEqual(sum(t["score"] for t in g["tests"]), g["score"])
        self.assertNotIn("unsafe", g["extra_data"])

    def test_prairielearn(self):
        p = platforms.prairielearn(model())
        self.assertLessEqual(set(p), PL_TOP)
        self.assertTrue(all(set(t) <= PL_TEST for t in p["tests"]))
        self.assertEqual((p["gradable"], p["score"], p["message"]), (True, 0.625, "25/40"))
        self.assertEqual(sum(t["points"] for t in p["tests"]), 25)
        self.assertEqual(sum(t["max_points"] for t in p["tests"]), 40)
        self.assertNotIn("e3_value said", json.dumps(p))  # the hidden check's output

    def test_prairielearn_not_gradable_when_a_check_was_not(self):
        p = platforms.prairielearn(model(["e4_chain: set-up missed in 3 attempt(s)"]))
        self.assertFalse(p["gradable"])
        self.assertIn("e4_chain: set-up missed", p["message"])

    def test_the_graders_failure(self):
        for shape, key in (("gradescope", "score"), ("prairielearn", "gradable")):
            f = platforms.failed("bwrap is missing", shape)
            self.assertEqual(f[key], 0 if key == "score" else False)
            self.assertIn("bwrap is missing", f["output"])
            self.assertIn("not your submission's fault", f["output"])
            self.assertEqual(f["tests"], [])


class SubmissionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)

    def test_where_the_module_is(self):
        (top := self.tmp / "sub").mkdir()
        self.assertEqual(platforms.modules_in(top), [])
        (top / "skels").mkdir()
        (top / "skels/rust_workq.rs").write_text("")
        self.assertEqual(platforms.modules_in(top), [top / "skels"])
        (top / "other").mkdir()
        (top / "other/rust_workq.rs").write_text("")
        self.assertEqual(sorted(platforms.modules_in(top)), [top / "other", top / "skels"])  # which one is not guessed
        (top / "rust_workq.rs").symlink_to("/etc/passwd")
        self.assertEqual(len(platforms.modules_in(top)), 2)  # a link is not followed: still the two below
        (top / "rust_workq.rs").unlink()
        (top / "rust_workq.rs").write_text("")
        self.assertEqual(platforms.modules_in(top), [top])

    def test_rust_workq_alone_gets_the_plumbing(self):
        (sub := self.tmp / "sub").mkdir()
        (sub / "rust_workq.rs").write_text("// mine\n")
        (sub / "wq.rs").symlink_to(ROOT / "wq.rs")
        s = platforms.staged(sub, self.tmp / "stage")
        self.assertEqual((s / "rust_workq.rs").read_text(), "// mine\n")
        self.assertEqual((s / "wq.rs").read_bytes(), (ROOT / "wq.rs").read_bytes())  # the reference's, not through the link
        self.assertFalse((s / "wq.rs").is_symlink())
        self.assertEqual(sorted(f.name for f in s.iterdir()), sorted([f.name for f in ROOT.glob("*.rs")] + ["Kbuild"]))

    def test_a_missing_submission_is_the_graders_failure(self):
        for shape in ("gradescope", "prairielearn"):
            out = self.tmp / shape / "results.json"
            with redirect_stderr(StringIO()):
                self.assertEqual(platforms.grade_for(shape, self.tmp / "none", out), 0)
            r = json.loads(out.read_text())
            self.assertIn("the submission directory", r["output"])
            self.assertEqual(r.get("gradable", False), False)

    def test_no_rust_workq_rs_is_graded_zero(self):
        (sub := self.tmp / "sub").mkdir()
        (sub / "notes\x1b.txt").write_text("")
        os.environ["EXERCISE"] = "1"
        self.addCleanup(os.environ.pop, "EXERCISE")
        for shape in ("gradescope", "prairielearn"):
            out = self.tmp / shape / "results.json"
            with redirect_stderr(StringIO()):
                platforms.grade_for(shape, sub, out)
            r = json.loads(out.read_text())
            self.assertEqual(r.get("gradable", True), True)
            self.assertEqual(r["score"], 0)
            self.assertIn("no rust_workq.rs in the submission (it has: notes?.txt)", r["tests"][0]["output"])


class AutograderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)

    def zip(self, extra=None):
        env = {"EXTRA_TESTS": str(extra)} if extra else {}
        with mock.patch.object(platforms, "OUT", self.tmp), mock.patch.dict("os.environ", env), redirect_stdout(StringIO()):
            platforms.autograder([])
        return zipfile.ZipFile(self.tmp / "autograder/gradescope.zip")

    def test_the_zip(self):
        (hidden := self.tmp / "hidden").mkdir()
        (hidden / "90-mine.sh").write_text("#@ exercise=1\n")
        (hidden / "link.sh").symlink_to("/etc/passwd")
        with self.zip(hidden) as z:
            names = z.namelist()
            mode = lambda n: z.getinfo(n).external_attr >> 16
            self.assertEqual(names[:2], ["setup.sh", "run_autograder"])
            self.assertEqual((mode("setup.sh"), mode("run_autograder"), mode("Makefile")), (0o755, 0o755, 0o644))
            self.assertIn("harness/platforms.py", names)
            self.assertEqual([n for n in names if n.startswith("grade/hidden/")], ["grade/hidden/90-mine.sh"])  # not the link
            self.assertFalse([n for n in names if n.startswith(("build/", "userspace/target/"))])
        with self.zip() as z:
            self.assertFalse([n for n in z.namelist() if n.startswith("grade/hidden/")])

    def test_no_hidden_check_is_said(self):
        (empty := self.tmp / "empty").mkdir()
        with self.assertRaises(platforms.Fail):
            self.zip(empty)
