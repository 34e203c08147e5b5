#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The class table of `make grade-all`: prints it and writes class.csv (one row per submission:
name, score, max, one column per exercise, build status, crashed checks).

Usage: class.py CLASS_CSV RESULTS_JSON...   (each RESULTS_JSON in a directory named after its
submission)
"""
import csv
import json
import sys
from pathlib import Path


def main():
    out, files = Path(sys.argv[1]), [Path(f) for f in sys.argv[2:] if Path(f).exists()]
    rows = []
    for f in files:
        d = json.loads(f.read_text())
        x = d.get("extra_data", {})
        rows.append((f.parent.name, d["score"], x.get("max_score", ""), x.get("exercises", {}),
                     x.get("build", "?"), x.get("crashed", [])))
    # The exercises in the order report.py wrote them (every row's, first seen first).
    exercises = list(dict.fromkeys(e for r in rows for e in r[3]))
    head = ["name", "score", "max"] + [f"e{e}" if e.isdigit() else e for e in exercises] + ["build", "crashed"]
    table = []
    for name, score, mx, ex, build, crashed in rows:
        table.append([name, score, mx] + [ex.get(e, ["", ""])[0] for e in exercises] + [build, " ".join(crashed)])
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(table)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    for r in [head] + table:
        print("  ".join(str(x).ljust(wd) for x, wd in zip(r, widths)).rstrip())
    print(f"{len(rows)} submission(s); {out}")


main()
