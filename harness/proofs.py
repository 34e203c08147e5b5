# SPDX-License-Identifier: GPL-2.0
"""What make check proves beside the suites, on real guests, each into its own KTAP stream (a
ktap.Phase): the harness itself (selftest), that the grader discriminates (grade_proof), that its
box holds a hostile class (grade_class), that a class graded in shares merges into the unsharded
run (grade_shards), that the timing-sensitive tests pass on a slow machine (slow). The verdicts
come from each suite's Results, never from its printed stream. What sets the process's
environment (SLOWDOWN, the grader's settings) or redirects its output (the grader) runs in a child
process (isolated): the guests beside it must not see that."""
import csv
import difflib
import hashlib
import json
import os
import pickle
import random
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from pathlib import Path

from . import grade, kernels, records, suite, trace
from .common import CACHE, HOME, OUT, ROOT, Fail, env, meta, notes_to
from .ktap import Phase

CHECKS = sorted((ROOT / "grade/checks").glob("[0-9]*.sh"))
MUTANTS = ROOT / "grade/mutants"
TODOS = range(1, 11)


def nested(ktap, inner):
    """Another stream (a suite's, what a command printed) shown indented in this one."""
    for l in (inner if isinstance(inner, str) else inner.text()).splitlines():
        ktap.line(f"    {l}")


def suite_run(kernel, specs, log):
    """A suite's Results (None if it could not run: every verdict missing) and its stream."""
    inner = Phase()
    try:
        return suite.run(kernel, specs, log, ktap=inner), inner
    except Fail as e:
        inner.diag(f"error: {e}")
        return None, inner


def isolated(name, ktap, *args, **settings):
    """NAME(*args, phase) of this module run in a child process whose environment adds settings;
    its stream and counts taken into ktap. Returns what it returned."""
    with tempfile.TemporaryDirectory() as t:
        (Path(t) / "call").write_bytes(pickle.dumps((name, args)))
        p = subprocess.run([sys.executable, "-c", "import sys; from harness import proofs; proofs.child(sys.argv[1])", t],
                           cwd=ROOT, env={**os.environ, **settings}, stdin=subprocess.DEVNULL, stdout=sys.stderr)
        if not (Path(t) / "result").is_file():
            raise Fail(f"{name} ended without its results (exit {p.returncode}; its output above)")
        text, counts, ok = pickle.loads((Path(t) / "result").read_bytes())
    ktap.out.write(text)
    ktap.n, ktap.passed, ktap.failed, ktap.skipped, ktap.leaves_passed, ktap.leaves_failed = counts
    return ok


def child(d):
    """isolated()'s other end: the call in directory d, its result written beside it."""
    name, args = pickle.loads((Path(d) / "call").read_bytes())
    ph, ok = Phase(), False
    try:
        with notes_to(ph.diag):
            ok = globals()[name](*args, ph)
    except Fail as e:
        ph.diag(f"error: {e}")
    except Exception:
        ph.diag(traceback.format_exc().rstrip())
    counts = (ph.n, ph.passed, ph.failed, ph.skipped, ph.leaves_passed, ph.leaves_failed)
    (Path(d) / "result").write_bytes(pickle.dumps((ph.text(), counts, ok)))


def selftest(kernel, ktap):
    """The harness on a real guest (tests/harness/): one test's failure or crash stays its own, a
    missed set-up runs again; `make run` hands the guest its command verbatim and the program its
    status back; the program ends a failure with one line naming the step and the fix."""
    r, inner = suite_run(kernel, [(t, None) for t in sorted((ROOT / "tests/harness").glob("[0-9]*.sh"))], OUT / "selftest")
    nested(ktap, inner)
    tests = {t.name: t for t in r.tests} if r else {}
    ktap.header()
    ktap.plan(15)
    # Each: the test's record in results.json ("VERDICT ATTEMPTS"), or a line of its output (^...).
    for name, want, what in (
            ("unload_and_fail", "fail 1", "a failing test is recorded as failed"),
            ("unload_and_fail", "^  module was not loaded: the next test loads it again$", "the runner reports the module it left unloaded"),
            ("state_is_known", "pass 1", "the next test starts from the known state"),
            ("crash", "crash 1", "a test that crashes the guest is recorded as the one that crashed"),
            ("crash", "^crash crashed the guest", "the host names the test that crashed, with the console's tail"),
            ("after_crash", "pass 1", "the test after a crash passes in a fresh guest"),
            ("missed_once", "pass 2", "a test whose set-up was missed once runs again and its second verdict counts"),
            ("missed_once", "^missed_once: attempt 1 of 3: set-up missed: ", "the output says each attempt whose set-up was missed"),
            ("never_set_up", "inconclusive 3", "a set-up that never happens is inconclusive after 3 attempts, not a pass")):
        t = tests.get(name)
        if want.startswith("^"):
            ktap.result(bool(t) and any(re.search(want, l) for l in t.output), f"harness: {name}: {what}")
            continue
        if not t or f"{t.verdict} {t.attempts or 0}" != want:
            ktap.diag(f"results.json: {name} {t.verdict} {t.attempts or 0}" if t else f"results.json: no record for {name}")
        ktap.result(bool(t) and f"{t.verdict} {t.attempts or 0}" == want, f"harness: {name}: {what}")
    ktap.check(re.search(r"^ok 7 [^ ]+: every planned test reported \(6\)$", inner.text(), re.M),
               "harness: suite: the host has exactly one result for each of the six tests")

    # Shell variables, $(...), quotes, semicolons and $? must reach the guest's shell unexpanded.
    environ = {**os.environ, "FLAVOR": kernel.flavor, **({"KERNEL_SERIES": kernel.series} if kernel.series != "custom" else {})}
    cmd = 'x=hello; echo "x is $x and $(echo sub) and \\"q\\""; true; echo "status $?"'
    p = subprocess.run(["make", "-s", "-C", ROOT, "run", f"CMD={cmd}"], env=environ, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace")
    nested(ktap, p.stdout)
    out = p.stdout.splitlines()
    ktap.result('x is hello and sub and "q"' in out and "status 0" in out, "harness: make run CMD=... reaches the guest verbatim")

    def said(environ, cmd):  # python3 -m harness run CMD: its status and its stderr's lines
        p = subprocess.run([sys.executable, "-m", "harness", "run", cmd], cwd=ROOT, env=environ, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        return p.returncode, p.stderr.splitlines(), [l for l in p.stderr.splitlines() if l.startswith("error:")]
    rc, lines, errors = said(environ, "exit 3")
    ktap.check(rc == 3, "harness: python3 -m harness run exits with the command's status", f"python3 -m harness run 'exit 3' exited {rc}")

    # No command ends without saying why: a failure ends the program with one "error:" line, its
    # last, naming the step and the fix; a failure of the guest's command is that command's own.
    def one_line(environ, names, what):
        rc, lines, errors = said(environ, "true")
        ktap.check(rc not in (0, 3) and len(errors) == 1 and lines[-1] == errors[0] and all(n in errors[0] for n in names),
                   f"harness: error_line: {what}", f"exit {rc}, stderr ends: {' | '.join(lines[-3:])}")
    with tempfile.TemporaryDirectory() as shadow:  # the PATH's tools but qemu-system-x86_64
        tools = {f.name: f for d in reversed(environ.get("PATH", "").split(":")) if os.path.isdir(d) for f in Path(d).iterdir()}
        for name, f in tools.items():
            if name != "qemu-system-x86_64":
                (Path(shadow) / name).symlink_to(f)
        one_line({**environ, "PATH": shadow}, ["qemu-system-x86_64", "make deps"], "a missing tool ends the program with one line naming it and the fix")
    one_line({**{k: v for k, v in environ.items() if k != "KDIR"}, "KERNEL_SERIES": "6.1"}, ["6.1", *kernels.supported()],
             "an unknown KERNEL_SERIES ends the program with one line naming the supported ones")
    ktap.check(not errors, "harness: error_line: a failing guest command is its own business: its status, no error line",
               f"python3 -m harness run 'exit 3' said: {' | '.join(lines[-3:])}")
    return ktap.ok


def build(src, name, kernel, work, ktap):
    """The module built from src against kernel as work/ko/NAME.ko, from the cache when the same
    sources were built against the same kernel tree before."""
    h = hashlib.sha256(f"{kernel.dir}\n".encode())
    for f in [src / "Kbuild", *sorted(src.glob("*.rs"))]:
        h.update(f.read_bytes())
    cached = CACHE / "grade-modules" / f"{h.hexdigest()[:16]}.ko"
    if not cached.is_file():
        out = work / f"build-{name}"
        if not (kernels.build_module(src, out, kernel.dir) and (out / "rust_workq.ko").is_file()):
            lines = (out / "build.log").read_text(errors="replace").splitlines() if (out / "build.log").is_file() else []
            near = sorted({i for k, l in enumerate(lines) if re.match("error|warning", l) for i in range(k, min(k + 6, len(lines)))})
            ktap.diag("\n".join([f"{name} does not build:"] + [lines[i] for i in near[:20]]))
            return False
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / "rust_workq.ko", f"{cached}.{os.getpid()}")
        os.replace(f"{cached}.{os.getpid()}", cached)
    shutil.copy(cached, work / "ko" / f"{name}.ko")
    return True


def text(f):
    """The file's text, or "" when it is not there."""
    return Path(f).read_text(errors="replace") if Path(f).is_file() else ""


def copy_reference(d):
    d.mkdir(parents=True)
    for f in [ROOT / "Kbuild", *ROOT.glob("*.rs")]:
        shutil.copy(f, d)
    return d


def mutant(patch, d):
    """d: the reference with patch (a grade/mutants/ file) applied."""
    with open(patch) as fh:
        r = subprocess.run(["patch", "-s", "-p1", "-d", copy_reference(d)], stdin=fh, capture_output=True, text=True)
    if r.returncode:
        raise Fail(f"{patch.name} does not apply to the reference: regenerate it\n{r.stdout}{r.stderr}")
    return d


def grade_proof(kernels_, ktap):
    """On every kernel given (base kernels, one per series): every starter (TODO=1..10) builds,
    loads and unloads. On the first also: the reference scores full marks, the untouched starter
    only loading, and every mutant in grade/mutants/ (a small patch to the reference) fails the
    checks of what its "#@ loses=" names and passes those of "#@ keeps=" (exercises or checks);
    one whose "#@ crashes=" names a check crashes the guest in that check only; "#@ says=CHECK
    ERE": that check's output matches ERE; "#@ inconclusive=" names checks that cannot be
    graded (their set-up missed every time). One boot per kernel (plus one per crash). A skip
    fails (no check may skip here)."""
    name = lambda c: meta(c)["name"]
    checks_of = lambda v: [c for t in (v.split() if isinstance(v, str) else []) for c in CHECKS if t in (meta(c).get("exercise"), name(c))]
    # Those that crash last: a crash costs a fresh guest for what follows.
    mutants = sorted(sorted(MUTANTS.glob("*.patch")), key=lambda p: "crashes" in meta(p))
    ktap.header()
    for i, k in enumerate(kernels_):
        with tempfile.TemporaryDirectory() as w:
            w, built = Path(w), []
            (w / "ko").mkdir()
            shutil.copy(k.module, w / "ko/reference.ko")
            for n in TODOS:
                try:
                    grade.starter(ROOT, w / f"src-todo{n}", n)
                    built.append(build(w / f"src-todo{n}", f"todo{n}", k, w, ktap))
                except Fail as e:
                    ktap.diag(str(e))
                    built.append(False)
            ktap.result(all(built), f"grade: {k.name}: every starter (TODO=1..10) builds")
            expect = [(f"todo{n}", CHECKS[0], "pass") for n in TODOS if (w / f"ko/todo{n}.ko").is_file()]
            for c in CHECKS if i == 0 else []:
                expect += [("reference", c, "pass")] + ([("todo1", c, "fail")] if c != CHECKS[0] else [])
            for p in mutants if i == 0 else []:
                h = meta(p)
                try:
                    src = mutant(p, w / f"src-{p.stem}")
                except Fail as e:
                    ktap.diag(str(e))
                    ktap.result(False, f"grade: mutant {p.stem} applies to the reference")
                    continue
                if not build(src, p.stem, k, w, ktap):
                    ktap.result(False, f"grade: mutant {p.stem} builds")
                else:
                    plan = {(c, "pass") for c in checks_of(h.get("keeps"))}
                    plan |= {(c, "crash" if name(c) == h.get("crashes") else "fail") for c in checks_of(h.get("loses"))}
                    plan |= {(c, "inconclusive") for c in checks_of(h.get("inconclusive"))}
                    expect += [(p.stem, c, v) for c, v in sorted(plan)]
            r, inner = suite_run(k, [(c, w / f"ko/{m}.ko") for m, c, _ in expect], k.out / "grade-proof")
        nested(ktap, inner)
        tests = {t.name: t for t in (r.tests if r else [])}
        planned, bad = set(), set()
        for m, c, want in expect:
            key = f"{name(c)}@{m}"
            planned |= {m, key}
            got = "none" if key not in tests else "fail" if tests[key].verdict == "skip" else tests[key].verdict
            if got != want:
                ktap.diag(f"{key}: expected {want}, got {got}")
                bad |= {m, key}
        for p in mutants if i == 0 else []:
            c, _, ere = str(meta(p).get("says") or "").partition(" ")
            if c and not re.search(ere, "\n".join(tests[f"{c}@{p.stem}"].output) if f"{c}@{p.stem}" in tests else ""):
                ktap.diag(f"{c}@{p.stem}: its output does not match: {ere}")
                bad.add(p.stem)
        holds = lambda x: x in planned and x not in bad  # it was graded, and as expected
        if i == 0:
            ktap.result(holds("reference"), f"grade: the reference scores full marks on {k.name}")
            ktap.result(holds("todo1"), "grade: the untouched starter scores only loading and unloading")
            for p in mutants:
                h = meta(p)
                what = f"loses {h.get('loses', '')}, keeps {h.get('keeps', '')}" + (f", crashes in {h['crashes']} only" if "crashes" in h else "")
                what += f", not graded: {h['inconclusive']}" if h.get("inconclusive") else ""
                what += f"; {h['says'].replace(' ', ' says: ', 1)}" if h.get("says") else ""
                ktap.result(holds(p.stem), f"grade: mutant {p.stem}: {what}")
        ktap.result(all(holds(f"{name(CHECKS[0])}@todo{n}") for n in TODOS), f"grade: every starter loads and unloads cleanly on {k.name}")
        if bad:
            ktap.diag(f"{k.name}: expectations not met (above)")
    ktap.totals()
    return ktap.ok


def score(results):
    try:
        return grade.score(results)
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def graded(command, out, **settings):
    """A grade command (harness.grade's) in this process with settings added to the environment,
    what it and its subprocesses print appended to out."""
    saved = dict(os.environ)
    os.environ.update(settings)
    try:
        with grade.redirected(1, out), grade.redirected(2, f"{out}.err" if command == "grade-all" else out):
            return grade.COMMANDS[command]([])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def listen(sock, log):
    """Records in log each connection sock gets, until sock is closed."""
    def serve():
        while True:
            try:
                sock.accept()[0].close()
            except OSError:
                return
            with open(log, "a") as f:
                f.write("connection\n")
    sock.listen(5)
    threading.Thread(target=serve, daemon=True).start()


def grade_class(ktap):
    """make grade-all keeps untrusted submissions in their box (_grade_class, in a child process:
    the grader redirects the process's output, and its settings are the environment's)."""
    return isolated("_grade_class", ktap)


def _grade_class(ktap):
    """A class graded with STUDENT_KBUILD=1 (its Kbuild acts run), exercise 1 and an instructor's
    hidden check (EXTRA_TESTS): "hostile", whose Kbuild tries to escape to host root (unshare,
    remount / read-write, a file outside), write to /var/tmp and the home directory, read the
    grader's secret, a root-only file and the machine's hidden check into its output, connect to a
    listener on the host's loopback and a root-only Unix socket in /run, and hand back symlinks to
    the secret and a FIFO; "flood", whose KICK floods the console (a small output cap here);
    "sleep_init", whose init sleeps 2000 s; "col a" and col_a (one results name, with a stale
    result from another class under it); a name with a newline, a symlink, a plain file. Every act
    contained, every submission scored what it earned, every entry a row in class.csv, within a
    stated bound. Then: without STUDENT_KBUILD a submission's Kbuild does not run; UNSAFE."""
    n = random.randrange(1 << 30)
    secret, token, marker, rootonly = HOME / ".rwq-grader-secret", f"rwq-secret-{n}", f"rwq-hostile-{n}", Path(f"/var/tmp/rwq-rootonly-{n}")
    sock, outside = Path(f"/run/rwq-grader-{n}.sock"), [Path(f"/var/tmp/rwq-hostile-{n}"), Path(f"/var/tmp/rwq-hostile-{n}-root"), HOME / marker]
    tcp, unix = socket.socket(), socket.socket(socket.AF_UNIX)
    with tempfile.TemporaryDirectory() as w:
        w, cls, out, cap = Path(w), Path(w) / "class", Path(w) / "out", 262144
        try:
            secret.write_text(f"{token}\n")
            rootonly.write_text(f"{token}-rootonly\n")
            rootonly.chmod(0o600)
            tcp.bind(("127.0.0.1", 0))
            unix.bind(str(sock))
            sock.chmod(0o600)
            listen(tcp, w / "connections")
            listen(unix, w / "connections")
            with open(copy_reference(cls / "hostile") / "Kbuild", "a") as f:  # make syntax, for its own Kbuild
                f.write(f'$(warning escape: $(shell unshare -m sh -c "mount -o remount,bind,rw / && touch {outside[1]}" 2>&1))\n'
                        f"$(shell touch {outside[0]} $(HOME)/{marker})\n$(warning write: $(shell touch {outside[0]} 2>&1))\n"
                        f"$(warning stolen: $(shell cat {secret} {rootonly} 2>&1; grep -rh instructor-token /home /var /srv /etc /run /tmp 2>&1 | head -n 3))\n"
                        f'$(warning net: $(shell bash -c "echo hello >/dev/tcp/127.0.0.1/{tcp.getsockname()[1]}" 2>&1; python3 -c "import socket; '
                        f's = socket.socket(socket.AF_UNIX); s.connect(\\"{sock}\\")" 2>&1 | tail -n 1))\n'
                        f"$(warning links: $(shell mkdir -p /tmp/out; ln -sf {secret} /tmp/out/rust_workq.ko; ln -sf {secret} /tmp/out/build.log; mkfifo /tmp/out/fifo 2>&1))\n")
            for s, line, code in (("flood", "        me.stats.stamp(Item::Kick);", '        for i in 0..20000 { pr_err!("flood {i}: this line is here to fill the console\\n"); }'),
                                  ("sleep_init", '        let options = MiscDeviceOptions { name: c"mydevice" };',
                                   "        kernel::time::delay::fsleep(kernel::time::Delta::from_millis(2_000_000));")):
                rs = copy_reference(cls / s) / "rust_workq.rs"
                if f"\n{line}\n" not in rs.read_text():
                    raise Fail(f"the reference has no line '{line.strip()}' any more: update {s} in harness/proofs.py")
                rs.write_text(rs.read_text().replace(f"\n{line}\n", f"\n{line}\n{code}\n"))
            for s in ("col a", "col_a", "new\nline"):
                copy_reference(cls / s)
            (cls / "link_to_col_a").symlink_to(cls / "col_a")
            (cls / "plain_file").write_text("not a module\n")
            # A stale result under the results name "col a" gets, from "another class" (another key, score).
            (out / "class/col_a").mkdir(parents=True)
            (out / "class/col_a/results.json").write_text('{"score": 999, "extra_data": {"max_score": 15, "exercises": {}, "build": "ok", "crashed": []}}\n')
            (out / "class/col_a/key").write_text("stale-key\n")
            (w / "hidden").mkdir()
            (w / "hidden/15-hidden_value_twice.sh").write_text(HIDDEN.replace("TOKEN", f"{token}-check"))
            return hostile_class(ktap, w, cls, out, cap, token, outside)
        finally:
            tcp.close()
            unix.close()
            for f in [secret, rootonly, sock, *outside]:
                f.unlink(missing_ok=True)


# An instructor's hidden check, in the checks' own format.
HIDDEN = """# shellcheck shell=sh
# Hidden: KICK_WITH_VALUE twice with one value: two "worker received" lines.
# instructor-token: TOKEN
#@ exercise=1
#@ points=5
#@ limit=10
. /tests/grade-lib.sh
# Served by the host when its turn came: not in the image the module saw at load.
[ ! -e /extra/15-hidden_value_twice.sh ] || fail "the hidden check was in the guest's image"
v=$(random_value)
call KICK_WITH_VALUE -v "$v"
await_worker "worker received: $v" >/dev/null
call KICK_WITH_VALUE -v "$v"
two() { [ "$(worker_count "worker received: $v")" = 2 ]; }
wait_until 5 two || fail "expected two lines with \\"worker received: $v\\""
"""


def hostile_class(ktap, w, cls, out, cap, token, outside):
    t0 = time.monotonic()
    rc = graded("grade-all", w / "run.out", SUBMISSIONS=str(cls), EXERCISE="1", EXTRA_TESTS=str(w / "hidden"), GRADE_OUT=str(out),
                RWQ_OUTPUT_CAP=str(cap), STUDENT_KBUILD="1")
    took = int(time.monotonic() - t0)
    run, c = text(w / "run.out"), out / "class"
    nested(ktap, run)
    ktap.header()
    ktap.plan(15)
    check = lambda ok, what, why="": ktap.check(ok, f"class: {what}", why)
    try:
        factor = records.Results.load(c / "col_a/log/results.json").speed_factor
    except (OSError, ValueError, KeyError, TypeError):
        factor = 1
    # The bound: 5 graded submissions of about 20 s each on the reference machine, plus
    # sleep_init's one hung insmod (10 s), times the speed factor and 3 for margin.
    bound, lines = int((5 * 20 + 10) * factor * 3), len(re.findall(r"^\[[0-9]*/8\] ", run, re.M))
    ok = rc == 0 and lines == 8 and (out / "class.csv").is_file() and took <= bound
    check(ok, f"the run completes {f'in {took}s (bound {bound}s)' if ok else f'within {bound}s'}: 8 progress lines and class.csv",
          f"exit {rc}, {took}s, {lines} lines; {'|'.join(text(f'{w}/run.out.err').splitlines()[-3:])}")
    check(re.search(r"escape: .*(not permitted|No space left)", text(c / "hostile/report.txt")) and not any(f.exists() for f in outside),
          "hostile: the escape: unshare and remount are refused in the box; no file created outside")
    entries = [Path(d, x) for d, ds, fs in os.walk(out) for x in ds + fs]
    # A link to the secret left in any output would be read through (as grep -R does).
    check(not any(token.encode() in f.read_bytes() for f in entries if f.exists() and stat.S_ISREG(f.stat().st_mode)),
          "hostile: no secret, root-only file or hidden check in any output")
    check(not text(w / "connections"), "hostile: no TCP or Unix-socket connection reached the host")
    check(not [f for f in entries if f.is_symlink() or stat.S_ISFIFO(os.lstat(f).st_mode)] and score(c / "hostile/results.json") == "15/15",
          "hostile: no symlink or FIFO reaches the host's outputs; the module still scores 15/15")
    # The console keeps the first `cap` bytes: more than 90% of the cap means the flood reached it.
    size, console = max(((f.stat().st_size, f) for f in (c / "flood/log").rglob("console.log")), default=(0, None))
    ok = console and cap * 9 // 10 < size <= cap and "flood 1:" in text(console)
    check(ok, f"flood: the console log is capped at {cap} bytes" + (f" ({size} kept)" if ok else ""), f"largest console log: {f'{size} {console}' if console else 'none'}")
    # The hostile builds are the reference with one act the box contains: exercise 1 in full, the
    # hidden check included; the flood is graded too (what it earned depends on the log it kept).
    wrong = [f"{s} scored '{score(c / s / 'results.json')}'" for s in ("hostile", "col_a", "col_a-2") if score(c / s / "results.json") != "15/15"]
    wrong += [] if score(c / "flood/results.json") else ["flood has no score"]
    check(not wrong, "the contained build and both col a and col_a score 15/15 on exercise 1; the flood is graded" +
          ("" if wrong else f" ({score(c / 'flood/results.json')})"), "\n".join(wrong))
    try:
        hidden = " ".join(f"{t['visibility']}:{t['score']}/{t['max_score']}" for t in json.loads(text(c / "hostile/results.json"))["tests"]
                          if "hidden_value_twice" in t["name"])
    except (ValueError, KeyError, TypeError):
        hidden = ""
    check(hidden == "hidden:5/5", f"the instructor's hidden check, served only when its turn came, counts and is marked hidden in results.json ({hidden})")
    report = text(c / "sleep_init/report.txt")
    check(score(c / "sleep_init/results.json") == "0/15" and "the module hangs at insmod" in report and "not run: the module hangs at insmod" in report,
          "sleep_init: the hung insmod costs one bounded wait; its other checks are marked not run")
    check(re.search(r"^\[[0-9]*/8\] col a: 15/15 .*graded again", run, re.M),
          "col a: a stale result from another class under its results name is not reused; it is graded again (15/15)")
    table = text(out / "class.csv")
    rows = list(csv.DictReader(table.splitlines()))
    row = lambda name, reason: [bool(re.search(reason, r["not graded"]) if reason else r["score"]) for r in rows if r["name"] == name] == [True]
    check(row("col a", "") and row("col_a", "") and row("new?line", "control character") and row("link_to_col_a", "symbolic link")
          and row("plain_file", "not a directory") and table.count("\n") == 9,
          "class.csv: a row for each of the 8 entries, col a and col_a apart, the ungradable ones with their reason")
    check("] new?line: not graded" in run and not re.search("^line: not graded", run, re.M), "a name with a newline is printed with it escaped")
    # Without STUDENT_KBUILD a submission's own Kbuild does not run: one that would stop the
    # build still builds, with the grader's Kbuild.
    with open(copy_reference(cls / "kbuild_ignored") / "Kbuild", "a") as f:
        f.write("$(error the student Kbuild ran)\n")
    graded("grade", w / "one.out", MODULE=str(cls / "kbuild_ignored"), EXERCISE="0", GRADE_OUT=str(w / "one"))
    check(re.search("^Score: 5/5$", text(w / "one.out"), re.M) and "student Kbuild ran" not in text(w / "one/module/build.log"),
          "by default the submission's own Kbuild does not run: the grader's builds it (5/5)")
    # UNSAFE: a submission with an unsafe block of its own (a control character in the line too).
    rs, line = copy_reference(cls / "own_unsafe") / "rust_workq.rs", "        this.stats.started(Item::Quick);"
    rs.write_text(rs.read_text().replace(f"\n{line}\n", f"\n        let _j = unsafe {{ core::ptr::read_volatile(&raw const kernel::bindings::jiffies) }}; /* \x1b[2J */\n{line}\n"))
    at = next((n for n, l in enumerate(rs.read_text().splitlines(), 1) if "let _j = unsafe" in l), None)
    graded("grade", w / "forbid.out", MODULE=str(rs.parent), EXERCISE="0", UNSAFE="forbid", GRADE_OUT=str(w / "forbid"))
    said = text(w / "forbid.out")
    check(re.search("^Score: 0/5$", said, re.M) and f"UNSAFE=forbid: rust_workq.rs:{at}: unsafe code beyond the starter's" in said
          and "\x1b" not in said and '"build": "refused"' in text(w / "forbid/results.json"),
          f"UNSAFE=forbid: unsafe code of the submission's own is refused (0/5), naming rust_workq.rs:{at}, escaped")
    graded("grade", w / "flag.out", MODULE=str(rs.parent), EXERCISE="0", GRADE_OUT=str(w / "flag"))
    said = text(w / "flag.out")
    check(re.search("^Score: 5/5$", said, re.M) and re.search(rf"^    rust_workq.rs:{at}: let _j = unsafe", said, re.M)
          and len(re.findall(r"^    [a-z_]*\.rs:[0-9]*: ", said, re.M)) == 1,
          "UNSAFE=flag (the default): graded (5/5), and exactly its own line listed, not the starter's")
    ktap.totals()
    return rc == 0 and ktap.ok


def grade_shards(ktap):
    """A class (the reference, "col a" and col_a, the untouched starter, a mutant, a symlink, a
    plain file) graded whole and as SHARD=1/2 and 2/2 side by side, then merged: class.csv and
    summary.json are the unsharded run's, byte for byte; the merge refuses, with one line and
    nothing written, a missing share, a share given twice, a student in two shares or in none,
    shares graded with other checks. And what a CI job runs without the grader image: make
    kernel-key, make grade MODULE=. The front door itself (make), exercise 1."""
    def make(*argv, out, wait=True):  # make -s TARGET VAR=...: its stdout in OUT.out, its stderr in OUT.err
        with open(f"{out}.out", "w") as o, open(f"{out}.err", "w") as e:
            p = subprocess.Popen(["make", "-s", "-C", ROOT, *argv], stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        return p.wait() if wait else p
    with tempfile.TemporaryDirectory() as w:
        w, cls = Path(w), Path(w) / "class"
        result = lambda ok, what, why="": ktap.check(ok, f"shards: {what}", why)
        for s in ("reference", "col a", "col_a"):
            copy_reference(cls / s)
        grade.starter(ROOT, cls / "starter", 1)
        mutant(MUTANTS / "e1_print_in_ioctl.patch", cls / "e1_mutant")
        (cls / "link").symlink_to(cls / "reference")
        (cls / "plain_file").write_text("not a module\n")
        grade_all = lambda o, *shard, wait=True: make("grade-all", f"SUBMISSIONS={cls}", "EXERCISE=1", f"GRADE_OUT={w / o}", *shard, out=w / o, wait=wait)
        t0 = time.monotonic()
        whole = grade_all("whole")
        t1 = time.monotonic()
        s1, s2 = [p.wait() for p in (grade_all("s1", "SHARD=1/2", wait=False), grade_all("s2", "SHARD=2/2", wait=False))]
        t2 = time.monotonic()
        nested(ktap, "".join(text(w / f"{o}.out") for o in ("whole", "s1", "s2")))
        merge = lambda o, *shares: make("grade-merge", f"GRADE_OUT={w / o}", f"RESULTS={' '.join(str(w / s) for s in shares)}", out=w / o)
        merged = merge("merged", "s1", "s2")
        one = make("grade", f"MODULE={cls / 'reference'}", "EXERCISE=1", f"GRADE_OUT={w / 'one'}", out=w / "one")
        key = make("kernel-key", out=w / "key")
        key, sc = text(w / "key.out").strip(), score(w / "one/results.json")
        tail = lambda f, n: "|".join(text(w / f).splitlines()[-n:])
        progress = lambda o: len(re.findall(r"^\[[0-9]*/[0-9]*\] ", text(w / f"{o}.out"), re.M))
        ktap.header()
        ktap.plan(10)
        ok = one == 0 and sc == "10/10"
        result(ok, f"make grade MODULE= of one submission (the student workflow's step): results.json, {sc}" if ok else
               "make grade MODULE= of one submission: results.json with 10/10", f"exit {one}, score '{sc}'; {tail('one.out', 2)} {tail('one.err', 2)}")
        ok = re.fullmatch(r"[0-9.]+-base-[0-9a-f]{12}", key) and (CACHE / "kernel" / key / ".rust_workq-complete").is_file()
        result(ok, f"make kernel-key (a CI cache's key) names the cached kernel{': ' + key if ok else ''}", f"got '{key}'; {tail('key.err', 1)}")
        ok = whole == 0 and progress("whole") == 7
        result(ok, f"the whole class graded{f' in {int(t1 - t0)}s' if ok else ''}: 7 entries", f"exit {whole}; {tail('whole.err', 2)}")
        ok = s1 == 0 and s2 == 0 and progress("s1") == 4 and progress("s2") == 3
        result(ok, f"SHARD=1/2 and SHARD=2/2 side by side in {int(t2 - t1)}s: 4 and 3 entries, each in one share" if ok else
               "SHARD=1/2 and SHARD=2/2: 4 and 3 entries", f"exit {s1}/{s2}; {tail('s1.err', 1)} {tail('s2.err', 1)}")
        same = lambda f: (w / "whole" / f).is_file() and (w / "whole" / f).read_bytes() == ((w / "merged" / f).read_bytes() if (w / "merged" / f).is_file() else None)
        result(merged == 0 and same("class.csv") and same("summary.json"), "the merged class.csv and summary.json are the unsharded run's" +
               (", byte for byte" if merged == 0 and same("class.csv") and same("summary.json") else ""), f"merge exit {merged}: {tail('merged.err', 5)}; "
               + "|".join(list(difflib.unified_diff(text(w / "whole/class.csv").splitlines(), text(w / "merged/class.csv").splitlines(), lineterm=""))[2:6]))

        def refused(what, ere, *shares):  # the merge fails with one line matching ERE and writes nothing
            o = f"refused-{random.randrange(1 << 30)}"
            rc = merge(o, *shares)
            said = [l for l in text(w / f"{o}.err").splitlines() if not re.match(r"make(\[[0-9]+\])?: ", l)]  # make's own "*** Error"
            ok = rc != 0 and len(said) == 1 and re.search(ere, said[0]) and not (w / o).exists()
            result(ok, f"{what}: refused ({said[0]})" if ok else f"{what}: refused with one line", f"exit {rc}: {tail(f'{o}.err', 5)}")
        refused("a missing share", r"share\(s\) 2 of 2 missing", "s1")
        refused("a share given twice", "share 1 of 2 is given twice", "s1", "s1", "s2")
        for d, edit in (("doubled", lambda t: t + text(w / "s1/class.tsv").splitlines(True)[0]), ("dropped", lambda t: "".join(t.splitlines(True)[1:]))):
            shutil.copytree(w / "s2", w / d)
            (w / d / "class.tsv").write_text(edit(text(w / d / "class.tsv")))
        refused("a student in two shares", "student .* is in shares 1 and 2", "s1", "doubled")
        refused("a student in no share", "student .* is in no share", "s1", "dropped")
        shutil.copytree(w / "s2", w / "other")
        (w / "other/shard.json").write_text(json.dumps({**json.loads(text(w / "other/shard.json")), "context": "0" * 32}))
        refused("shares graded with other checks or kernel", "graded with other checks", "s1", "other")
    ktap.totals()
    return ktap.ok


def slow(kernel, ktap):
    """The timing-sensitive guest tests and grader checks ("#@ timing") on kernel with QEMU at
    1/SLOWDOWN (default 3) of one CPU, the checks against the reference module: each must pass as
    at full speed (an inconclusive one fails here); then make trace's checks at that speed. In a
    child process (_slow): SLOWDOWN is the environment's, and the guests beside it run at full speed."""
    return isolated("_slow", ktap, kernel, SLOWDOWN=env("SLOWDOWN", "3"))


def _slow(kernel, ktap):
    n, timing = env("SLOWDOWN"), lambda f: meta(f).get("timing") is True
    r, inner = suite_run(kernel, [(t, None) for t in suite.guest_tests() if timing(t)] + [(c, kernel.module) for c in CHECKS if timing(c)], OUT / "slow")
    nested(ktap, inner)
    ktap.header()
    ktap.diag(f"SLOWDOWN={n} on {kernel.name}: speed factor {r.speed_factor if r else ''}")
    for t in r.tests if r else []:
        if t.verdict != "pass":
            ktap.diag(f"{t.name}: {t.verdict} at SLOWDOWN={n}")
        ktap.result(t.verdict == "pass", f"slow: {t.name} at SLOWDOWN={n}" + (f" (attempts: {t.attempts or 0})" if t.verdict == "pass" else ""))
    if not r:
        ktap.result(False, "slow: the suite ran")
    tr, ok = Phase(), False
    try:
        ok = trace.trace_test(kernel, OUT / "slow-trace", tr)
    except Fail as e:
        tr.diag(f"error: {e}")
    ktap.take(tr, "slow: ", f" at SLOWDOWN={n}")
    if not tr.n:
        ktap.result(False, f"slow: make trace at SLOWDOWN={n} ran")
    ktap.plan(ktap.n)  # last (TAP allows it): the trace's results are counted as they come
    ktap.totals()
    return ok and r is not None and r.host_ok


def platforms(ktap):
    """The grader where courses grade, run as they run it (harness/platforms.py): make autograder's
    zip; make image built from it (Gradescope's setup.sh in a clean Debian root); run_autograder
    under Gradescope's limits (half a CPU, 768 MB, its 10-minute timeout) on the reference, a
    mutant uploaded as rust_workq.rs alone, a module that does not build and one that would read
    the reference at build time (the box's uid mode: it may not); PrairieLearn's entry
    point on its /grade layout without a network, and without a submission (the grader's failure:
    gradable false). Each results file in its platform's shape, the reference at full marks, the
    others at their real score, no path of the machine's in any."""
    from . import platforms as pf
    with tempfile.TemporaryDirectory() as w:
        w = Path(w)

        def make(target):
            with open(w / f"{target}.out", "w") as o:
                t0 = time.monotonic()
                rc = subprocess.run(["make", "-s", "-C", ROOT, target], stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.STDOUT).returncode
            nested(ktap, "".join(l for l in text(w / f"{target}.out").splitlines(True) if not re.match(r"\s+(Compiling|Downloaded) ", l)))
            return rc, int(time.monotonic() - t0)

        def podman(sub, results, argv, *flags):
            """The image run on sub (the platform's layout); its results file, wall time and peak memory."""
            (res := w / results).mkdir()
            t0 = time.monotonic()
            p = subprocess.run(pf.PODMAN + ["run", "--rm", *pf.ULIMITS, "--cpus", "0.5", "--memory", "768m", "--memory-swap", "768m", *flags,
                                            *(["-v", f"{sub[0]}:{sub[1]}:ro"] if sub else []), "-v", f"{res}:{Path(argv[1]).parent}",
                                            pf.IMAGE, "sh", "-c", f'{argv[0]}; echo "peak $(cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes)"'],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
            took, peak = int(time.monotonic() - t0), re.findall(r"^peak (\d+)$", p.stdout, re.M)
            nested(ktap, p.stdout + p.stderr)
            try:
                return json.loads(text(res / Path(argv[1]).name)), took, int(peak[-1]) >> 20 if peak else 0
            except ValueError:
                return {}, took, 0

        ktap.header()
        ktap.plan(9)
        rc, took = make("autograder")
        try:
            with zipfile.ZipFile(OUT / "autograder/gradescope.zip") as z:
                modes = {n: z.getinfo(n).external_attr >> 16 for n in ("setup.sh", "run_autograder", "harness/platforms.py")}
        except (OSError, KeyError, zipfile.BadZipFile) as e:
            modes = {"error": str(e)}
        ktap.check(rc == 0 and modes == {"setup.sh": 0o755, "run_autograder": 0o755, "harness/platforms.py": 0o644},
                   "platforms: make autograder: gradescope.zip with setup.sh and run_autograder (executable) at its top, beside the project",
                   f"exit {rc}; {modes}")
        rc, took = make("image")
        BUILT[:] = [image_id()] if rc == 0 else []
        ktap.check(rc == 0, f"platforms: make image: the zip unpacked in a clean Debian root, its setup.sh run there ({took}s)", f"exit {rc}")
        if rc:
            ktap.totals()
            return False
        ref, lone, broken = copy_reference(w / "reference"), w / "mutant", copy_reference(w / "broken")
        lone.mkdir()  # rust_workq.rs uploaded alone: the plumbing comes from the grader
        shutil.copy(mutant(MUTANTS / "e5_one_item.patch", w / "mutant-src") / "rust_workq.rs", lone)
        with open(broken / "rust_workq.rs", "a") as f:
            f.write("\nfn broken( {\n")
        lost = sum(int(meta(c).get("points") or 0) for c in CHECKS if meta(c).get("exercise") == "5")
        seen = []
        for name, sub, want in (("reference", ref, lambda r: r["score"] == r["extra_data"]["max_score"] > 0 and
                                 all(t.get("status", "passed") == "passed" for t in r["tests"])),
                                ("e5_one_item (rust_workq.rs alone)", lone, lambda r: r["score"] == r["extra_data"]["max_score"] - lost and
                                 {t["name"].split(":")[0] for t in r["tests"] if t.get("status") == "failed"} == {"exercise 5"}),
                                ("a module that does not build", broken, lambda r: r["score"] == 0 and r["tests"][0]["status"] == "failed" and
                                 re.search(r"^error.*\n\s+--> rust_workq\.rs:\d+", r["tests"][0]["output"], re.M))):
            r, took, peak = podman((sub, "/autograder/submission"), f"gs-{len(seen)}", ["/autograder/run_autograder", "/autograder/results/results.json"])
            seen.append(r)
            try:
                ok = bool(r) and set(r) <= pf.FIELDS["gradescope"] and took < 600 and bool(want(r))
            except (KeyError, IndexError, TypeError):  # the grader's failure has no extra_data, no tests
                ok = False
            ktap.check(ok, f"platforms: Gradescope: {name}: {r.get('score')}/{r.get('extra_data', {}).get('max_score')} in {took}s, "
                       f"peak {peak} MiB at 0.5 CPU, 768 MB", json.dumps(r)[:600])
        r, took, peak = podman((ref, "/grade/student"), "pl", ["/autograder/source/grade/platforms/prairielearn", "/grade/results/results.json"],
                               "--network", "none")
        seen.append(r)
        ktap.check(r.get("gradable") is True and r.get("score") == 1.0 and set(r) <= pf.FIELDS["prairielearn"] and took < 600,
                   f"platforms: PrairieLearn: the reference, without a network: gradable, score {r.get('score')} in {took}s, peak {peak} MiB",
                   json.dumps(r)[:600])
        graded = list(seen)  # a grade's results; those below name the platform's own places
        # The uid mode of the box: the grader's own files are not the build's to read.
        with open(copy_reference(w / "peek") / "rust_workq.rs", "a") as f:
            f.write('\nconst _PEEK: &str = include_str!("/autograder/source/rust_workq.rs");\n')
        r, took, _ = podman((w / "peek", "/autograder/submission"), "gs-peek", ["/autograder/run_autograder", "/autograder/results/results.json"])
        ktap.check(r.get("score") == 0 and re.search(r"couldn't read `[^`]*rust_workq\.rs`: Permission denied", (r.get("tests") or [{}])[0].get("output", "")),
                   "platforms: Gradescope: a module that reads the reference solution at build time (include_str!) does not build: "
                   "permission denied", json.dumps(r)[:600])
        r, _, _ = podman(None, "pl-none", ["/autograder/source/grade/platforms/prairielearn", "/grade/results/results.json"], "--network", "none")
        ktap.check(r.get("gradable") is False and "submission directory" in r.get("message", ""),
                   "platforms: PrairieLearn: no submission: the grader's failure, gradable false (no attempt lost)", json.dumps(r)[:600])
        places = ("/autograder/", "/grade/student", "/grade/results", "/root/", "/tmp/", f"{w}/", f"{ROOT}/", f"{HOME}/")
        paths = [p for p in places if any(p in json.dumps(r) for r in graded)]
        ktap.check(all(graded) and not paths, "platforms: no results file names a path of the machine's", f"found: {paths}")
    ktap.totals()
    return ktap.ok



def class_pipeline(ktap):
    """The GitLab class pipeline, ci/gitlab/grade-class.gitlab-ci.yml as it is, run end to end by
    gitlab-ci-local on podman in the grader image (the course platforms' phase built it): two
    shares side by side, their artifacts, the merge stage, on a small class (the reference, the
    untouched starter, a mutant, a plain file, one that would build a classmate's work as its
    own) at exercise 1. Its class.csv and summary.json are those of an unsharded make grade-all
    of the same class in the same image, byte for byte."""
    from . import platforms as pf
    if not BUILT or image_id() != BUILT[0]:
        raise Fail(f"the grader image {pf.IMAGE} was not built by this run's course platforms' phase (its result above)")
    with tempfile.TemporaryDirectory() as w:
        w = Path(w)
        proj, subs = w / "course", w / "course/submissions"
        copy_reference(subs / "reference")
        grade.starter(ROOT, subs / "starter", 1)
        mutant(MUTANTS / "e1_print_in_ioctl.patch", subs / "e1_mutant")
        (subs / "notes.txt").write_text("not a module\n")
        with open(copy_reference(subs / "peeker") / "rust_workq.rs", "a") as f:  # a classmate's work, at build time
            f.write('\nconst _PEEK: &str = include_str!("/gcl-builds/submissions/reference/rust_workq.rs");\n')
        shutil.copy(ROOT / "ci/gitlab/grade-class.gitlab-ci.yml", proj / ".gitlab-ci.yml")
        for argv in (["init", "-q"], ["remote", "add", "origin", "https://gitlab.example.com/course/grading.git"], ["add", "."],
                     ["-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "class"]):
            subprocess.run(["git", *argv], cwd=proj, check=True, capture_output=True)
        # podman as it runs here, for gitlab-ci-local's own podman commands, and its helper image.
        (conf := w / "containers.conf").write_text(f'[containers]\ndefault_ulimits = ["{pf.ULIMITS[1]}", "{pf.ULIMITS[3]}"]\n'
                                                   '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n')
        util = ROOT / "ci/gitlab/gitlab-ci-local-util.Containerfile"
        if run_quiet(pf.PODMAN + ["build", "-q", *pf.ULIMITS, "-t", "docker.io/firecow/gitlab-ci-local-util:latest", "-f", util, util.parent]):
            raise Fail(f"podman build of gitlab-ci-local's helper image ({util.relative_to(ROOT)}) failed")
        t0 = time.monotonic()
        with open(w / "pipeline.out", "w") as o:
            rc = subprocess.run([kernels.gitlab_ci_local(), "--container-executable", "podman", "--variable", "EXERCISE=1",
                                 "--variable", f"GRADER_IMAGE={pf.IMAGE}"], cwd=proj, env={**os.environ, "CONTAINERS_CONF": str(conf)},
                                stdin=subprocess.DEVNULL, stdout=o, stderr=subprocess.STDOUT).returncode
        took = int(time.monotonic() - t0)
        nested(ktap, re.sub(r"\x1b\[[0-9;]*m", "", text(w / "pipeline.out")))
        (whole := w / "whole").mkdir()
        t1 = time.monotonic()
        # Where the pipeline has the class (gitlab-ci-local's CI_PROJECT_DIR), as the template keeps it.
        p = subprocess.run(pf.PODMAN + ["run", "--rm", *pf.ULIMITS, "-v", f"{subs}:/gcl-builds/submissions:ro", "-v", f"{whole}:/gcl-builds/out",
                                        pf.IMAGE, "sh", "-c", "chmod 700 /gcl-builds && make -s -C /autograder/source grade-all "
                                        "SUBMISSIONS=/gcl-builds/submissions EXERCISE=1 GRADE_OUT=/gcl-builds/out"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace")
        nested(ktap, p.stdout + p.stderr)
        ktap.header()
        ktap.plan(4)
        shares = [json.loads(text(proj / f"build/grade-shard-{i}-of-2/shard.json") or "{}").get("shard") for i in (1, 2)]
        ktap.check(rc == 0 and shares == [1, 2], f"pipeline: gitlab-ci-local ran grade [1/2] and [2/2] side by side, then merge ({took}s)",
                   f"exit {rc}; shares with artifacts: {shares}")
        rows = {r["name"]: r for r in csv.DictReader(text(whole / "class.csv").splitlines())}
        ok = p.returncode == 0 and len(rows) == 5 and json.loads(text(whole / "summary.json") or "{}").get("graded") == 4 and \
            rows["reference"]["score"] == rows["reference"]["max"] != ""
        ktap.check(ok, f"pipeline: the same class unsharded in the image: 5 rows, 4 graded, the reference at full marks "
                   f"({int(time.monotonic() - t1)}s)", f"exit {p.returncode}; {list(rows.values())}")
        said = text(proj / "build/grade-shard-1-of-2/class/peeker/report.txt")
        ktap.check(rows.get("peeker", {}).get("build") == "failed" and re.search(r"couldn't read `[^`]*rust_workq\.rs`: Permission denied", said),
                   "pipeline: a submission that would build a classmate's rust_workq.rs as its own (include_str!) cannot read it",
                   said[-600:])
        same = [f for f in ("class.csv", "summary.json") if text(proj / "build/grade" / f) and text(proj / "build/grade" / f) == text(whole / f)]
        ktap.check(same == ["class.csv", "summary.json"], "pipeline: the merged class.csv and summary.json are the unsharded run's, byte for byte",
                   "\n".join(difflib.unified_diff(text(whole / "class.csv").splitlines(), text(proj / "build/grade/class.csv").splitlines(), lineterm="")))
    ktap.totals()
    return ktap.ok


BUILT = []  # the image id the course platforms' phase built, for the class pipeline after it


def image_id():
    from . import platforms as pf
    return subprocess.run(pf.PODMAN + ["image", "inspect", "--format", "{{.Id}}", pf.IMAGE], capture_output=True, text=True).stdout.strip()


def run_quiet(argv):
    """argv's exit status, its output dropped."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
