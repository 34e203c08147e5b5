#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the suite's results (tests/results.py's results.json: a verdict, attempts, time and
limit per check) into points: a line per check, a line per exercise, the score, and a
results.json in Gradescope's shape. What a check printed comes from the KTAP stream, as text to
show. Called by grade.sh.

Usage: report.py --results FILE --ktap FILE --json FILE --kernel NAME --module DIR --seconds S
                 [--build-log FILE] [--exercise N] [--hidden CHECK]... CHECK...
Exit 0 at full marks, 1 below, 2 when the checks did not run at all or a check was inconclusive
(its set-up never happened on this machine: the grader's failure, which costs the student nothing).
"""
import argparse
import json
import re
import sys
from pathlib import Path

EXERCISE_9 = "exercise 9: graded by hand (a written answer: which queue for each workload, and why)"


def meta(path):
    text = Path(path).read_text()
    get = lambda key: (re.search(rf"^#@ {key}=(.*)$", text, re.M) or [None, None])[1]
    name = re.sub(r"^\d\d-", "", Path(path).stem)
    lines = text.splitlines()
    about = " ".join(l[2:] for l in lines[1:] if l.startswith("# ") and not l.startswith("#@"))
    return {
        "name": name,
        "exercise": get("exercise"),
        "points": int(get("points") or 0),
        "limit": get("limit"),
        "about": about.split(". ")[0],
    }


def parse_ktap(path):
    """What each check printed, by check name: the diagnostic lines before its result."""
    results, pending = {}, []
    for line in Path(path).read_text().splitlines() if Path(path).exists() else []:
        m = re.match(r"^(not ok|ok) \d+ (\S+)", line)
        if m:
            results[m.group(2).split("@")[0]] = [
                d for d in pending
                if not d.startswith("SKIP: ") and not re.match(rf"^{re.escape(m.group(2))} took [0-9.]+s \(limit \d+s\)$", d)
            ]
            pending = []
        elif line.startswith("# ") or line == "#":
            d = line[2:]
            if d.startswith(("guest suite on", "booting a fresh guest")) or re.match(r"^\S+/\S+: \d+ passed", d):
                continue
            pending.append(d)
    return results


def main():
    p = argparse.ArgumentParser()
    for opt in ("--ktap", "--json", "--kernel", "--module", "--seconds"):
        p.add_argument(opt, required=True)
    p.add_argument("--results")
    p.add_argument("--build-log")
    p.add_argument("--exercise")
    p.add_argument("--hidden", action="append", default=[])
    p.add_argument("checks", nargs="*")
    a = p.parse_args()

    checks = [dict(meta(c), hidden=c in a.hidden) for c in a.checks]
    printed = parse_ktap(a.ktap)
    results = {}
    if a.results and Path(a.results).exists():
        data = json.loads(Path(a.results).read_text())
        results = {t["name"].split("@")[0]: t for t in data["tests"]}
        factor = f"{data['speed_factor']} ({data['speed_factor_source']})"
    else:
        factor = None
    ran = a.build_log is not None or not checks or any(
        l.startswith("TAP version") for l in Path(a.ktap).read_text().splitlines()
    )
    if not ran:
        print(f"grade: the checks did not run (see {Path(a.ktap).parent / 'suite.err'})", file=sys.stderr)
        return 2

    print(f"Grading {a.module} on {a.kernel}")
    if factor:
        print(f"time limits scaled by the machine's speed factor {factor}")
    # What the build's sandbox refused, so that the instructor sees what a submission tried.
    log = Path(a.build_log or Path(a.ktap).parent / "module" / "build.log")
    log_text = log.read_text(errors="replace") if log.exists() else ""
    refused = [l.strip() for l in log_text.splitlines()
               if re.search(r"Read-only file system|Network is unreachable|Temporary failure in name resolution|"
                            r"Could not resolve|Connection refused|Permission denied|No such file or directory|"
                            r"Operation not permitted|No space left on device|left out", l)
               and "error[" not in l]
    for l in list(dict.fromkeys(refused))[:8]:
        print(f"sandbox: the build tried, and was refused: {l[:200]}")
    if log.exists() and log.stat().st_size >= 1 << 20:
        print("sandbox: the build's output reached its cap of 1 MiB: the build was stopped there")
    build_errors = ""
    if a.build_log is not None:
        # The compiler's messages, without make's and kbuild's own progress lines.
        build_errors = "\n".join(
            l for l in log_text.splitlines() if not re.match(r"^(make(\[\d+\])?: |  [A-Z_]+ +(\[M\] +)?\S+$)", l)
        )
        print("the module does not build: every check scores 0. The compiler said:")
        for l in build_errors.splitlines()[:60]:
            print("    " + l)

    def section(e):
        if e == "robustness":
            return "robustness (beyond the lab, best on DEBUG=1)"
        return "loading and unloading" if e == "0" else f"exercise {e}"

    order = lambda e: (1, 0) if e == "robustness" else (0, int(e) if e.isdigit() else 99)
    tests, score, total, per_exercise, crashed, inconclusive = [], 0, 0, {}, [], []
    exercises = sorted({c["exercise"] for c in checks} | ({"9"} if a.exercise in (None, "9") else set()), key=order)
    for e in exercises:
        mine = [c for c in checks if c["exercise"] == e]
        if e == "9" and not mine:
            print(EXERCISE_9)
            tests.append({"name": "exercise 9 (written answer)", "score": 0, "max_score": 0,
                          "output": "Graded by hand.", "visibility": "visible"})
            continue
        got = worth = 0
        for c in mine:
            r = results.get(c["name"])
            if a.build_log is not None:
                verdict, out, took, limit = "fail", ["the module did not build"], None, c["limit"]
            elif r is None or r["verdict"] == "missing":
                verdict, out, took, limit = "fail", ["no result: the guest stopped before this check"], None, c["limit"]
            else:
                verdict, took, limit = r["verdict"], r["seconds"], r["limit"] or c["limit"]
                out = printed.get(c["name"], [])
                if (r["attempts"] or 1) > 1:
                    out = out + [f"(set-up missed, run {r['attempts']} times in all)"]
            pts = c["points"] if verdict == "pass" else 0
            if verdict == "crash":
                crashed.append(c["name"])
            if verdict == "inconclusive":
                inconclusive.append(f"{c['name']}: {r['reason']}")
            counted = verdict not in ("skip", "inconclusive")
            got += pts
            worth += c["points"] if counted else 0
            when = f"{took}s" if took is not None else "-"
            label = {"pass": "OK", "fail": "FAIL", "crash": "FAIL", "skip": "SKIP", "inconclusive": "INCONCLUSIVE"}[verdict]
            shown = f"{pts}/{c['points']}" if counted else "not counted"
            print(f"  {c['name']:<28} {label:<4} {shown:>11}  ({when}, limit {limit}s){'  [hidden]' if c['hidden'] else ''}")
            if verdict != "pass":
                # What it said first (the verdict, a crash's cause), then the end (the panic).
                shown_lines = out if len(out) <= 25 else out[:4] + ["..."] + out[-20:]
                for l in shown_lines:
                    print("      " + l)
            tests.append({
                "name": f"{section(e)}: {c['name']}",
                "score": pts,
                "max_score": c["points"] if counted else 0,
                "status": "passed" if verdict == "pass" else ("failed" if counted else
                                                              "inconclusive" if verdict == "inconclusive" else "skipped"),
                "output": (c["about"] + ".\n" + "\n".join(out)).strip() + f"\n({when}, limit {limit}s)",
                "visibility": "hidden" if c["hidden"] else "visible",
            })
        score += got
        total += worth
        per_exercise[e] = [got, worth]
        print(f"{section(e)}: {got}/{worth}")
    print(f"Score: {score}/{total}")
    Path(a.json).write_text(json.dumps({
        "score": score,
        "execution_time": float(a.seconds),
        "output": f"{a.kernel}: {score}/{total}" + ("; the module did not build:\n" + build_errors if a.build_log else ""),
        "tests": tests,
        "extra_data": {
            "kernel": a.kernel,
            "build": "failed" if a.build_log is not None else "ok",
            "exercises": per_exercise,
            "crashed": crashed,
            "inconclusive": inconclusive,
            "max_score": total,
        },
    }, indent=2) + "\n")
    if inconclusive:
        for i in inconclusive:
            print(f"grade: inconclusive, not the submission's fault: {i}", file=sys.stderr)
        print("grade: the grade is incomplete (exit 2); grade again, on a less busy machine or with TIMEOUT_MUL=N",
              file=sys.stderr)
        return 2
    return 0 if score == total else 1


sys.exit(main())
