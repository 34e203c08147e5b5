#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The results of one guest suite as data, in the spirit of kunit.py's --json.

  results.py build --kernel NAME --version V --factor F --factor-source TEXT --boots N
                   --planned NAME... --out FILE -- RECORDS...
      Turns the records the guest runner wrote on its data channel (tests/guest/run.sh: one
      tab-separated "test" line per test) and the host's own records of the tests that crashed a
      guest (tests/host/suite.sh) into FILE: one entry per planned test (name, verdict, attempts,
      seconds, limit, module, reason, figures) and a summary. A record for a test that was not
      planned, or a second one for the same test, is ignored; a planned test without a record is
      "missing". VERDICT is pass, fail, skip, inconclusive (its set-up never happened) or crash.

  results.py verdicts FILE
      Prints "NAME VERDICT ATTEMPTS" for every planned test.

  results.py get FILE KEY...
      Prints summary values (or top-level ones: kernel, speed_factor, ...), one per line, a list
      as space-separated names.

The records come from a guest that runs untrusted modules: every file is read with a size cap,
every field is bounded, and nothing in them is more than text.
"""
import argparse
import json
import sys
from pathlib import Path

FIELDS = ("name", "verdict", "attempts", "seconds", "limit", "module", "reason", "figures")
VERDICTS = ("pass", "fail", "skip", "inconclusive", "crash")
CAP = 4 << 20  # boot.sh caps the data channel at this size too
FIELD_CAP = 2000


def number(text, kind):
    try:
        return kind(text)
    except ValueError:
        return None


def read_records(paths, planned):
    tests = {}
    for path in paths:
        try:
            with open(path, "rb") as f:
                raw = f.read(CAP)
        except OSError:
            continue
        for line in raw.decode("utf-8", "replace").splitlines():
            parts = line.split("\t")
            if parts[0] != "test" or len(parts) < 4:
                continue
            r = dict(zip(FIELDS, (p[:FIELD_CAP] for p in parts[1:])))
            if r["name"] not in planned or r["name"] in tests or r.get("verdict") not in VERDICTS:
                continue
            r["attempts"] = number(r.get("attempts", ""), int)
            r["seconds"] = number(r.get("seconds", ""), float)
            r["limit"] = number(r.get("limit", ""), int)
            for k in ("module", "reason", "figures"):
                r[k] = r.get(k, "").strip()
            tests[r["name"]] = r
    return tests


def build(a):
    planned = list(dict.fromkeys(a.planned))
    got = read_records(a.records, set(planned))
    tests = [got.get(n) or {"name": n, "verdict": "missing", "attempts": None, "seconds": None,
                            "limit": None, "module": "", "reason": "no result", "figures": ""}
             for n in planned]
    count = lambda *v: sum(t["verdict"] in v for t in tests)
    timed = [t for t in tests if t["seconds"] is not None and t["limit"]]
    closest = max(timed, key=lambda t: t["seconds"] / t["limit"], default=None)
    summary = {
        "planned": len(planned),
        "reported": sum(t["verdict"] != "missing" for t in tests),
        "passed": count("pass"),
        "failed": count("fail", "crash", "inconclusive"),
        "skipped": count("skip"),
        "inconclusive": [t["name"] for t in tests if t["verdict"] == "inconclusive"],
        "crashed": [t["name"] for t in tests if t["verdict"] == "crash"],
        "retried": [t["name"] for t in tests if (t["attempts"] or 0) > 1],
        "closest": f"{closest['name']} took {closest['seconds']}s of {closest['limit']}s" if closest else "",
        "figures": " ".join(t["figures"] for t in tests if t["figures"]),
    }
    Path(a.out).write_text(json.dumps({
        "kernel": a.kernel,
        "version": a.version,
        "speed_factor": float(a.factor),
        "speed_factor_source": a.factor_source,
        "boots": int(a.boots),
        "tests": tests,
        "summary": summary,
    }, indent=2) + "\n")
    return 0


def get(a):
    results = json.loads(Path(a.file).read_text())
    for k in a.keys:
        v = results["summary"][k] if k in results["summary"] else results[k]
        print(" ".join(v) if isinstance(v, list) else v)
    return 0


def verdicts(a):
    for t in json.loads(Path(a.file).read_text())["tests"]:
        print(t["name"], t["verdict"], t["attempts"] or 0)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    for opt in ("--kernel", "--version", "--factor", "--factor-source", "--boots", "--out"):
        b.add_argument(opt, required=True)
    b.add_argument("--planned", nargs="+", required=True)
    b.add_argument("records", nargs="*")
    g = sub.add_parser("get")
    g.add_argument("file")
    g.add_argument("keys", nargs="+")
    sub.add_parser("verdicts").add_argument("file")
    a = p.parse_args()
    return {"build": build, "get": get, "verdicts": verdicts}[a.cmd](a)


sys.exit(main())
