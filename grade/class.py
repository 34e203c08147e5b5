#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The class table of `make grade-all` and `make grade-merge`: prints it and writes class.csv
(one row per entry of SUBMISSIONS: name, score, max, one column per exercise, build status,
crashed checks, how many lines of unsafe code beyond the starter's it has (UNSAFE=flag), the checks that could not be graded (inconclusive: the grader's failure, kept
and named), and why it was not graded where it was not) and, beside it, summary.json (how
many entries, graded, not graded, failed builds, with crashed checks; each exercise's mean).

Usage: class.py CLASS_CSV MANIFEST   (MANIFEST: grade-all's class.tsv, a line per entry: NAME,
                                      RESULTS_DIR, REASON, RESULTS_NAME, tab-separated; REASON
                                      empty if graded)
       class.py --score RESULTS_JSON (prints SCORE/MAX)
"""
import csv
import json
import sys
from pathlib import Path


def load(results_dir):
    f = Path(results_dir) / "results.json"
    return json.loads(f.read_text()) if results_dir and f.exists() else None


def main():
    if sys.argv[1] == "--score":
        d = json.loads(Path(sys.argv[2]).read_text())
        print(f"{d['score']}/{d['extra_data']['max_score']}")
        return
    out, manifest = Path(sys.argv[1]), Path(sys.argv[2])
    rows = []
    for line in manifest.read_text().splitlines():
        name, results_dir, reason = (line.split("\t") + ["", ""])[:3]
        d = load(results_dir)
        if d is None:
            rows.append((name, "", "", {}, "not graded", [], [], "", reason or "no result (the grader could not run)"))
            continue
        x = d.get("extra_data", {})
        rows.append((name, d["score"], x.get("max_score", ""), x.get("exercises", {}),
                     x.get("build", "?"), x.get("crashed", []),
                     [i.split(":")[0] for i in x.get("inconclusive", [])],
                     len(x["unsafe"]) if x.get("unsafe_policy", "flag") != "allow" and "unsafe" in x else "", ""))
    # The exercises in the order report.py wrote them (every row's, first seen first).
    exercises = list(dict.fromkeys(e for r in rows for e in r[3]))
    head = ["name", "score", "max"] + [f"e{e}" if e.isdigit() else e for e in exercises] + ["build", "crashed", "inconclusive", "unsafe", "not graded"]
    table = []
    for name, score, mx, ex, build, crashed, unsure, unsafe, reason in rows:
        table.append([name, score, mx] + [ex.get(e, ["", ""])[0] for e in exercises]
                     + [build, " ".join(crashed), " ".join(unsure), unsafe, reason])
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(table)
    graded = [r for r in rows if r[1] != ""]
    summary = {
        "entries": len(rows),
        "graded": len(graded),
        "not_graded": len(rows) - len(graded),
        "failed_builds": sum(1 for r in graded if r[4] != "ok"),
        "with_unsafe": sum(1 for r in graded if r[7]),
        "with_crashed_checks": sum(1 for r in graded if r[5]),
        "with_checks_not_graded": sum(1 for r in graded if r[6]),
        "exercise_means": {
            e: round(sum(float(r[3].get(e, [0])[0] or 0) for r in graded) / len(graded), 2)
            for e in exercises
        } if graded else {},
    }
    (out.parent / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    for r in [head] + table:
        print("  ".join(str(x).ljust(wd) for x, wd in zip(r, widths)).rstrip())
    print(f"{len(rows)} submission(s): {len(graded)} graded, {summary['failed_builds']} failed to build, "
          f"{summary['with_crashed_checks']} with crashed checks; {out}")


main()
