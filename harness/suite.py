# SPDX-License-Identifier: GPL-2.0
"""One kernel's guest suite: the tests run by the guest runner (tests/guest/run.sh), their KTAP
printed here from the records as they arrive, and the results as data (log/results.json).

A test that panics, oopses or hangs the guest fails alone: the console's tail goes into its
output, a fresh guest boots and the remaining tests go on. Afterwards the host checks what the
guest cannot fake: every planned test reported, and a kernel console free of splats. Limits follow
the machine: every limit and wait is scaled by the speed factor (boot.speed_factor)."""
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import boot as qemu
from . import records as rec
from .common import ROOT, Fail, env, meta, scaled, test_name
from .kernels import TRACE_TOOL
from .ktap import Ktap

GUEST_TESTS = ROOT / "tests/guest"
SPLAT_PREFIX = re.compile(r"^\[ *[0-9]*\.[0-9]*\](\[ *[TC][0-9]*\])? ")
STAMP = re.compile(r"^\[[^]]*\](\[[^]]*\])? *")


def guest_tests():
    return sorted(GUEST_TESTS.glob("[0-9]*.sh"))


def splats(paths):
    """The splat lines of kernel logs (tests/splat-patterns, after the timestamp and the caller
    are stripped): what the guest runner's tests/splats.sh finds, on the host."""
    pats = [re.compile(p) for p in (ROOT / "tests/splat-patterns").read_text().splitlines() if p]
    found = []
    for p in paths:
        for l in Path(p).read_text(errors="replace").splitlines():
            l = SPLAT_PREFIX.sub("", l)
            if any(x.search(l) for x in pats):
                found.append(l)
    return found


def crash_output(name, why, console):
    """What the host says of a test that took the guest down: the first splat, a Rust panic's
    cause (the line after "panicked at"), the module's first frames demangled, the console's tail."""
    lines = console.read_text(errors="replace").splitlines() if console.exists() else []
    out = [f"{name} crashed the guest: {why}"]
    first = splats([console])[:1] if console.exists() else []
    out += [f"first splat: {first[0]}"] if first else []
    at = next((k for k, l in enumerate(lines) if "panicked at" in l), None)
    if at is not None and at + 1 < len(lines) and STAMP.sub("", lines[at + 1]):
        out.append(f"its cause: {STAMP.sub('', lines[at + 1])}")
    frames = [STAMP.sub("", l) for l in lines if "[rust_workq]" in l and "RIP:" not in l][:5]
    if frames and TRACE_TOOL.exists():
        frames = subprocess.run([TRACE_TOOL, "--demangle", "-"], input="\n".join(frames) + "\n",
                                capture_output=True, text=True).stdout.splitlines() or frames
    out += [f"  module frame: {f[:200]}" for f in frames]
    out.append(f"console tail ({console}):")
    return out + [f"  {l}" for l in lines[-25:]], first


def run(kernel, specs, log, late=(), soak=None, ktap=None):
    """Runs specs ((test path, module or None) each) on kernel; returns the Results (with
    .host_ok, the host's own two checks)."""
    ktap = ktap or Ktap()
    soak = int(soak or env("SOAK_SECONDS") or kernel.soak)
    specs = [(Path(t).resolve(), Path(m).resolve() if m else None) for t, m in specs]
    late = {Path(p).resolve() for p in late}
    names = [test_name(t, m) for t, m in specs]
    total = len(specs)
    log = Path(log)
    shutil.rmtree(log, ignore_errors=True)
    log.mkdir(parents=True)
    late_dir = None
    if late:
        late_dir = Path(tempfile.mkdtemp())
        for f in late:
            shutil.copy(f, late_dir)
    # Tests outside tests/guest/ (the harness self-tests, the grader's checks) and the modules
    # travel in the command's own cpio, by their names: two must not share one.
    extra = sorted({p for t, m in specs for p in (t, m) if p and p not in late and p.parent != GUEST_TESTS})
    seen = {}
    for p in extra:
        if seen.setdefault(p.name, p) != p:
            raise Fail(f"two different files named {p.name}: rename one")

    def guest_path(t):
        return f"/late/{t.name}" if t in late else f"/tests/{t.name}" if t.parent == GUEST_TESTS else f"/extra/{t.name}"

    ktap.header()  # first: the calibration boot's notes come into the stream below it
    factor, why = qemu.speed_factor(kernel, log / "calibration")

    def limit_of(t):
        m = meta(t)
        limit = int(m.get(f"limit_{kernel.flavor}") or 0) or int(m.get("limit") or 0) * kernel.scale or 60 * kernel.scale
        return scaled(limit + (3 * soak if m.get("soak") is True else 0), factor)

    limits = [limit_of(t) for t, _ in specs]
    ktap.plan(total + 2)
    ktap.diag(f"guest suite on {kernel.name} ({kernel.version}, {kernel.dir})")
    ktap.diag(f"speed factor {factor:g}: {why}")
    got, said, first, boots = {}, {}, 1, 0

    def on_record(r):
        # A test's KTAP as its record arrives: what it said (its diag records), then its verdict.
        if r.kind == "diag":
            said.setdefault(r.fields["name"], []).append(r.fields["line"])
        elif r.kind == "test" and r.fields["name"] in names and r.fields["name"] not in got and r.fields["verdict"] in rec.VERDICTS:
            got[r.fields["name"]] = t = rec.Test.from_record(r, said.pop(r.fields["name"], []))
            ktap.test(t)

    while first <= total:
        boots += 1
        logdir = log / f"boot-{boots}"
        cmd = (f"SOAK_SECONDS={soak} TIMEOUT_MUL={factor:g} /tests/run.sh --flavor {kernel.flavor} --first {first} "
               f"--plan {total + 2} --module-seconds {scaled(10 * kernel.scale, factor)}")
        # The boot may take booting plus every test's limit, and two more runs of the longest (a
        # missed set-up runs again); a guest silent for booting plus three runs of it has hung.
        for i in range(first - 1, total):
            t, m = specs[i]
            cmd += f" {guest_path(t)}={limits[i]}" + (f"@/extra/{m.name}" if m else "")
        longest = max(limits[first - 1:])
        budget = scaled(60, factor) + sum(l + 5 for l in limits[first - 1:]) + 2 * longest
        b = qemu.boot(kernel, cmd=cmd, logdir=logdir, timeout=budget, idle=scaled(60, factor) + 3 * longest,
                      extra=extra, late=late_dir, echo=False, on_record=on_record)
        kinds = [r.kind for r in b.records]
        if "done" in kinds:
            break
        last = first - 1 + kinds.count("test")
        if "reboot" in kinds:
            first = last + 1
            if first <= total:
                ktap.diag(f"booting a fresh guest for the remaining {total - first + 1} test(s)")
            continue
        # The guest stopped early: the first test without a result is the one it died in.
        died = last + 1
        if died > total:
            break
        name = names[died - 1]
        out, first_splat = crash_output(name, b.why or "guest stopped", b.console)
        reason = f"crashed the guest: {b.why or 'guest stopped'}" + (f"; first splat: {first_splat[0]}" if first_splat else "")
        got[name] = t = rec.Test(name, "crash", 1, None, limits[died - 1], str(specs[died - 1][1] or "/lib/modules/rust_workq.ko"),
                                 reason, "", said.pop(name, []) + out)
        ktap.test(t)
        first = died + 1
        if first <= total:
            ktap.diag(f"booting a fresh guest for the remaining {total - died} test(s)")
    if late_dir:
        shutil.rmtree(late_dir, ignore_errors=True)
    results = rec.Results(kernel.name, kernel.version, factor, why, boots, [got.get(n) or rec.Test(n) for n in names])
    results.save(log / "results.json")
    s = results.summary
    crashed = f"; crashed the guest: {' '.join(s['crashed'])}" if s["crashed"] else ""
    ktap.diag(f"{kernel.name}: {s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped in {boots} boot(s){crashed}")
    ktap.n = total
    reported = ktap.check(s["reported"] == total, f"{kernel.name}: every planned test reported" + (f" ({total})" if s["reported"] == total else ""),
                          f"planned {total}, reported {s['reported']}")
    found = splats(sorted(log.glob("boot-*/console.log")))[:5]
    clean = ktap.check(not found, f"{kernel.name}: kernel console free of splats", "|".join(found))
    ktap.totals()
    results.host_ok = reported and clean
    return results


def soak(argv):
    """make soak: the load/unload, concurrency and fuzz scenarios for SOAK_SECONDS each."""
    from . import kernels
    k = kernels.prepare(None, env("FLAVOR", "base"))
    r = run(k, [(t, None) for t in guest_tests() if meta(t)["name"] in ("rmmod_cycles", "concurrency", "fuzz")], k.out / "log")
    return 0 if r.summary["failed"] == 0 and r.host_ok else 1


COMMANDS = {"soak": soak}
