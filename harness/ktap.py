# SPDX-License-Identifier: GPL-2.0
"""KTAP, printed from results (kselftest's ktap_helpers.sh in Python): one stream per Ktap, results
numbered from 1, totals at the end, and the counts kept as numbers for whoever runs the stream.
A phase's stream goes to its own buffer and is printed indented below the phase's result."""
import io
import sys

# A suite's verdicts as KTAP shows them: anything but pass and skip is "not ok".
SHOWN = {"pass": "pass", "skip": "skip"}


class Ktap:
    def __init__(self, out=None):
        self.out = out if out is not None else sys.stdout
        self.n = self.passed = self.failed = self.skipped = 0

    def line(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def header(self):
        self.line("TAP version 13")

    def plan(self, n):
        self.line(f"1..{n}")

    def diag(self, text):
        for l in str(text).splitlines() or [""]:
            self.line(f"# {l}" if l else "#")

    def result(self, verdict, name, reason=""):
        """verdict: pass, skip, or anything else (a failure); True and False as pass and fail."""
        verdict = {True: "pass", False: "fail"}.get(verdict, verdict)
        self.n += 1
        if verdict == "pass":
            self.passed += 1
            self.line(f"ok {self.n} {name}")
        elif verdict == "skip":
            self.skipped += 1
            self.line(f"ok {self.n} {name} # SKIP {reason}")
        else:
            self.failed += 1
            self.line(f"not ok {self.n} {name}")
        return verdict == "pass"

    def check(self, ok, name, why=""):
        """One result; a failure's why becomes its diagnostics first."""
        if not ok and why:
            self.diag(why)
        return self.result(bool(ok), name)

    def test(self, t):
        """A suite's test (records.Test) as KTAP: what it said, then its verdict."""
        for l in t.output:
            self.diag(l)
        self.result(SHOWN.get(t.verdict, "fail"), t.name, t.reason)

    def totals(self):
        self.line(f"# Totals: pass:{self.passed} fail:{self.failed} skip:{self.skipped}")

    @property
    def ok(self):
        return self.failed == 0


class Phase(Ktap):
    """A stream kept in memory: make check prints it indented under the phase's own result,
    and counts its leaves (its own and those it took in from streams below it)."""

    def __init__(self):
        super().__init__(io.StringIO())
        self.leaves_passed = self.leaves_failed = 0

    def result(self, verdict, name, reason=""):
        ok = super().result(verdict, name, reason)
        if ok or verdict == "skip":
            self.leaves_passed += ok
        else:
            self.leaves_failed += 1
        return ok

    def take(self, other, prefix="", suffix=""):
        """Another stream's results renumbered into this one (names as PREFIX NAME SUFFIX)."""
        for l in other.text().splitlines():
            if l.startswith(("ok ", "not ok ")):
                ok = l.startswith("ok ")
                rest = l.split(" ", 3 if not ok else 2)[-1]
                name, _, skip = rest.partition(" # SKIP ")
                self.result("skip" if skip else ok, f"{prefix}{name}{suffix}", skip)
            elif l.startswith("#") and not l.startswith("# Totals"):
                self.line(l)

    def text(self):
        return self.out.getvalue()
