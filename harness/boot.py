# SPDX-License-Identifier: GPL-2.0
"""Boots the guest in QEMU (kunit.py's QemuArchParams in one function): the argv, printed as it
runs; the channels by name; a guest that panics, dies, goes silent or outlives its time is a
failure with one line saying which, never a hang.

Channels: ttyS0 the kernel console (console.log), ttyS1 the command's output (out.log, and this
terminal), ttyS2 the data channel (records.tsv, harness/records.py), ttyS3 the late files (the
grader's hidden checks: in no image the guest boots with, served when the guest asks for them).
What the guest prints is capped (RWQ_OUTPUT_CAP bytes, default 4 MiB, per channel), so a module
that floods the log cannot fill the disk. The guest has no network device and sees no host file
but its initramfs. ACCEL=kvm opts in to KVM (TCG is the default: KVM hangs where the CPU hides
vmx/svm). SLOWDOWN=N runs QEMU with 1/N of one CPU: a slow machine on demand.
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import records as rec
from .common import Fail, env, note


@dataclass
class Boot:
    rc: int = None  # the command's exit status; None when the guest never reported one
    why: str = ""  # why it has none: hung, out of time, crashed
    console: Path = None
    out: Path = None
    records: list = field(default_factory=list)


def kernel_args(kernel, tsc=False):
    # loglevel=5 keeps info lines off the console (they are in dmesg) but shows every splat.
    # notsc: under TCG the guest calibrates the TSC a few percent off, so TSC time disagrees with
    # the ticks delayed work is timed by; without it every clock follows the ticks (make bench
    # boots with the TSC for nanosecond resolution). Telling the guest the host's TSC rate skips
    # the PIT calibration that fails under load.
    clock = [] if tsc else ["notsc"]
    khz = re.search(r"^cpu MHz\s*:\s*([0-9.]+)", Path("/proc/cpuinfo").read_text(), re.M)
    if khz and float(khz[1]) > 0:
        clock.append(f"tsc_early_khz={int(float(khz[1]) * 1000)}")
    return " ".join(["console=ttyS0 loglevel=5 panic=-1 oops=panic", *clock, kernel.append]).strip()


def qemu_argv(kernel):
    accel = ["-accel", "kvm", "-cpu", "host"] if env("ACCEL", "tcg") == "kvm" else ["-accel", "tcg,thread=multi"]
    return ["qemu-system-x86_64", *accel, "-m", str(kernel.mem), "-smp", "2", "-kernel",
            str(kernel.dir / "arch/x86/boot/bzImage"), "-display", "none", "-no-reboot", "-monitor", "none", "-nic", "none"]


def slow_cgroup(n):
    """A cgroup whose CPU quota is 1/N of one CPU (v1 cpu.cfs_quota_us, or v2 cpu.max). One CPU,
    not the machine's: QEMU under TCG keeps about one busy. The smallest quota (1 ms) in a period N
    times as long, so that QEMU never stalls for a guest tick (4 ms) and the guest's clock keeps
    real time, as on a slow CPU."""
    try:
        if float(n) < 1:
            raise ValueError
    except ValueError:
        raise Fail(f"SLOWDOWN={n}: give a number of 1 or more")
    quota, period = 1000, int(1000 * float(n))
    v1 = Path("/sys/fs/cgroup/cpu")
    tries = [(v1, lambda cg: ((cg / "cpu.cfs_period_us").write_text(f"{period}\n"), (cg / "cpu.cfs_quota_us").write_text(f"{quota}\n")))] \
        if os.access(v1 / "cgroup.procs", os.W_OK) and (v1 / "cpu.cfs_quota_us").exists() else []
    for v2 in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        try:
            if "cpu" not in (v2 / "cgroup.controllers").read_text().split():
                continue
            if "cpu" not in (v2 / "cgroup.subtree_control").read_text().split():
                (v2 / "cgroup.subtree_control").write_text("+cpu\n")
        except OSError:
            continue
        tries.append((v2, lambda cg: (cg / "cpu.max").write_text(f"{quota} {period}\n")))
    for parent, setup in tries:
        try:
            cg = Path(tempfile.mkdtemp(prefix="rust_workq-slow.", dir=parent))
        except OSError:
            continue
        try:
            setup(cg)
            return cg
        except OSError:
            cg.rmdir()
    raise Fail("SLOWDOWN needs the cgroup cpu controller, writable (cgroup v1 /sys/fs/cgroup/cpu, or v2 with cpu.max): run as root")


def capped(src, dst, cap, echo=None, on_line=None):
    """Copies the FIFO src to the file dst, '\\r' removed, keeping the first `cap` bytes and
    draining the rest; echo gets the kept text as it comes, on_line every complete line."""
    kept, tail = 0, b""
    with open(src, "rb", buffering=0) as fin, open(dst, "wb") as fout:
        while chunk := fin.read(65536):
            chunk = chunk[:max(0, cap - kept)].replace(b"\r", b"")
            kept += len(chunk)
            if not chunk:
                continue
            fout.write(chunk)
            fout.flush()
            if echo:
                echo.write(chunk.decode("utf-8", "replace"))
                echo.flush()
            if on_line:
                *lines, tail = (tail + chunk).split(b"\n")
                for l in lines:
                    on_line(l.decode("utf-8", "replace"))


def serve_late(requests, answers, directory):
    """Answers the guest's "need NAME" lines (at most 200 bytes each) with NAME's file from
    directory: "begin NAME", its base64 lines, "end"; "missing NAME" for a name that is not a
    regular file there. Nothing outside the directory is ever named."""
    with open(requests, "rb", buffering=0) as fin, open(answers, "wb", buffering=0) as fout:
        buf = b""
        while chunk := fin.read(200):
            buf += chunk
            while b"\n" in buf or len(buf) >= 200:
                line, _, buf = buf.partition(b"\n") if b"\n" in buf[:200] else (buf[:200], b"", buf[200:])
                name = line.decode("ascii", "replace").rstrip("\r").removeprefix("need ")
                if not line.startswith(b"need "):
                    continue
                f = Path(directory) / name
                if re.fullmatch(r"[A-Za-z0-9._@-]+", name) and f.is_file() and not f.is_symlink():
                    fout.write(f"begin {name}\n".encode() + base64.encodebytes(f.read_bytes()) + b"end\n")
                else:
                    fout.write(f"missing {name}\n".encode())


def boot(kernel, cmd=None, logdir=None, timeout=300, idle=None, extra=(), module=None, late=None,
         tsc=False, echo=True, on_record=None):
    """Boots `kernel`. Without cmd: an interactive shell on this terminal. With cmd: runs it in
    the guest and returns its Boot (its exit status, or why there is none)."""
    if not shutil.which("qemu-system-x86_64"):
        raise Fail("qemu-system-x86_64 not found; apt-get install qemu-system-x86 (or make deps)")
    if not (kernel.dir / "arch/x86/boot/bzImage").is_file():
        raise Fail(f"no kernel image at {kernel.dir}/arch/x86/boot/bzImage; build the kernel first (make kernel)")
    qemu, kargs = qemu_argv(kernel), kernel_args(kernel, tsc)
    note(f"qemu: {' '.join(qemu)} -append '{kargs}'")
    cg = None
    if env("SLOWDOWN", "1") != "1":
        cg = slow_cgroup(env("SLOWDOWN"))
        note(f"SLOWDOWN={env('SLOWDOWN')}: qemu runs in cgroup {cg} with 1/{env('SLOWDOWN')} of one CPU")
        qemu = ["sh", "-c", 'echo $$ >"$0/cgroup.procs" && exec "$@"', str(cg), *qemu]
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        # The command, the extra files and the module as a second cpio archive: the kernel unpacks
        # concatenated archives, a later file replacing an earlier one.
        (work / "run-cmd").write_text(f"{cmd or ''}\n")
        lines = [f"file /run-cmd {work}/run-cmd 644 0 0"] if cmd is not None else []
        if module:
            lines.append(f"file /lib/modules/rust_workq.ko {module} 644 0 0")
        if extra:
            lines += ["dir /extra 755 0 0"] + [f"file /extra/{Path(f).name} {f} 755 0 0" for f in extra]
        (work / "list").write_text("".join(l + "\n" for l in lines))
        cpio = subprocess.run([kernel.dir / "usr/gen_init_cpio", work / "list"], capture_output=True, check=True).stdout
        initrd = work / "initrd"
        initrd.write_bytes(Path(kernel.initrd).read_bytes() + subprocess.run(["gzip", "-1"], input=cpio, capture_output=True).stdout)
        try:
            if cmd is None:
                p = subprocess.run([*qemu, "-initrd", initrd, "-serial", "mon:stdio", "-append", kargs])
                return Boot(rc=p.returncode)
            return _run(kernel, qemu, kargs, initrd, work, Path(logdir or kernel.out / "log"), timeout, idle, late, echo, on_record)
        finally:
            if cg:
                try:
                    cg.rmdir()
                except OSError:
                    pass


def _run(kernel, qemu, kargs, initrd, work, logdir, timeout, idle, late, echo, on_record):
    logdir.mkdir(parents=True, exist_ok=True)
    b = Boot(console=logdir / "console.log", out=logdir / "out.log")
    cap = int(env("RWQ_OUTPUT_CAP", str(4 << 20)))
    for f in ("console", "records", "out"):
        os.mkfifo(work / f)
    live = []
    def record(line):
        r = rec.parse_line(line)
        if r:
            live.append(r)
            if on_record:
                on_record(r)
    readers = [threading.Thread(target=capped, args=(work / "console", b.console, cap)),
               threading.Thread(target=capped, args=(work / "records", logdir / "records.tsv", cap, None, record)),
               threading.Thread(target=capped, args=(work / "out", b.out, cap, sys.stdout if echo else None))]
    late_serial = []
    if late:
        os.mkfifo(work / "late.in")
        os.mkfifo(work / "late.out")
        late_serial = ["-chardev", f"pipe,id=late,path={work}/late", "-serial", "chardev:late"]
        readers.append(threading.Thread(target=serve_late, args=(work / "late.out", work / "late.in", late), daemon=True))
    for t in readers:
        t.start()
    t0 = time.monotonic()
    p = subprocess.Popen([*qemu, "-initrd", initrd, "-append", kargs, "-serial", f"file:{work}/console",
                          "-serial", f"file:{work}/out", "-serial", f"file:{work}/records", *late_serial],
                         stdin=subprocess.DEVNULL, start_new_session=True)
    # The silence watchdog: a guest whose command prints nothing for `idle` seconds has hung.
    silent, last, since = False, -1, time.monotonic()
    while p.poll() is None:
        now = time.monotonic()
        if now - t0 > timeout:
            break
        size = b.out.stat().st_size if b.out.exists() else 0
        if size != last:
            last, since = size, now
        elif idle and now - since >= idle:
            silent = True
            break
        time.sleep(0.5)
    timed_out = p.poll() is None
    if timed_out:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    # A QEMU that never opened a channel leaves its reader waiting in open(): end it.
    for f in ("console", "records", "out"):
        try:
            os.close(os.open(work / f, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    for t in readers[:3]:
        t.join()
    note(f"boot-to-verdict {time.monotonic() - t0:.1f}s")
    b.records = live
    exits = [r for r in live if r.kind == "exit"]
    b.rc = int(exits[-1].fields["status"]) if exits and exits[-1].fields["status"].isdigit() else None
    if b.rc is None and (silent or timed_out):
        b.why = f"guest printed nothing for {idle}s: hung" if silent else f"guest did not finish within {timeout}s"
        b.why += f" (full log {b.console})"
    elif b.rc is None:
        b.why = f"guest stopped without reporting an exit status (qemu exit {p.returncode}; panic or crash? full log {b.console})"
    return b


def failed(b):
    """A Boot without an exit status as one failure: the console's tail, then why."""
    tail = b.console.read_text(errors="replace").splitlines()[-40:] if b.console and b.console.exists() else []
    print("\n".join(tail), file=sys.stderr)
    return Fail(b.why)


_calibrating = threading.Lock()


def speed_factor(kernel, logdir):
    """How many times slower than the reference machine this one runs `kernel` now, and how that
    was found: TIMEOUT_MUL=N, else a calibration boot (boot, load the module, power off) timed
    against the flavour's "#@ calibration=" seconds (BENCH.md), kept for RWQ_SPEED_TTL seconds
    (600) so that many suites on one kernel boot once to measure."""
    if env("TIMEOUT_MUL"):
        try:
            f = float(env("TIMEOUT_MUL"))
            assert f > 0
        except (ValueError, AssertionError):
            raise Fail(f"TIMEOUT_MUL={env('TIMEOUT_MUL')}: give a number above 0")
        return f, f"TIMEOUT_MUL={env('TIMEOUT_MUL')}"
    ref = kernel.calibration
    if not ref or ref <= 0:
        raise Fail(f"qemu/flavors/{kernel.flavor}.config has no '#@ calibration=SECONDS' line")
    cache = kernel.out / f"speed-factor-slowdown-{env('SLOWDOWN', '1')}"
    with _calibrating:
        try:
            factor, why, was = cache.read_text().splitlines()[:3]
            age = int(time.time() - cache.stat().st_mtime)
            if age < int(env("RWQ_SPEED_TTL", "600")) and float(was) == ref:
                return float(factor), f"{why}, {age}s ago"
        except (OSError, ValueError):
            pass
        t0 = time.monotonic()
        b = boot(kernel, cmd="true", logdir=logdir, timeout=600, echo=False)
        if b.rc is None:
            raise Fail(f"the calibration boot of {kernel.name} failed: {b.why}")
        secs = time.monotonic() - t0
        factor = max(1.0, int(secs / ref * 10 + 0.999) / 10)
        slow = f", SLOWDOWN={env('SLOWDOWN')}" if env("SLOWDOWN") else ""
        why = f"a calibration boot took {secs:.1f}s ({ref:g}s on the reference machine{slow})"
        tmp = cache.with_suffix(f".{os.getpid()}")
        tmp.write_text(f"{factor:.1f}\n{why}\n{ref:g}\n")
        tmp.replace(cache)
        return factor, why
