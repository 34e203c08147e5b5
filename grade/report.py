#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the suite's results (tests/results.py's results.json: a verdict, attempts, time and
limit per check) into points: a line per check, a line per exercise, the score, and a
results.json in Gradescope's shape. What a check printed comes from the KTAP stream, as text to
show. Called by grade.sh.

Usage: report.py --results FILE --ktap FILE --json FILE --kernel NAME --module DIR --seconds S
                 [--build-log FILE] [--exercise N] [--hidden CHECK]... CHECK...
Exit 0 at full marks, 1 below, 2 when the checks did not run at all, 3 when a check was
inconclusive (its set-up never happened on this machine: the grader's failure, which costs the
student nothing): its points are shown as not graded, "Score: 105/115 (10 not graded: ...)", and
results.json is written all the same.

What the student reads (the terminal, results.json's texts) holds what the checks found; the
harness's own state (the speed factor, how often a set-up was missed and retried, how the guest
was put back) goes to grader.log beside results.json and to its extra_data. Text from the module
or the compiler has its control characters escaped, and the results directory's path is left out.
"""
import argparse
import json
import re
import sys
from pathlib import Path

# The runner's lines about itself, not about the module (tests/guest/run.sh).
HARNESS = re.compile(r"^(runner: |  module was not loaded|\S+@\S+: attempt \d+ of \d+: |\S+@\S+ inconclusive: )")


def clean(text):
    """Text that came from the module or the compiler, safe for a terminal and a JSON reader:
    control characters (ESC, CR, NUL, ...) as \\xNN."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def crash_lines(out):
    """What a crash's output shows: what the host said of it (the test it died in, the first splat,
    a Rust panic's cause, the module's frames), then from the console tail only the lines that
    say what happened (BUG, WARNING, Oops, the panic), not the register dump."""
    cut = next((k for k, l in enumerate(out) if l.startswith("console tail")), len(out))
    said = [l for l in out[cut + 1:] if re.search(r"(BUG:|WARNING:|Oops|Kernel panic|panicked at)", l)][:4]
    return out[:cut] + (["the console's last word:"] + said if said else [])


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
    p.add_argument("--unsafe", help="grade/unsafe.py's list: FILE, LINE, TEXT per line")
    p.add_argument("--unsafe-policy", default="flag")
    p.add_argument("checks", nargs="*")
    a = p.parse_args()

    checks = [dict(meta(c), hidden=c in a.hidden) for c in a.checks]
    printed = parse_ktap(a.ktap)
    results = {}
    if a.results and Path(a.results).exists():
        data = json.loads(Path(a.results).read_text())
        results = {t["name"].split("@")[0]: t for t in data["tests"]}
        factor = {"speed_factor": data["speed_factor"], "source": data["speed_factor_source"]}
    else:
        factor = None
    out_dir = Path(a.json).parent
    # The harness's own state, for the instructor: grader.log beside results.json.
    harness = [f"speed factor {factor['speed_factor']} ({factor['source']})"] if factor else []

    def shown(line):
        """A line as the student sees it: escaped, without the results directory's path."""
        return clean(line).replace(f"{out_dir}/", "").replace(str(out_dir), ".")
    ran = a.build_log is not None or not checks or any(
        l.startswith("TAP version") for l in Path(a.ktap).read_text().splitlines()
    )
    if not ran:
        print(f"grade: the checks did not run (see {Path(a.ktap).parent / 'suite.err'})", file=sys.stderr)
        return 2

    print(f"Grading {clean(Path(a.module).name)} on {a.kernel}")
    # What the build's sandbox refused, so that the instructor sees what a submission tried.
    log = Path(a.build_log or Path(a.ktap).parent / "module" / "build.log")
    log_text = log.read_text(errors="replace") if log.exists() else ""
    refused = [l.strip() for l in log_text.splitlines()
               if re.search(r"Read-only file system|Network is unreachable|Temporary failure in name resolution|"
                            r"Could not resolve|Connection refused|Permission denied|No such file or directory|"
                            r"Operation not permitted|No space left on device|left out", l)
               and "error[" not in l]
    for l in list(dict.fromkeys(refused))[:8]:
        print(f"sandbox: the build tried, and was refused: {shown(l[:200])}")
    if log.exists() and log.stat().st_size >= 1 << 20:
        print("sandbox: the build's output reached its cap of 1 MiB: the build was stopped there")
    unsafe = [l.split("\t") for l in Path(a.unsafe).read_text().splitlines()] if a.unsafe and Path(a.unsafe).exists() else []
    unsafe = [f"{shown(u[0])}:{u[1]}: {shown(u[2])}" for u in unsafe if len(u) == 3]
    if unsafe and a.unsafe_policy == "flag":
        print(f"unsafe code beyond the starter's (UNSAFE=flag: listed, not graded): {len(unsafe)} line(s)")
        for u in unsafe[:10]:
            print(f"    {u}")
        if len(unsafe) > 10:
            print(f"    ... and {len(unsafe) - 10} more (results.json)")
    refused = "the module was not built (UNSAFE=forbid)" if a.unsafe_policy == "forbid" and unsafe else None
    # The build's status: refused by the UNSAFE policy, failed, or ok.
    build = ("refused" if refused else "failed") if a.build_log is not None else "ok"
    build_errors = ""
    if a.build_log is not None:
        # The compiler's messages, without make's and kbuild's own progress lines.
        build_errors = "\n".join(
            shown(l) for l in log_text.splitlines() if not re.match(r"^(make(\[\d+\])?: |  [A-Z_]+ +(\[M\] +)?\S+$)", l)
        )
        print(f"{refused}: every check scores 0:" if refused else "the module does not build: every check scores 0. The compiler said:")
        for l in build_errors.splitlines()[:60]:
            print("    " + l)

    def section(e):
        if e == "robustness":
            return "robustness (beyond the lab, best on DEBUG=1)"
        return "loading and unloading" if e == "0" else f"exercise {e}"

    order = lambda e: (1, 0) if e == "robustness" else (0, int(e) if e.isdigit() else 99)
    tests, score, total, per_exercise, crashed, inconclusive, not_graded = [], 0, 0, {}, [], [], 0
    attempts = {}
    exercises = sorted({c["exercise"] for c in checks} | ({"9"} if a.exercise in (None, "9") else set()), key=order)
    for e in exercises:
        mine = [c for c in checks if c["exercise"] == e]
        if e == "9" and not mine:
            print(EXERCISE_9)
            tests.append({"name": "exercise 9 (written answer)", "score": 0, "max_score": 0,
                          "output": "Graded by hand.", "visibility": "visible"})
            continue
        got = worth = lost = 0
        for c in mine:
            r = results.get(c["name"])
            if a.build_log is not None:
                verdict, out, took, limit = "fail", [refused or "the module did not build"], None, c["limit"]
            elif r is None or r["verdict"] == "missing":
                verdict, out, took, limit = "fail", ["no result: the guest stopped before this check"], None, c["limit"]
            else:
                verdict, took, limit = r["verdict"], r["seconds"], r["limit"] or c["limit"]
                said = printed.get(c["name"], [])
                harness += [f"{c['name']}: {l}" for l in said if HARNESS.match(l)]
                out = [shown(l) for l in said if not HARNESS.match(l) and not l.startswith("SETUP MISSED: ")]
                if (r["attempts"] or 1) > 1:
                    attempts[c["name"]] = r["attempts"]
                    harness.append(f"{c['name']}: run {r['attempts']} times in all (set-up missed)")
            pts = c["points"] if verdict == "pass" else 0
            if verdict == "crash":
                crashed.append(c["name"])
                out = crash_lines(out)
            if verdict == "inconclusive":
                why = shown(r["reason"])
                inconclusive.append(f"{c['name']}: {why}")
                lost += c["points"]
                out = [f"not graded: {why}. The grader's failure, not the module's: grade again on a less busy machine, or with TIMEOUT_MUL=3 (every window and limit scales with it)."]
            counted = verdict != "skip"
            got += pts
            worth += c["points"] if counted else 0
            when = f"{took}s" if took is not None else "-"
            label = {"pass": "OK", "fail": "FAIL", "crash": "FAIL", "skip": "SKIP", "inconclusive": "NOT GRADED"}[verdict]
            points = {"skip": "not counted", "inconclusive": "not graded"}.get(verdict, f"{pts}/{c['points']}")
            print(f"  {c['name']:<28} {label:<4} {points:>11}  ({when}, limit {limit}s){'  [hidden]' if c['hidden'] else ''}")
            if verdict != "pass":
                shown_lines = out if len(out) <= 40 else out[:36] + ["..."] + out[-3:]
                for l in shown_lines:
                    print("      " + l)
            tests.append({
                "name": f"{section(e)}: {c['name']}",
                "score": pts,
                "max_score": c["points"] if counted else 0,
                "status": {"pass": "passed", "skip": "skipped", "inconclusive": "inconclusive"}.get(verdict, "failed"),
                "output": (c["about"] + ".\n" + "\n".join(out)).strip() + f"\n({when}, limit {limit}s)",
                "visibility": "hidden" if c["hidden"] else "visible",
            })
        score += got
        not_graded += lost
        total += worth
        per_exercise[e] = [got, worth]
        print(f"{section(e)}: {got}/{worth}" + (f" ({lost} not graded)" if lost else ""))
    names = ", ".join(i.split(":")[0] for i in inconclusive)
    print(f"Score: {score}/{total}" + (f" ({not_graded} not graded: {names})" if not_graded else ""))
    Path(a.json).write_text(json.dumps({
        "score": score,
        "execution_time": float(a.seconds),
        "output": f"{a.kernel}: {score}/{total}" + ("; the module did not build:\n" + build_errors if a.build_log else ""),
        "tests": tests,
        "extra_data": {
            "kernel": a.kernel,
            "build": build,
            "unsafe": unsafe,
            "unsafe_policy": a.unsafe_policy,
            "exercises": per_exercise,
            "crashed": crashed,
            "inconclusive": inconclusive,
            "not_graded_points": not_graded,
            "max_score": total,
            "speed_factor": factor,
            "attempts": attempts,
        },
    }, indent=2) + "\n")
    (out_dir / "grader.log").write_text("".join(clean(l) + "\n" for l in harness))
    if inconclusive:
        for i in inconclusive:
            print(f"grade: not graded, not the submission's fault: {i}", file=sys.stderr)
        print(f"grade: the grade is incomplete (exit 3): {not_graded} point(s) not graded; grade again, "
              "on a less busy machine or with TIMEOUT_MUL=3", file=sys.stderr)
        return 3
    return 0 if score == total else 1


sys.exit(main())
