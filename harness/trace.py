# SPDX-License-Identifier: GPL-2.0
"""make run, trace, demo and bench: the guest booted as a person asks, what it sends back kept as
files. A trace is the kernel's workqueue, timer and printk events while CMD runs (wqtrace,
qemu/guest-trace.sh): trace.txt (ftrace text), trace.json (Trace Event Format: Perfetto,
chrome://tracing), timeline.svg (lanes per task). make check traces the scenario of exercises 5
and 10 and checks those files, and the picture as headless Chromium draws it (trace_test)."""
import json
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

from . import boot as qemu
from . import kernels, records, sandbox
from .common import OUT, Fail, env, note, run
from .ktap import Phase

SCENARIO = ("ioctl /dev/mydevice -t J -n 10 -d none; ioctl /dev/mydevice -t J -n 13 -d none --then -t J -n 12 -d none; "
            "ioctl /dev/mydevice -t J -n 14 -d none")
WANT = ("kick", "slow", "quick", "delayed")
SVG = "{http://www.w3.org/2000/svg}"
MISSED = "SETUP MISSED"


def collect(path, name, d, title=None):
    """The trace NAME from a guest's records file, into D as trace.txt, trace.json, timeline.svg."""
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    lines = [r.fields["line"] for r in records.read(path) if r.kind == "trace" and r.fields["name"] == name]
    (d / "trace.txt").write_text("".join(l + "\n" for l in lines))
    if not lines:
        raise Fail(f"the guest sent no trace named '{name}' (see {path})")
    if not kernels.TRACE_TOOL.is_file():
        kernels.tools()
    # The kernel's release, which the guest wrote as a comment line.
    release = next((l[10:] for l in lines if l.startswith("# kernel: ")), "")
    title = (title or name) + (f" (Linux {release})" if release else "")
    run([kernels.TRACE_TOOL, "--title", title, "--json", d / "trace.json", "--svg", d / "timeline.svg", d / "trace.txt"],
        f"{kernels.TRACE_TOOL.name} (drawing {d}/timeline.svg)")


def status(b):
    """The guest command's exit status; a guest that died says why (the console's tail, then the
    reason) and counts as 1."""
    if b.rc is None:
        print(f"error: {qemu.failed(b)}", file=sys.stderr)
        return 1
    return b.rc


def prepared():
    """The kernel of KERNEL_SERIES (or KDIR) and FLAVOR, and MODULE=DIR's module built in the
    sandbox as make grade builds it (None: the reference module in the initramfs)."""
    k = kernels.prepare(None, env("FLAVOR", "base"))
    note(f"kernel {k.name} ({k.version})")
    if not env("MODULE"):
        return k, None
    src = Path(env("MODULE")).resolve()
    if not src.is_dir():
        raise Fail(f"MODULE={env('MODULE')} is not a directory")
    sandbox.sandbox_ready(k.dir)
    out = k.out / "run-module"
    if not sandbox.build_submission(src, out, k.dir, kernels.kmake_vars()):
        with open(out / "build.log", "rb") as f:  # the submission's compiler output: bounded, escaped
            text = f.read(1 << 20).decode("utf-8", "replace")
        sys.stderr.write(re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "?", text))
        raise Fail(f"MODULE={src} does not build (compiler output above)")
    note(f"module: {src}")
    return k, out / "rust_workq.ko"


def record(kernel, cmd, out, module=None, echo=True):
    """make trace's work on a prepared kernel: CMD traced in the guest, the files in OUT. Only
    this command's files are replaced: make demo's traces (demo-e5/, demo-e10/) live beside them."""
    out = Path(out)
    shutil.rmtree(out / "guest", ignore_errors=True)
    for f in ("trace.txt", "trace.json", "timeline.svg"):
        (out / f).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    # The command goes to the guest's shell as one word: wqtrace runs it with sh -c.
    b = qemu.boot(kernel, cmd=f"wqtrace run trace {shlex.quote(cmd)}", logdir=out / "guest", timeout=600,
                  module=module, echo=echo)
    try:
        collect(out / "guest/records.tsv", "trace", out, f"make trace: {cmd}")
    except Fail:
        if b.rc is None:  # it died before it sent the trace: that is the failure to tell
            raise qemu.failed(b) if echo else Fail(b.why)
        raise
    return b


def format_problems(doc):
    """Where trace.json departs from the Trace Event Format (JSON object form)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["no traceEvents list"]
    bad, evs = [], [e for e in doc["traceEvents"] if isinstance(e, dict)]
    bad += [f"{len(doc['traceEvents']) - len(evs)} events are not objects"] if len(evs) < len(doc["traceEvents"]) else []
    for i, e in enumerate(evs):
        ph = e.get("ph")
        if ph not in ("M", "X", "i", "s", "f"):
            bad.append(f"event {i}: phase {ph!r}")
        bad += [f"event {i}: no {k}" for k in ("name", "pid", "tid") if k not in e]
        if ph != "M" and not isinstance(e.get("ts"), (int, float)):
            bad.append(f"event {i}: no numeric ts")
        if ph == "X" and not (isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0):
            bad.append(f"event {i}: X without a duration")
        if ph in ("s", "f") and "id" not in e:
            bad.append(f"event {i}: flow without id")
    # Perfetto requires a thread's complete events to nest perfectly (no partial overlap).
    by_tid = {}
    for e in evs:
        if e.get("ph") == "X" and isinstance(e.get("dur"), (int, float)) and isinstance(e.get("ts"), (int, float)):
            by_tid.setdefault(str(e.get("tid")), []).append((e["ts"], -e["dur"], str(e.get("name"))))
    for tid, xs in by_tid.items():
        stack = []
        for ts, neg, name in sorted(xs):
            while stack and stack[-1][0] <= ts:
                stack.pop()
            if stack and ts - neg > stack[-1][0]:
                bad.append(f"tid {tid}: {name!r} overlaps {stack[-1][1]!r} without nesting")
            stack.append((ts - neg, name))
    scalar = lambda i: i if isinstance(i, (int, float, str)) else repr(i)
    starts, ends = ({scalar(e.get("id")) for e in evs if e.get("ph") == p} for p in "sf")
    if starts != ends:
        bad.append(f"flows without both ends: {sorted(starts ^ ends, key=str)}")
    return bad


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes): (w, h, rows)."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I", data[pos:pos + 4])[0], data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype})")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    if w is None:
        raise ValueError("no IHDR")
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def check_trace(d, k):
    """One `make trace` of SCENARIO in D (trace.json, timeline.svg, timeline.png) checked against
    what the module did, a result each into the Ktap k: True when all passed, False, or "missed"
    when the set-up did not happen (quick not submitted while slow ran), which says nothing of
    the module: the caller runs it again."""
    try:
        return _checks(Path(d), k)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError, ET.ParseError) as e:
        return k.check(False, "trace: the trace's files can be read", f"{type(e).__name__}: {e}")


def _checks(d, k):
    c = lambda name, ok, why: k.check(ok, f"trace: {name}", why)
    doc = json.loads((d / "trace.json").read_text(encoding="utf-8"))
    bad = format_problems(doc)
    ok = c("trace.json is the Trace Event Format", not bad, "; ".join(bad[:5]))
    ev = doc.get("traceEvents", [])
    names = {e["tid"]: e["args"]["name"] for e in ev if e.get("ph") == "M" and e.get("name") == "thread_name"}
    callers = {t for t, n in names.items() if n.startswith("ioctl ")}
    workers = {t for t, n in names.items() if n.startswith("kworker/")}
    ok &= c("tracks: the ioctl process and the kworkers, as the kernel names them, with CPU",
            bool(callers) and len(workers) >= 2 and all(" CPU" in n for n in names.values()), f"tracks: {sorted(names.values())}")
    runs, submits = {}, {}
    for e in ev:
        if e.get("ph") == "X" and e.get("cat") == "work":
            runs.setdefault(e["name"], []).append(e)
        elif e.get("ph") == "X" and e.get("cat") == "submit":
            submits.setdefault(e["name"].split(" ", 1)[1], []).append(e)
    one = all(len(runs.get(w, [])) == 1 and len(submits.get(w, [])) == 1 for w in WANT)
    if not c("a run of kick, slow, quick and delayed, each named by the module", one,
             f"runs: { {n: len(v) for n, v in runs.items()} }, submissions: { {n: len(v) for n, v in submits.items()} }"):
        return False
    run_, sub = {w: runs[w][0] for w in WANT}, {w: submits[w][0] for w in WANT}
    # The set-up: quick submitted while slow was running (the kernel's own events say so).
    s, q = run_["slow"], run_["quick"]
    if not s["ts"] < sub["quick"]["ts"] < s["ts"] + s["dur"]:
        k.diag(f"{MISSED}: quick submitted at {sub['quick']['ts']} us, slow ran {s['ts']}..{s['ts'] + s['dur']} us")
        return "missed"
    ok &= c("no work item ran in the caller's task; every run is on a kworker",
            all(e["tid"] not in callers and e["tid"] in workers for v in runs.values() for e in v),
            f"runs on: {[(e['name'], names.get(e['tid'])) for v in runs.values() for e in v]}")
    ok &= c("every run starts after its submission", all(run_[w]["ts"] >= sub[w]["ts"] for w in WANT),
            f"{[(w, sub[w]['ts'], run_[w]['ts']) for w in WANT]}")
    ok &= c("quick's run lies inside slow's, on another worker",
            s["ts"] < q["ts"] and q["ts"] + q["dur"] <= s["ts"] + s["dur"] and q["tid"] != s["tid"],
            f"slow {s['ts']}+{s['dur']} on {names.get(s['tid'])}, quick {q['ts']}+{q['dur']} on {names.get(q['tid'])}")
    ok &= c("slow's run lasts at least its 200 ms sleep", s["dur"] >= 200_000, f"slow ran {s['dur']} us")
    # sched_switch: the worker was asleep (not merely preempted) for the sleep, inside its run.
    asleep = sum(e["dur"] for e in ev if e.get("ph") == "X" and e.get("cat") == "sched" and e["tid"] == s["tid"]
                 and s["ts"] <= e["ts"] <= s["ts"] + s["dur"] and not e["args"]["prev_state"].startswith("R"))
    ok &= c("slow's worker was off the CPU, asleep, for >= 190 ms of its run", asleep >= 190_000, f"asleep {asleep} us inside slow's run")
    dl, ds = run_["delayed"], sub["delayed"]
    ok &= c("the delayed item starts >= 2000 ms after queue_delayed_work armed it",
            ds["name"].startswith("queue_delayed_work ") and dl["ts"] - ds["ts"] >= 2_000_000,
            f"{ds['name']} at {ds['ts']} us, run at {dl['ts']} us ({(dl['ts'] - ds['ts']) / 1000:.1f} ms)")
    # The picture: the lanes and labels it holds, and that a browser draws them.
    svg = ET.parse(d / "timeline.svg").getroot()
    texts = {(t.get("class"), t.text or "") for t in svg.iter(f"{SVG}text")}
    lanes, labels = {t for cl, t in texts if cl == "lane-label"}, {t for cl, t in texts if cl == "run-label"}
    ok &= c("timeline.svg: a lane per track, a label per run", lanes == set(names.values()) and set(WANT) <= labels,
            f"lanes {sorted(lanes)} vs tracks {sorted(names.values())}; labels {sorted(labels)}")
    drew = "timeline.png: Chromium drew every bar where the SVG puts it"
    try:
        w, h, px = png_pixels(d / "timeline.png")
    except (OSError, ValueError, zlib.error, struct.error) as e:
        c(drew, False, str(e))
        return False
    missing, seen = [], 0
    bars = [tuple(float(r.get(a)) for a in ("x", "y", "width", "height")) + (r.get("fill"),)
            for r in svg.iter(f"{SVG}rect") if r.get("class") == "run"]
    for i, (bx, by, bw, bh, fill) in enumerate(bars):
        # Near the bar's right end and its top edge: clear of its label's text (right of an inside
        # label), below the flow line, and above the pale lower half where its worker was off the CPU.
        x, y = bx + bw - min(bw / 2, 3.0), by + 4
        if any(j != i and ox <= x <= ox + ow and oy <= y <= oy + oh for j, (ox, oy, ow, oh, _) in enumerate(bars)):
            continue  # another bar overlaps this point (two short runs on one worker)
        seen += 1
        want_rgb = tuple(int(fill.lstrip("#")[n:n + 2], 16) for n in (0, 2, 4))
        got = px[int(y)][int(x)] if int(x) < w and int(y) < h else None
        # fill-opacity 0.85 over a light lane: within 45 of the fill in every channel.
        if got is None or any(abs(a - b) > 45 for a, b in zip(got, want_rgb)):
            missing.append(f"bar at ({x:.0f},{y:.0f}) fill {want_rgb} drawn {got}")
    if seen < 3:
        missing.append(f"only {seen} bars could be sampled without overlap")
    return c(drew, not missing, "; ".join(missing)) and ok


def render(svg, png):
    """The picture as a person sees it: headless Chromium draws the SVG at its own size (about
    1 s, under 2 s beside a make check; the limit only stops a hang)."""
    svg, png = Path(svg).resolve(), Path(png)
    png.unlink(missing_ok=True)
    m = re.search(r'width="(\d+)[\d.]*" height="(\d+)[\d.]*"', svg.read_text(errors="replace").split("\n", 1)[0])
    with tempfile.TemporaryDirectory() as profile:
        try:
            subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", f"--window-size={m[1]},{m[2]}" if m else "--window-size=1200,600",
                            f"--screenshot={png}", f"file://{svg}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        except subprocess.TimeoutExpired:
            pass


def trace_test(kernel, out, ktap):
    """make trace of SCENARIO on a prepared kernel, checked (check_trace) into ktap, a stream of its
    own (its plan last: a missed set-up's retries come first). A boot that missed the set-up runs
    again, at most three times, then is a SKIP, never the module's failure."""
    ktap.header()
    ok = _attempts(kernel, out, ktap)
    ktap.plan(ktap.n)
    ktap.totals()
    return ok


def _attempts(kernel, out, ktap):
    if not shutil.which("chromium"):
        raise Fail("chromium not found; apt-get install chromium (make check and make lint install it)")
    out = Path(out)
    for attempt in (1, 2, 3):
        try:
            b = record(kernel, SCENARIO, out, echo=False)
            why = "" if b.rc == 0 else b.why or f"the scenario exited {b.rc}"
        except Fail as e:
            why = str(e)
        if why:
            log = out / "guest/out.log"
            ktap.diag("\n".join(log.read_text(errors="replace").splitlines()[-40:]) if log.is_file() else "")
            ktap.diag(why)
            return ktap.result(False, f"trace: make trace of the scenario on {kernel.name}")
        render(out / "timeline.svg", out / "timeline.png")
        checks = Phase()
        verdict = check_trace(out, checks)
        (out / "check.ktap").write_text(checks.text())
        if verdict != "missed":
            break
        ktap.diag(f"attempt {attempt}: " + next(l for l in checks.text().splitlines() if MISSED in l))
    else:
        ktap.result("skip", "trace: quick submitted while slow ran", "set-up missed in 3 boots (machine too slow for it; not the module's fault)")
        return True
    Phase.take(ktap, checks)  # the checks' results renumbered into this stream (a Ktap or a Phase)
    ktap.diag(f"files: {out}/{{trace.txt,trace.json,timeline.svg,timeline.png}}")
    return verdict is True


def trace(argv):
    """make trace [--out DIR] CMD, or --collect RECORDS NAME DIR [TITLE] (make demo's traces);
    exits with CMD's status."""
    if argv[:1] == ["--collect"]:
        if len(argv) not in (4, 5):
            raise Fail("usage: python3 -m harness trace --collect RECORDS NAME DIR [TITLE]")
        collect(*argv[1:])
        return 0
    out = OUT / "trace"
    if argv[:1] == ["--out"] and len(argv) > 1:
        out, argv = Path(argv[1]), argv[2:]
    cmd = " ".join(argv) or env("RWQ_CMD")
    if not cmd:
        raise Fail("usage: make trace CMD='ioctl /dev/mydevice -t J -n 13 -d none --then -t J -n 12 -d none'")
    k, module = prepared()
    b = record(k, cmd, out, module)
    note(f"trace: {out}/trace.txt (ftrace text), {out}/trace.json (Perfetto, chrome://tracing), {out}/timeline.svg")
    return status(b)


def run_guest(argv):
    """make run: an interactive guest shell with the module loaded, or CMD run there (its status)."""
    cmd = " ".join(argv) or env("RWQ_CMD") or None
    k, module = prepared()
    b = qemu.boot(k, cmd=cmd, logdir=k.out / "run", timeout=600, module=module)
    return b.rc if cmd is None else status(b)


def demo(argv):
    """make demo: the walkthrough (demo/lab.sh) in the guest, then the timelines it sent for
    exercises 5 and 10 into build/trace/demo-e5/ and demo-e10/; exits with its status."""
    k, module = prepared()
    logdir = OUT / "demo"
    b = qemu.boot(k, cmd=f"COLOR={int(sys.stdout.isatty())} sh /demo/lab.sh", logdir=logdir, timeout=600, module=module)
    rc = status(b)
    if not b.records:
        raise Fail(f"make demo: the guest did not run the walkthrough (exit {rc}, above)")
    for e in (5, 10):
        try:  # a kernel without tracefs (KDIR=) sends none: the walkthrough said so
            collect(logdir / "records.tsv", f"e{e}", OUT / f"trace/demo-e{e}", f"make demo: exercise {e}")
            note(f"exercise {e}: {OUT}/trace/demo-e{e}/timeline.svg (trace.json beside it)")
        except Fail as f:
            print(f"error: {f}", file=sys.stderr)
    return rc


def bench_rows(recs, name):
    """The rows a benchmark run sent (`workq-stress bench --tsv` columns), as lines."""
    return [r.fields["row"] for r in recs if r.kind == "bench" and r.fields["run"] == name]


def bench(argv):
    """make bench: the Rust module against its C twin in one boot with the TSC clock (nanosecond
    latencies; its calibration error cancels out of the ratios); each run's rows as data in
    build/bench/verbose1.tsv and verbose0.tsv."""
    calls = argv[0] if argv else "10000"
    if not re.fullmatch(r"[0-9]+", calls):
        raise Fail(f"BENCH_CALLS is a number of calls ('{calls}')")
    out = OUT / "bench"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    k, module = prepared()
    b = qemu.boot(k, cmd=f"sh /demo/bench.sh {calls}", logdir=out / "guest", timeout=1800, tsc=True, module=module)
    rc = status(b)
    if rc:
        return rc
    for name in ("verbose1", "verbose0"):
        rows = bench_rows(b.records, name)
        (out / f"{name}.tsv").write_text("".join(r + "\n" for r in rows))
        if not rows:
            raise Fail(f"the guest sent no rows for {name} (see {out}/guest)")
    note(f"bench: the rows as data in {out}/verbose1.tsv and {out}/verbose0.tsv")
    return 0


COMMANDS = {"trace": trace, "run": run_guest, "demo": demo, "bench": bench}
