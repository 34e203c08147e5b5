# SPDX-License-Identifier: GPL-2.0
"""make grade, grade-all, grade-merge and skels. A module directory is graded with the checks in
grade/checks/ (and an instructor's hidden ones, EXTRA_TESTS) on a real guest: a line per check,
one per exercise, "Score: P/M" last; GRADE_OUT (build/grade) gets results.json (Gradescope's
shape; the harness's own state in extra_data and grader.log), ktap, log/ and module/build.log.
Exit 0 at full marks, 1 below, 2 when the grader could not run, 4 (INCOMPLETE) when a check could
not be graded (its set-up never happened here: the grader's failure, which costs the student nothing).
The submission is untrusted: built in the sandbox; what it or the compiler said is shown with
its control characters escaped and without the results directory's path."""
import csv
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from . import kernels, sandbox, suite
from .common import CACHE, HOME, OUT, ROOT, Fail, env, meta, note, run
from .ktap import Ktap

# The runner's lines about itself, not about the module (tests/guest/run.sh): for grader.log.
HARNESS = re.compile(r"^(runner: |  module was not loaded|\S+@\S+: attempt \d+ of \d+: |\S+@\S+ inconclusive: )")
# What a build's sandbox refused, in its output: shown, so that the instructor sees what it tried.
REFUSED = re.compile(r"Read-only file system|Network is unreachable|Temporary failure in name resolution|Could not resolve|"
                     r"Connection refused|Permission denied|No such file or directory|Operation not permitted|"
                     r"No space left on device|left out")
EXERCISE_9 = "exercise 9: graded by hand (a written answer: which queue for each workload, and why)"
LABEL = {"pass": "OK", "fail": "FAIL", "crash": "FAIL", "skip": "SKIP", "inconclusive": "NOT GRADED"}
TOKEN = re.compile(r"\bunsafe\b")
# The exit status of a grade with a check that could not be graded: kselftest's skip.
INCOMPLETE = 4


def clean(text, lines=True):
    """Text from the module, the compiler or a submission's file names, safe for a terminal and
    a JSON reader: control characters (ESC, CR, NUL, ...; tabs and newlines too unless the text
    has lines) and bytes that are not UTF-8 as \\xNN."""
    pat = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\udc80-\udcff]" if lines else r"[\x00-\x1f\x7f-\x9f\udc80-\udcff]"
    return re.sub(pat, lambda m: f"\\x{ord(m.group()) & 0xff:02x}", text)


def unpath(text, *places):
    """text without the host's paths (a results file never names one): each (path, name) of
    places as its name, the kernel's source and build trees in the cache as linux/ and
    linux-build/, the cache, the project and the home by name."""
    for path, name in sorted(places, key=lambda p: -len(str(p[0]))):
        text = text.replace(f"{path}/", f"{name}/" if name else "").replace(str(path), name or ".")
    c = re.escape(str(CACHE))
    text = re.sub(c + r"/kernel/[^/\s]+/", "linux-build/", re.sub(c + r"/src/[^/\s]+/[^/\s]+/", "linux/", text))
    for path, name in ((CACHE, "$CACHE"), (ROOT, "$GRADER"), (HOME, "~")):
        text = text.replace(str(path), name) if str(path) != "/" else text
    return text


def fatal(prefix):
    """A command whose every failure means the grader could not run: "PREFIX: WHY", exit 2."""
    def wrap(fn):
        @functools.wraps(fn)
        def command(argv):
            try:
                return fn(argv)
            except Fail as e:
                print(f"{prefix}: {e}", file=sys.stderr)
                return 2
        return command
    return wrap


@contextmanager
def redirected(fd, path):
    """File descriptor fd (1 or 2) appended to path for the block, for what subprocesses print too."""
    sys.stdout.flush(), sys.stderr.flush()
    saved = os.dup(fd)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), fd)
    try:
        yield
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(saved, fd)
        os.close(saved)


def unsafe_lines(path):
    """(number, trimmed text) of each line with the token `unsafe` outside a `//` comment (in a
    string too: listed, never missed) of path, a regular file (not a link; its first 1 MiB)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return []
        text = fh.read(sandbox.RS_MAX).decode("utf-8", "replace")
    return [(n, l.strip()) for n, l in enumerate(text.splitlines(), 1) if TOKEN.search(l.split("//", 1)[0])]


def unsafe(staged, reference=ROOT):
    """The unsafe code a staged submission adds to the starter's, as (FILE, LINE, TEXT), escaped
    and cut at 120 characters: a line the reference has in the file of that name (the starter's
    plumbing) is the starter's, as many times as the reference has it."""
    short = lambda t: clean(t, False) if len(clean(t, False)) <= 120 else clean(t, False)[:117] + "..."
    found = []
    for f in sorted(p.name for p in Path(staged).iterdir() if p.name.endswith(".rs")):
        allowed = Counter(t for _, t in unsafe_lines(Path(reference) / f))
        for n, t in unsafe_lines(Path(staged) / f):
            allowed[t] -= 1
            if allowed[t] < 0:
                found.append((short(f), n, short(t)))
    return found


def crash_lines(out):
    """A crash's output as shown: what the host said of it, then of the console's tail only the
    lines that say what happened (BUG, WARNING, Oops, the panic), not the register dump."""
    cut = next((k for k, l in enumerate(out) if l.startswith("console tail")), len(out))
    said = [l for l in out[cut + 1:] if re.search(r"(BUG:|WARNING:|Oops|Kernel panic|panicked at)", l)][:4]
    return out[:cut] + (["the console's last word:"] + said if said else [])


def check_info(path, hidden):
    m = meta(path)
    return {"name": m["name"], "exercise": m.get("exercise"), "points": int(m.get("points") or 0),
            "limit": m.get("limit"), "about": m["about"].split(". ")[0], "hidden": hidden}


def section(e):
    return {"robustness": "robustness (beyond the lab, best on DEBUG=1)", "0": "loading and unloading"}.get(e, f"exercise {e}")


def report(checks, hidden, results, build, found, policy, kernel, module, seconds, exercise, out, places=()):
    """The suite's Results as points on stdout, results.json and grader.log in out; the exit
    status. build: ok, failed or refused (UNSAFE=forbid); found: the unsafe lines beyond the
    starter's. The harness's own state (the speed factor, missed set-ups, how the guest was put
    back) goes to grader.log and extra_data, not to the student."""
    out = Path(out)
    checks = [check_info(c, c in hidden) for c in checks]
    if build == "ok" and checks and results is None:
        print(f"grade: the checks did not run (see {out / 'suite.err'})", file=sys.stderr)
        return 2
    tests_of = {t.name.split("@")[0]: t for t in results.tests} if results else {}
    factor = {"speed_factor": results.speed_factor, "source": results.speed_factor_source} if results else None
    harness = [f"speed factor {results.speed_factor} ({results.speed_factor_source})"] if results else []

    shown = lambda line: clean(unpath(line, (out, ""), (module, ""), *places))
    print(f"Grading {clean(Path(module).name)} on {kernel}")
    log = out / "module/build.log"
    log_text = log.read_text(errors="replace") if log.exists() else ""
    tried = [l.strip() for l in log_text.splitlines() if REFUSED.search(l) and "error[" not in l]
    for l in list(dict.fromkeys(tried))[:8]:
        print(f"sandbox: the build tried, and was refused: {shown(l[:200])}")
    if log.exists() and log.stat().st_size >= 1 << 20:
        print("sandbox: the build's output reached its cap of 1 MiB: the build was stopped there")
    listed = [f"{shown(f)}:{n}: {shown(t)}" for f, n, t in found]
    if listed and policy == "flag":
        print(f"unsafe code beyond the starter's (UNSAFE=flag: listed, not graded): {len(listed)} line(s)")
        for u in listed[:10]:
            print(f"    {u}")
        if len(listed) > 10:
            print(f"    ... and {len(listed) - 10} more (results.json)")
    refused = "the module was not built (UNSAFE=forbid)" if build == "refused" else None
    build_errors = ""
    if build != "ok":
        # The compiler's messages, without make's and kbuild's own progress lines.
        build_errors = "\n".join(shown(l) for l in log_text.splitlines()
                                 if not re.match(r"^(make(\[\d+\])?: |  [A-Z_]+ +(\[M\] +)?\S+$)", l))
        print(f"{refused}: every check scores 0:" if refused else "the module does not build: every check scores 0. The compiler said:")
        for l in build_errors.splitlines()[:60]:
            print("    " + l)

    order = lambda e: (1, 0) if e == "robustness" else (0, int(e) if e.isdigit() else 99)
    tests, score, total, per_exercise, crashed, inconclusive, not_graded, attempts = [], 0, 0, {}, [], [], 0, {}
    if build != "ok":  # first, as a test of its own: what the compiler (or UNSAFE=forbid) said
        tests.append({"name": "build: rust_workq.ko", "score": 0, "max_score": 0, "status": "failed", "visibility": "visible",
                      "output": refused + ":\n" + "\n".join(listed) if refused else "The module does not build. The compiler said:\n" + build_errors})
    for e in sorted({c["exercise"] for c in checks} | ({"9"} if exercise in ("", "9") else set()), key=order):
        mine = [c for c in checks if c["exercise"] == e]
        if e == "9" and not mine:
            print(EXERCISE_9)
            tests.append({"name": "exercise 9 (written answer)", "score": 0, "max_score": 0,
                          "output": "Graded by hand.", "visibility": "visible"})
            continue
        got = worth = lost = 0
        for c in mine:
            r = tests_of.get(c["name"])
            if build != "ok":
                verdict, lines, took, limit = "fail", [refused or "the module did not build"], None, c["limit"]
            elif r is None or r.verdict == "missing":
                verdict, lines, took, limit = "fail", ["no result: the guest stopped before this check"], None, c["limit"]
            else:
                verdict, took, limit = r.verdict, r.seconds, r.limit or c["limit"]
                took_line = re.compile(rf"^{re.escape(r.name)} took [0-9.]+s \(limit \d+s\)$")
                said = [l for l in r.output if not l.startswith("SKIP: ") and not took_line.match(l)]
                harness += [f"{c['name']}: {l}" for l in said if HARNESS.match(l)]
                lines = [shown(l) for l in said if not HARNESS.match(l) and not l.startswith("SETUP MISSED: ")]
                if (r.attempts or 1) > 1:
                    attempts[c["name"]] = r.attempts
                    harness.append(f"{c['name']}: run {r.attempts} times in all (set-up missed)")
            pts = c["points"] if verdict == "pass" else 0
            if verdict == "crash":
                crashed.append(c["name"])
                lines = crash_lines(lines)
            if verdict == "inconclusive":
                why = shown(r.reason)
                inconclusive.append(f"{c['name']}: {why}")
                lost += c["points"]
                lines = [f"not graded: {why}. The grader's failure, not the module's: grade again on a less busy machine, "
                         "or with TIMEOUT_MUL=3 (every window and limit scales with it)."]
            got += pts
            worth += c["points"] if verdict != "skip" else 0
            when = f"{took}s" if took is not None else "-"
            points = {"skip": "not counted", "inconclusive": "not graded"}.get(verdict, f"{pts}/{c['points']}")
            print(f"  {c['name']:<28} {LABEL[verdict]:<4} {points:>11}  ({when}, limit {limit}s){'  [hidden]' if c['hidden'] else ''}")
            if verdict != "pass":
                for l in lines if len(lines) <= 40 else lines[:36] + ["..."] + lines[-3:]:
                    print("      " + l)
            tests.append({
                "name": f"{section(e)}: {c['name']}", "score": pts, "max_score": c["points"] if verdict != "skip" else 0,
                "status": {"pass": "passed", "skip": "skipped", "inconclusive": "inconclusive"}.get(verdict, "failed"),
                "output": (c["about"].rstrip(".") + ".\n" + "\n".join(lines)).strip() + f"\n({when}, limit {limit}s)",
                "visibility": "hidden" if c["hidden"] else "visible"})
        score, not_graded, total = score + got, not_graded + lost, total + worth
        per_exercise[e] = [got, worth]
        print(f"{section(e)}: {got}/{worth}" + (f" ({lost} not graded)" if lost else ""))
    names = ", ".join(i.split(":")[0] for i in inconclusive)
    print(f"Score: {score}/{total}" + (f" ({not_graded} not graded: {names})" if not_graded else ""))
    (out / "results.json").write_text(json.dumps({
        "score": score, "execution_time": seconds,
        "output": f"{kernel}: {score}/{total}" + ("; the module did not build:\n" + build_errors if build != "ok" else ""),
        "tests": tests,
        "extra_data": {"kernel": kernel, "build": build, "unsafe": listed, "unsafe_policy": policy, "exercises": per_exercise,
                       "crashed": crashed, "inconclusive": inconclusive, "not_graded_points": not_graded,
                       "max_score": total, "speed_factor": factor, "attempts": attempts},
    }, indent=2) + "\n")
    (out / "grader.log").write_text("".join(clean(l) + "\n" for l in harness))
    if inconclusive:
        for i in inconclusive:
            print(f"grade: not graded, not the submission's fault: {i}", file=sys.stderr)
        print(f"grade: the grade is incomplete (exit {INCOMPLETE}, kselftest's skip): {not_graded} point(s) not graded; grade again, "
              "on a less busy machine or with TIMEOUT_MUL=3", file=sys.stderr)
        return INCOMPLETE
    return 0 if score == total else 1


def settings():
    """EXERCISE and UNSAFE, checked; the checks (built-in, then EXTRA_TESTS's, those of EXERCISE
    only when given) and the hidden ones among them (EXTRA_TESTS's)."""
    ex, policy, extra = env("EXERCISE"), env("UNSAFE", "flag"), env("EXTRA_TESTS")
    if ex not in ["", "robustness"] + [str(n) for n in range(11)]:
        raise Fail(f"EXERCISE={ex}: give 0-10 or robustness")
    if policy not in ("flag", "forbid", "allow"):
        raise Fail(f"UNSAFE={policy}: give flag, forbid or allow")
    files = sorted((ROOT / "grade/checks").glob("[0-9]*.sh"))
    hidden = []
    if extra:
        if not os.path.isdir(extra):
            raise Fail(f"EXTRA_TESTS={extra} is not a directory")
        hidden = [Path(os.path.abspath(c)) for c in sorted(Path(extra).glob("*.sh")) if c.is_file()]
        if not hidden:
            raise Fail(f"EXTRA_TESTS={extra} has no *.sh checks")
    checks = []
    for c in files + hidden:
        e = meta(c).get("exercise")
        if not e or e is True:
            raise Fail(f"{c} has no '#@ exercise=' line")
        if not ex or e == ex:
            checks.append(c)
    if not checks and ex != "9":
        raise Fail(f"no check for EXERCISE={ex}")
    return ex, policy, checks, [c for c in hidden if c in checks]


def module_dir(d):
    """A module directory to grade, as an absolute path."""
    if not os.path.isdir(d):
        raise Fail(f"MODULE={env('MODULE')} is not a directory")
    d = Path(os.path.abspath(d))
    if not (d / "Kbuild").is_file() and not (d / "Makefile").is_file():
        raise Fail(f"MODULE={d} has no Kbuild: give the directory whose Kbuild builds rust_workq.ko "
                   "(make skels writes one: skels/)")
    return d


def grade_one(module, out, kernel, ex, policy, checks, hidden):
    """Grades the module directory into out on the prepared kernel: the report on stdout, the
    exit status."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # A fresh result, leaving what the caller keeps beside it (grade-all's report.txt) alone.
    for f in ("module", "log", "ktap", "suite.err", "submission.ko", "results.json", "unsafe.tsv"):
        shutil.rmtree(out / f) if (out / f).is_dir() and not (out / f).is_symlink() else (out / f).unlink(missing_ok=True)
    t0 = time.monotonic()
    found = []
    if policy != "allow":
        with tempfile.TemporaryDirectory() as stage:
            sandbox.stage_submission(module, stage)
            found = unsafe(stage)
    (out / "unsafe.tsv").write_text("".join(f"{f}\t{n}\t{t}\n" for f, n, t in found))
    note(f"building {module} against {kernel.name} (sandboxed)")
    results, build = None, "ok"
    (out / "ktap").touch()
    if policy == "forbid" and found:
        (out / "module").mkdir()
        refusals = [f"UNSAFE=forbid: {f}:{n}: unsafe code beyond the starter's: {t}" for f, n, t in found]
        (out / "module/build.log").write_text("".join(l + "\n" for l in refusals))
        note(f"not building: {refusals[0]}")
        build = "refused"
    elif not sandbox.build_submission(module, out / "module", kernel.dir, kernels.kmake_vars()):
        build = "failed"
    else:
        shutil.copyfile(out / "module/rust_workq.ko", out / "submission.ko")
        note(f"running {len(checks)} check(s) on {kernel.name}")
        if checks:
            # The instructor's hidden checks are in no image the module sees: served when due.
            with redirected(1, out / "ktap"), redirected(2, out / "suite.err"):
                try:
                    results = suite.run(kernel, [(c, out / "submission.ko") for c in checks], out / "log",
                                        late=hidden, ktap=Ktap(sys.stdout))
                except Fail as e:
                    print(f"error: {e}", file=sys.stderr)
    return report(checks, hidden, results, build, found, policy, f"{kernel.name} ({kernel.version})", module,
                  round(time.monotonic() - t0, 1), ex, out,
                  places=[(kernel.dir, "linux-build"), (os.path.realpath(Path(kernel.dir) / "source"), "linux")])


@fatal("grade")
def grade(argv):
    module = module_dir(env("MODULE", str(ROOT)))
    flavor = kernels.grade_flavor()
    ex, policy, checks, hidden = settings()
    kernel = kernels.prepare(None, flavor)
    sandbox.sandbox_ready(kernel.dir, private=[env("GRADE_OUT", str(OUT / "grade")), env("EXTRA_TESTS")])
    return grade_one(module, env("GRADE_OUT", str(OUT / "grade")), kernel, ex, policy, checks, hidden)


def shown_name(name):
    """A name as printed and in class.csv: control characters (a newline, an ESC sequence) and
    bytes that are not UTF-8 as '?'."""
    return re.sub(r"[\x00-\x1f\x7f\udc80-\udcff]", "?", name)


def results_names(entries):
    """Each entry's name for its results, safe for paths and CSV: other characters become "_",
    and a name another entry already has gets "-2", "-3", ..."""
    taken, names = set(), []
    for e in entries:
        base = re.sub(rb"[^A-Za-z0-9._-]", b"_", os.fsencode(e)).decode()
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        names.append(name)
    return names


def in_share(k, i, n):
    """Whether entry k (from 1, in the sorted list) belongs to share i of n."""
    return (k - 1) % n + 1 == i


def grade_context(kernel):
    """What every grade of a class depends on besides the submission, as one hash: the kernel,
    the settings, the checks and the grader. Shards merge only under the same context."""
    h = hashlib.sha256(f"kernel {kernel.name} {kernel.version}\nsettings EXERCISE={env('EXERCISE')} DEBUG={env('DEBUG')} "
                       f"STUDENT_KBUILD={env('STUDENT_KBUILD', '0')} TIMEOUT_MUL={env('TIMEOUT_MUL')} "
                       f"UNSAFE={env('UNSAFE', 'flag')}\n".encode())
    extra = sorted(Path(env("EXTRA_TESTS")).glob("*.sh")) if env("EXTRA_TESTS") else []
    # The grader's tests do not grade: a change of theirs keeps the stored results.
    harness = sorted(f for f in ROOT.glob("harness/*.py") if not f.name.startswith("test_"))
    for f in sorted(ROOT.glob("grade/checks/*.sh")) + harness + [
            ROOT / "grade/lib.sh", ROOT / "tests/guest/lib.sh", ROOT / "tests/guest/run.sh"] + extra:
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()[:32]


def grade_key(d, context):
    """What a grade depends on: the context and the submission as the sandbox builds it."""
    h = hashlib.sha256(f"{context}\n".encode())
    with tempfile.TemporaryDirectory() as stage:
        sandbox.stage_submission(d, stage)
        for f in sorted(os.listdir(stage), key=os.fsencode):
            h.update(f"{hashlib.sha256(Path(stage, f).read_bytes()).hexdigest()}  {f}\n".encode(errors="surrogateescape"))
    return h.hexdigest()[:32]


def score(results_json):
    d = json.loads(Path(results_json).read_text())
    return f"{d['score']}/{d['extra_data']['max_score']}"


@fatal("grade-all")
def grade_all(argv):
    """Every entry of SUBMISSIONS graded as make grade would, on one prepared kernel: a progress
    line each, then the class table. A result is reused only under the same key (grade_key) unless
    FORCE=1. SHARD=I/N (else CI_NODE_INDEX/CI_NODE_TOTAL) grades entry k of the bytewise sorted
    list only in share ((k - 1) mod N) + 1; shard.json (the share, the class's results names, the
    context) and class.tsv (NAME, RESULTS_DIR, REASON, RESULTS_NAME per entry) are for grade-merge."""
    subs = env("SUBMISSIONS")
    if not subs:
        raise Fail("give SUBMISSIONS=DIR (one subdirectory per submission)")
    if not os.path.isdir(subs):
        raise Fail(f"SUBMISSIONS={subs} is not a directory")
    subs = Path(os.path.abspath(subs))
    if env("MODULE"):
        raise Fail("MODULE= is for make grade; grade-all grades every directory in SUBMISSIONS")
    entries = sorted(os.listdir(subs), key=os.fsencode)
    if not entries:
        raise Fail(f"SUBMISSIONS={subs} is empty")
    shard = env("SHARD") or (f"{env('CI_NODE_INDEX')}/{env('CI_NODE_TOTAL')}" if env("CI_NODE_INDEX") else "1/1")
    m = re.fullmatch(r"([1-9][0-9]*)/([1-9][0-9]*)", shard)
    if not m or int(m[1]) > int(m[2]):
        raise Fail(f"SHARD={shard}: give I/N with 1 <= I <= N (GitHub's strategy.job-index counts from 0: add 1)")
    si, sn = int(m[1]), int(m[2])
    flavor = kernels.grade_flavor()
    sandbox.sandbox_ready()
    ex, policy, checks, hidden = settings()
    cls = Path(env("GRADE_OUT", str(OUT / ("grade" if sn == 1 else f"grade-shard-{si}-of-{sn}"))))
    (cls / "class").mkdir(parents=True, exist_ok=True)
    kernel = kernels.prepare(None, flavor)
    sandbox.sandbox_ready(kernel.dir, private=[subs, cls, env("EXTRA_TESTS")])
    context = grade_context(kernel)
    names = results_names(entries)
    mine = [k for k in range(len(entries)) if in_share(k + 1, si, sn)]
    (cls / "shard.json").write_text(json.dumps({"shard": si, "of": sn, "context": context, "entries": names}, indent=1))
    if sn != 1:
        print(f"share {si} of {sn}: {len(mine)} of the {len(entries)} entries")
    graded = spent = 0
    with open(cls / "class.tsv", "w", errors="surrogateescape") as manifest:
        for i, k in enumerate(mine, 1):
            d, show, out = subs / entries[k], shown_name(entries[k]), cls / "class" / names[k]
            n = len(mine)
            why = ("a symbolic link: not followed" if d.is_symlink() else "not a directory" if not d.is_dir() else
                   "its name has a control character (a newline?): rename it" if show != entries[k] else "")
            print(f"{show}\t{'' if why else out}\t{why}\t{names[k]}", file=manifest, flush=True)
            if why:
                print(f"[{i}/{n}] {show}: not graded: {why}", flush=True)
                continue
            key = grade_key(d, context)
            stored = (out / "key").read_text().strip() if (out / "key").is_file() else None
            if (out / "results.json").is_file() and stored == key and env("FORCE", "0") != "1":
                print(f"[{i}/{n}] {show}: graded before from the same submission, checks and settings (FORCE=1 regrades)", flush=True)
                continue
            again = " (graded again: the submission, the checks or the settings changed)" if (out / "results.json").is_file() else ""
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            t0 = time.monotonic()
            with redirected(1, out / "report.txt"), redirected(2, out / "grade.err"):
                try:
                    rc = grade_one(module_dir(d), out, kernel, ex, policy, checks, hidden)
                except Fail as e:
                    print(f"grade: {e}", file=sys.stderr)
                    rc = 2
                except Exception:  # a grader bug on one submission: said in its grade.err, the class goes on
                    traceback.print_exc()
                    rc = 2
            t = int(time.monotonic() - t0 + 0.5)
            graded, spent = graded + 1, spent + t
            left = (n - i) * spent // graded
            if rc == 2 or not (out / "results.json").is_file():
                (out / "results.json").unlink(missing_ok=True)
                last = ((out / "grade.err").read_text(errors="replace").splitlines() or [""])[-1]
                print(f"[{i}/{n}] {show}: the grader could not run ({shown_name(last)}); rerun to retry", flush=True)
                continue
            # Graded, but a check could not be (named in results.json and in class.csv's
            # "inconclusive"): its row stays, and the next run grades it again (no key).
            if rc != INCOMPLETE:
                (out / "key").write_text(key + "\n")
            print(f"[{i}/{n}] {show}: {score(out / 'results.json')} ({t} s){again}, about {left // 60} min {left % 60:02d} s left",
                  flush=True)
    class_table(cls / "class.csv", cls / "class.tsv")
    return 0


def class_table(out, manifest):
    """Prints the class table and writes class.csv (a row per entry of the manifest: score, max,
    each exercise, build, crashed, not graded checks, unsafe lines (UNSAFE=flag), why not graded)
    and summary.json beside it (counts, and each exercise's mean)."""
    out, rows = Path(out), []
    for line in Path(manifest).read_text(errors="surrogateescape").splitlines():
        name, results_dir, reason = (line.split("\t") + ["", ""])[:3]
        f = Path(results_dir) / "results.json"
        d = json.loads(f.read_text()) if results_dir and f.exists() else None
        if d is None:
            rows.append((name, "", "", {}, "not graded", [], [], "", reason or "no result (the grader could not run)"))
            continue
        x = d.get("extra_data", {})
        rows.append((name, d["score"], x.get("max_score", ""), x.get("exercises", {}), x.get("build", "?"), x.get("crashed", []),
                     [i.split(":")[0] for i in x.get("inconclusive", [])],
                     len(x["unsafe"]) if x.get("unsafe_policy", "flag") != "allow" and "unsafe" in x else "", ""))
    # The exercises in the order the reports wrote them (every row's, first seen first).
    exercises = list(dict.fromkeys(e for r in rows for e in r[3]))
    head = ["name", "score", "max"] + [f"e{e}" if e.isdigit() else e for e in exercises] + [
        "build", "crashed", "inconclusive", "unsafe", "not graded"]
    table = [[name, sc, mx] + [ex.get(e, ["", ""])[0] for e in exercises] + [build, " ".join(cr), " ".join(un), us, why]
             for name, sc, mx, ex, build, cr, un, us, why in rows]
    with out.open("w", newline="", errors="surrogateescape") as fh:
        csv.writer(fh).writerows([head] + table)
    graded = [r for r in rows if r[1] != ""]
    summary = {
        "entries": len(rows), "graded": len(graded), "not_graded": len(rows) - len(graded),
        "failed_builds": sum(1 for r in graded if r[4] != "ok"), "with_unsafe": sum(1 for r in graded if r[7]),
        "with_crashed_checks": sum(1 for r in graded if r[5]), "with_checks_not_graded": sum(1 for r in graded if r[6]),
        "exercise_means": {e: round(sum(float(r[3].get(e, [0])[0] or 0) for r in graded) / len(graded), 2)
                           for e in exercises} if graded else {},
    }
    (out.parent / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *table)]
    for r in [head] + table:
        print("  ".join(str(x).ljust(wd) for x, wd in zip(r, widths)).rstrip())
    print(f"{len(rows)} submission(s): {len(graded)} graded, {summary['failed_builds']} failed to build, "
          f"{summary['with_crashed_checks']} with crashed checks; {out}")


def merge(out, dirs):
    """Joins the shares of a sharded grade-all into out (class.tsv in the class's order, class.csv,
    summary.json) as an unsharded run writes it. Anything but the N shares of one class and
    context, each once, every entry in exactly one, is refused naming it; nothing is written."""
    shares = {}
    for d in map(Path, dirs):
        try:
            info = json.loads((d / "shard.json").read_text())
            rows = [line.split("\t") for line in (d / "class.tsv").read_text(errors="surrogateescape").splitlines()]
            if info["shard"] in shares:
                raise Fail(f"share {info['shard']} of {info['of']} is given twice ({shares[info['shard']][0]} and {d})")
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise Fail(f"{d} is not the output of make grade-all ({e})")
        shares[info["shard"]] = (d, info, rows)
    first = next(iter(shares.values()))[1]
    for d, info, _ in shares.values():
        if info["of"] != first["of"] or info["entries"] != first["entries"]:
            raise Fail(f"{d} is a share of another class or split (its entries or N differ)")
        if info["context"] != first["context"]:
            raise Fail(f"{d} was graded with other checks, settings or kernel (context {info['context']} vs {first['context']})")
    missing = sorted(set(range(1, first["of"] + 1)) - set(shares))
    if missing:
        raise Fail(f"share(s) {', '.join(map(str, missing))} of {first['of']} missing: give every share's results")
    where = {}
    for i, (d, _, rows) in sorted(shares.items()):
        for row in rows:
            name, _, reason, key = (row + ["", "", ""])[:4]
            if key in where:
                raise Fail(f"student {name} is in shares {where[key][0]} and {i}")
            where[key] = (i, name, reason, d)
    for key in first["entries"]:
        if key not in where:
            raise Fail(f"student {key} is in no share's results")
    extra = sorted(set(where) - set(first["entries"]))
    if extra:
        raise Fail(f"student {extra[0]} is not in the class")
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"{where[k][1]}\t{'' if where[k][2] else (where[k][3] / 'class' / k).resolve()}\t{where[k][2]}\t{k}\n"
             for k in first["entries"]]
    (out / "class.tsv").write_text("".join(lines), errors="surrogateescape")
    class_table(out / "class.csv", out / "class.tsv")


@fatal("grade-merge")
def grade_merge(argv):
    if not argv:
        raise Fail('give the shares\' output directories: make grade-merge RESULTS="DIR ..." (build/grade-shard-I-of-N)')
    merge(Path(env("GRADE_OUT", str(OUT / "grade"))), argv)
    return 0


def starter(src, out, todo, patches=ROOT / "grade/starter"):
    """The lab's starter from the reference src in out: its Kbuild and *.rs, with exercises todo..10
    taken out by patches/eN.patch, N = 10 down to todo. Each patch replaces one exercise's code with
    its "// TODO N:" lines against the reference with the later ones out: they apply in that order
    only, exactly (no fuzz); one a reference edit broke is named (grade/README.md: refresh it)."""
    if not re.fullmatch(r"[1-9]|10|11", str(todo)):
        raise Fail(f"TODO={todo}: give 1..10 (exercises before it come solved) or 11 (all)", 2)
    todo, out = int(todo), Path(out)
    if not shutil.which("patch"):
        raise Fail("patch not found; install it: apt-get install patch")
    out.mkdir(parents=True, exist_ok=True)
    for f in [Path(src) / "Kbuild"] + sorted(Path(src).glob("*.rs")):
        shutil.copy(f, out)
    for n in range(10, todo - 1, -1):
        p = Path(patches) / f"e{n}.patch"
        if p.is_file():
            with open(p) as fh:
                r = run(["patch", "-s", "-p1", "-d", out, "--fuzz=0", "--no-backup-if-mismatch", "-r", "-"], False,
                        stdin=fh, capture_output=True, text=True)
            if r.returncode != 0:
                sys.stderr.write(r.stdout + r.stderr)
                raise Fail(f"grade/starter/e{n}.patch no longer applies to the reference; refresh it (grade/README.md)")
    if todo > 10:
        return
    solved = {1: "none", 2: "1"}.get(todo, f"1-{todo - 1}")
    # After the SPDX line: what this file is, and no warnings for what the lab provides that the
    # TODOs have not used yet.
    rs = out / "rust_workq.rs"
    first, _, rest = rs.read_text().partition("\n")
    rs.write_text(f"""{first}

// The lab's starter, written by `make skels TODO={todo}` from the reference solution.
// Exercises solved: {solved}. Each `// TODO n:` says what exercise n asks; `make grade
// MODULE=<this directory>` grades what you wrote. Until every TODO is done, some of what the
// lab provides is unused: no warnings for it.
#![allow(dead_code, unused_imports, unused_macros, unused_mut, unused_variables)]
{rest}""")


def skels(argv):
    """make skels: the starter in DIR (skels/; TODO=N: exercises 1..N-1 solved). An existing DIR
    may hold a student's work: replaced only with FORCE=1."""
    d = Path(argv[0] if argv else ROOT / "skels")
    todo = env("TODO", "1")
    if d.exists() and env("FORCE", "0") != "1":
        raise Fail(f"{d} already exists and may hold your work: move it away, or FORCE=1 replaces it")
    tmp = Path(f"{d}.new")
    shutil.rmtree(tmp, ignore_errors=True)
    starter(ROOT, tmp, todo)
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)
    note(f"wrote {d}/ (TODO={todo}; its rust_workq.rs says what is solved); grade it with 'make grade MODULE={d}'")
    return 0


def starter_rebase(argv):
    """python3 -m harness starter-rebase N (a maintainer's tool): after an edit of the reference's
    *.rs, rewrites grade/starter/eN.patch so that it takes exercise N out of the edited reference as
    it took it out of the committed one (git HEAD). The edit is carried into the starter except
    inside exercise N's cut code (patch says "FAILED" for that hunk, and the new patch leaves it
    out). Run it from N = 10 down to 1; read git diff grade/starter/ before committing."""
    n = int(argv[0]) if argv and re.fullmatch(r"[1-9]|10", argv[0]) else None
    if n is None:
        raise Fail("usage: python3 -m harness starter-rebase N (1..10)", 2)
    if not (ROOT / f"grade/starter/e{n}.patch").is_file():
        raise Fail(f"no grade/starter/e{n}.patch: exercise {n} has no starter patch to rebase", 2)
    with tempfile.TemporaryDirectory() as t:
        t, p = Path(t), ROOT / f"grade/starter/e{n}.patch"
        (t / "old").mkdir()
        run(["tar", "-C", t / "old", "-xf", "-"], input=run(["git", "-C", ROOT, "archive", "HEAD"], capture_output=True).stdout)
        starter(t / "old", t / "old_after", n + 1, t / "old/grade/starter")
        starter(ROOT, t / "new_after", n + 1)
        shutil.copytree(t / "old_after", t / "want")
        with open(t / f"old/grade/starter/e{n}.patch") as fh:
            run(["patch", "-s", "-p1", "-d", t / "want", "--fuzz=0"], stdin=fh)
        names = sorted(f.name for f in (t / "new_after").glob("*.rs"))
        for f in names:  # the edit, carried into exercise N's starter; a hunk inside the cut code fails, as it should
            d = run(["diff", "-u", t / "old_after" / f, t / "new_after" / f], False, capture_output=True).stdout
            if d:
                run(["patch", "--fuzz=3", "--no-backup-if-mismatch", "-r", "-", t / "want" / f], False, input=d)
        if n < 10:  # the patches are written against the starter without its header (starter() adds it last)
            for d in ("new_after", "want"):
                lines = (t / d / "rust_workq.rs").read_text().splitlines(True)
                (t / d / "rust_workq.rs").write_text("".join(lines[:1] + lines[7:]))
        p.write_bytes(b"".join(run(["diff", "-u", "--label", f"a/{f}", "--label", f"b/{f}", t / "new_after" / f, t / "want" / f], False,
                                   capture_output=True).stdout for f in names))
        starter(ROOT, t / "check", n)
    note(f"rewrote grade/starter/e{n}.patch; it applies to the edited reference")
    return 0


def score_command(argv):
    """python3 -m harness score RESULTS.JSON: its score, "P/M" (a CI job's summary line)."""
    if len(argv) != 1:
        raise Fail("usage: python3 -m harness score build/grade/results.json", 2)
    try:
        print(score(argv[0]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise Fail(f"{argv[0]} is not a grader's results.json ({e})")
    return 0


COMMANDS = {"grade": grade, "grade-all": grade_all, "grade-merge": grade_merge, "skels": skels, "starter-rebase": starter_rebase,
            "score": score_command}
