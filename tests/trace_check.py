#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks one `make trace` of the scenario in tests/host/trace.sh against what the module did.

Reads DIR/trace.json (the Trace Event Format), DIR/timeline.svg and DIR/timeline.png (the SVG as
headless Chromium drew it) and prints one KTAP result per check. Exit 0: all passed; 1: a check
failed; 3: the scenario's set-up did not happen (quick was not submitted while slow ran), which
says nothing about the module: the caller runs it again.

Usage: trace_check.py DIR
"""
import json
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SVG_NS = "{http://www.w3.org/2000/svg}"


class Results:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, ok, why=""):
        self.n += 1
        if ok:
            print(f"ok {self.n} trace: {name}")
        else:
            self.failed += 1
            print(f"not ok {self.n} trace: {name}")
            if why:
                print(f"# {why}")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def format_problems(doc):
    """Where trace.json departs from the Trace Event Format (JSON object form)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        return ["no traceEvents list"]
    bad = []
    for i, e in enumerate(doc["traceEvents"]):
        ph = e.get("ph")
        if ph not in ("M", "X", "i", "s", "f"):
            bad.append(f"event {i}: phase {ph!r}")
        for k in ("name", "pid", "tid"):
            if k not in e:
                bad.append(f"event {i}: no {k}")
        if ph != "M" and not isinstance(e.get("ts"), (int, float)):
            bad.append(f"event {i}: no numeric ts")
        if ph == "X" and not (isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0):
            bad.append(f"event {i}: X without a duration")
        if ph in ("s", "f") and "id" not in e:
            bad.append(f"event {i}: flow without id")
    # Perfetto requires a thread's complete events to nest perfectly (no partial overlap).
    by_tid = {}
    for e in doc["traceEvents"]:
        if e.get("ph") == "X" and isinstance(e.get("dur"), (int, float)):
            by_tid.setdefault(e.get("tid"), []).append((e["ts"], -e["dur"], e["name"]))
    for tid, xs in by_tid.items():
        stack = []
        for ts, neg, name in sorted(xs):
            end = ts - neg
            while stack and stack[-1][0] <= ts:
                stack.pop()
            if stack and end > stack[-1][0]:
                bad.append(f"tid {tid}: {name!r} overlaps {stack[-1][1]!r} without nesting")
            stack.append((end, name))
    starts = {e["id"] for e in doc["traceEvents"] if e.get("ph") == "s"}
    ends = {e["id"] for e in doc["traceEvents"] if e.get("ph") == "f"}
    if starts != ends:
        bad.append(f"flows without both ends: {sorted(starts ^ ends)}")
    return bad


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes): (w, h, rows)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {ctype})")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def main():
    d = sys.argv[1]
    r = Results()
    doc = load(f"{d}/trace.json")
    bad = format_problems(doc)
    r.check("trace.json is the Trace Event Format", not bad, "; ".join(bad[:5]))
    ev = doc.get("traceEvents", [])
    names = {e["tid"]: e["args"]["name"] for e in ev if e.get("ph") == "M" and e.get("name") == "thread_name"}
    callers = {t for t, n in names.items() if n.startswith("ioctl ")}
    workers = {t for t, n in names.items() if n.startswith("kworker/")}
    r.check("tracks: the ioctl process and the kworkers, as the kernel names them, with CPU",
            callers and len(workers) >= 2 and all(" CPU" in n for n in names.values()),
            f"tracks: {sorted(names.values())}")
    runs = {}
    for e in ev:
        if e.get("ph") == "X" and e.get("cat") == "work":
            runs.setdefault(e["name"], []).append(e)
    submits = {}
    for e in ev:
        if e.get("ph") == "X" and e.get("cat") == "submit":
            submits.setdefault(e["name"].split(" ", 1)[1], []).append(e)
    want = ("kick", "slow", "quick", "delayed")
    r.check("a run of kick, slow, quick and delayed, each named by the module",
            all(len(runs.get(k, [])) == 1 for k in want) and all(len(submits.get(k, [])) == 1 for k in want),
            f"runs: { {k: len(v) for k, v in runs.items()} }, submissions: { {k: len(v) for k, v in submits.items()} }")
    if not all(len(runs.get(k, [])) == 1 and len(submits.get(k, [])) == 1 for k in want):
        return 1
    run = {k: runs[k][0] for k in want}
    sub = {k: submits[k][0] for k in want}

    # The set-up: quick submitted while slow was running (the kernel's own events say so).
    s, q = run["slow"], run["quick"]
    if not (s["ts"] < sub["quick"]["ts"] < s["ts"] + s["dur"]):
        print(f"# SETUP MISSED: quick submitted at {sub['quick']['ts']} us, slow ran {s['ts']}..{s['ts'] + s['dur']} us")
        return 3

    r.check("no work item ran in the caller's task; every run is on a kworker",
            all(e["tid"] not in callers and e["tid"] in workers for v in runs.values() for e in v),
            f"runs on: {[(e['name'], names.get(e['tid'])) for v in runs.values() for e in v]}")
    r.check("every run starts after its submission",
            all(run[k]["ts"] >= sub[k]["ts"] for k in want),
            f"{[(k, sub[k]['ts'], run[k]['ts']) for k in want]}")
    r.check("quick's run lies inside slow's, on another worker",
            s["ts"] < q["ts"] and q["ts"] + q["dur"] <= s["ts"] + s["dur"] and q["tid"] != s["tid"],
            f"slow {s['ts']}+{s['dur']} on {names.get(s['tid'])}, quick {q['ts']}+{q['dur']} on {names.get(q['tid'])}")
    r.check("slow's run lasts at least its 200 ms sleep", s["dur"] >= 200_000, f"slow ran {s['dur']} us")
    # sched_switch: the worker was asleep (not merely preempted) for the sleep, inside its run.
    asleep = sum(e["dur"] for e in ev if e.get("ph") == "X" and e.get("cat") == "sched"
                 and e["tid"] == s["tid"] and s["ts"] <= e["ts"] <= s["ts"] + s["dur"]
                 and not e["args"]["prev_state"].startswith("R"))
    r.check("slow's worker was off the CPU, asleep, for >= 190 ms of its run",
            asleep >= 190_000, f"asleep {asleep} us inside slow's run")
    dl, ds = run["delayed"], sub["delayed"]
    r.check("the delayed item starts >= 2000 ms after queue_delayed_work armed it",
            ds["name"].startswith("queue_delayed_work ") and dl["ts"] - ds["ts"] >= 2_000_000,
            f"{ds['name']} at {ds['ts']} us, run at {dl['ts']} us ({(dl['ts'] - ds['ts']) / 1000:.1f} ms)")

    # The picture: the lanes and labels it holds, and that a browser draws them.
    svg = ET.parse(f"{d}/timeline.svg").getroot()
    texts = {(t.get("class"), (t.text or "")) for t in svg.iter(f"{SVG_NS}text")}
    lanes = {t for c, t in texts if c == "lane-label"}
    labels = {t for c, t in texts if c == "run-label"}
    r.check("timeline.svg: a lane per track, a label per run",
            lanes == set(names.values()) and set(want) <= labels,
            f"lanes {sorted(lanes)} vs tracks {sorted(names.values())}; labels {sorted(labels)}")
    try:
        w, h, px = png_pixels(f"{d}/timeline.png")
    except (OSError, ValueError, zlib.error) as e:
        r.check("timeline.png: Chromium drew every bar where the SVG puts it", False, str(e))
        return 1
    missing, seen = [], 0
    bars = [tuple(float(rect.get(k)) for k in ("x", "y", "width", "height")) + (rect.get("fill"),)
            for rect in svg.iter(f"{SVG_NS}rect") if rect.get("class") == "run"]
    for i, (bx, by, bw, bh, fill) in enumerate(bars):
        # Near the bar's right end and its top edge: clear of its label's text, below the flow
        # line, and above the pale lower half where its worker was off the CPU.
        x, y = bx + bw - min(bw / 2, 3.0), by + 4  # right of an inside label's text
        if any(j != i and ox <= x <= ox + ow and oy <= y <= oy + oh for j, (ox, oy, ow, oh, _) in enumerate(bars)):
            continue  # another bar overlaps this point (two short runs on one worker)
        seen += 1
        want_rgb = tuple(int(fill.lstrip("#")[k:k + 2], 16) for k in (0, 2, 4))
        got = px[int(y)][int(x)] if int(x) < w and int(y) < h else None
        # fill-opacity 0.85 over a light lane: within 45 of the fill in every channel.
        if got is None or any(abs(a - b) > 45 for a, b in zip(got, want_rgb)):
            missing.append(f"bar at ({x:.0f},{y:.0f}) fill {want_rgb} drawn {got}")
    if seen < 3:
        missing.append(f"only {seen} bars could be sampled without overlap")
    r.check("timeline.png: Chromium drew every bar where the SVG puts it", not missing, "; ".join(missing))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
