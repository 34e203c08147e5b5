# SPDX-License-Identifier: GPL-2.0
"""The guest's data channel (ttyS2) as records, and the results of one suite as data.

The channel carries one tab-separated record a line; its kinds (the one definition):
  exit STATUS                    the guest command's exit status (qemu/guest-init.sh)
  diag NAME LINE                 a line the runner printed for test NAME (tests/guest/run.sh)
  test NAME VERDICT ATTEMPTS SECONDS LIMIT MODULE REASON FIGURES    one per test
  reboot                         the known state cannot be restored: the rest in a fresh guest
  done PASS FAIL SKIP            the runner finished
  trace NAME LINE                a line of the trace NAME (qemu/guest-trace.sh)
  bench RUN FIELD...             a row of a benchmark run (bench/guest.sh)
The guest runs untrusted modules: a channel is read with a size cap, every field is bounded, a
record of an unknown kind or with missing fields is skipped, and nothing in them is more than
text. results.json is one Results: one entry per planned test and a summary.
"""
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

CAP = 4 << 20  # boot caps the channel at this size too
FIELD_CAP = 2000
VERDICTS = ("pass", "fail", "skip", "inconclusive", "crash")
# Each kind's fields after the kind; the last of a kind with a "*" takes the rest of the line.
KINDS = {"exit": ("status",), "diag": ("name", "line"), "reboot": (), "done": ("passed", "failed", "skipped"),
         "test": ("name", "verdict", "attempts", "seconds", "limit", "module", "reason", "figures"),
         "trace": ("name", "*line"), "bench": ("run", "*row")}
# The fields a test record must have; the rest may be missing (an older runner, a crash).
TEST_NEEDS = 3


@dataclass
class Record:
    kind: str
    fields: dict


def parse_line(line):
    """One record from one line, or None (an unknown kind, too few fields)."""
    parts = line.rstrip("\r\n").split("\t")
    names = KINDS.get(parts[0])
    if names is None:
        return None
    vals = parts[1:]
    if len(vals) < (TEST_NEEDS if parts[0] == "test" else len(names)):
        return None
    if names and names[-1].startswith("*"):
        names = names[:-1] + (names[-1][1:],)
        vals = vals[:len(names) - 1] + ["\t".join(vals[len(names) - 1:])]
    return Record(parts[0], {n: v[:FIELD_CAP] for n, v in zip(names, vals)})


def parse(raw):
    """Every record of a channel's bytes (capped at CAP)."""
    text = raw[:CAP].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:CAP]
    return [r for r in map(parse_line, text.splitlines()) if r]


def read(path):
    try:
        with open(path, "rb") as f:
            return parse(f.read(CAP))
    except OSError:
        return []


def number(text, kind):
    try:
        return kind(text)
    except (TypeError, ValueError):
        return None


@dataclass
class Test:
    name: str
    verdict: str = "missing"
    attempts: int = None
    seconds: float = None
    limit: int = None
    module: str = ""
    reason: str = "no result"
    figures: str = ""
    output: list = field(default_factory=list)

    @classmethod
    def from_record(cls, r, output):
        f = r.fields
        return cls(f["name"], f["verdict"], number(f.get("attempts"), int), number(f.get("seconds"), float),
                   number(f.get("limit"), int), f.get("module", "").strip(), f.get("reason", "").strip(),
                   f.get("figures", "").strip(), output)


def tests_of(records, planned):
    """The first valid test record of each planned test, with the diag lines said before it."""
    got, said = {}, {}
    for r in records:
        if r.kind == "diag":
            said.setdefault(r.fields["name"], []).append(r.fields["line"])
        elif r.kind == "test":
            n = r.fields["name"]
            if n in planned and n not in got and r.fields["verdict"] in VERDICTS:
                got[n] = Test.from_record(r, said.pop(n, []))
    return got


@dataclass
class Results:
    kernel: str
    version: str
    speed_factor: float
    speed_factor_source: str
    boots: int
    tests: list

    @property
    def summary(self):
        tests = self.tests
        count = lambda *v: sum(t.verdict in v for t in tests)
        timed = [t for t in tests if t.seconds is not None and t.limit]
        closest = max(timed, key=lambda t: t.seconds / t.limit, default=None)
        return {
            "planned": len(tests),
            "reported": sum(t.verdict != "missing" for t in tests),
            "passed": count("pass"),
            "failed": count("fail", "crash", "inconclusive"),
            "skipped": count("skip"),
            "inconclusive": [t.name for t in tests if t.verdict == "inconclusive"],
            "crashed": [t.name for t in tests if t.verdict == "crash"],
            "retried": [t.name for t in tests if (t.attempts or 0) > 1],
            "closest": f"{closest.name} took {closest.seconds}s of {closest.limit}s" if closest else "",
            "figures": " ".join(t.figures for t in tests if t.figures),
        }

    def verdict(self, name):
        return next((t.verdict for t in self.tests if t.name == name), None)

    def save(self, path):
        d = asdict(self)
        d["summary"] = self.summary
        Path(path).write_text(json.dumps(d, indent=2) + "\n")

    @classmethod
    def load(cls, path):
        d = json.loads(Path(path).read_text())
        d.pop("summary", None)
        d["tests"] = [Test(**t) for t in d["tests"]]
        return cls(**d)
