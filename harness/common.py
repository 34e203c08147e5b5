# SPDX-License-Identifier: GPL-2.0
"""What every part of the harness shares: the project's places, one-line failures, phase times,
and the one reader of the "#@ key=value" lines of tests, checks, flavours and series."""
import os
import re
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("HOME") or os.path.expanduser("~"))
# Everything fetched or built outside the clone, keyed so that a later run can reuse it.
CACHE = Path(os.environ.get("RUST_WORKQ_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or HOME / ".cache") / "rust_workq")
# The per-run artefacts (module, tools, initramfs, logs) inside the clone.
OUT = Path(os.environ.get("OUT") or ROOT / "build")
# rustup's cargo, for a CI that runs with a trimmed environment.
if (HOME / ".cargo/bin/cargo").exists() and str(HOME / ".cargo/bin") not in os.environ.get("PATH", "").split(":"):
    os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + f":{HOME}/.cargo/bin"


class Fail(Exception):
    """A step that failed, with one line that names it and the fix; the program exits with
    `code` after printing it (2: the grader itself could not run)."""

    def __init__(self, why, code=1):
        super().__init__(why)
        self.code = code


_local = threading.local()


def note(msg):
    """A step's progress, "==> MSG": on stderr, or where notes_to sent this thread's notes."""
    sink = getattr(_local, "sink", None)
    sink(f"==> {msg}") if sink else print(f"==> {msg}", file=sys.stderr, flush=True)


@contextmanager
def notes_to(sink):
    """This thread's notes to sink(line) for the block (make check: into the stream of its phase)."""
    saved, _local.sink = getattr(_local, "sink", None), sink
    try:
        yield
    finally:
        _local.sink = saved


def env(name, default=""):
    return os.environ.get(name) or default


@contextmanager
def phase(label):
    """Times a step: "==> phase LABEL  N.Ns" on stderr when it ends, failed or not."""
    t0 = time.monotonic()
    try:
        yield
    finally:
        note(f"phase {label:<24} {time.monotonic() - t0:7.1f}s")


def run(argv, what=None, **kw):
    """Runs argv; a missing tool or a failure raises Fail naming `what` (else the command)."""
    try:
        p = subprocess.run([str(a) for a in argv], **kw)
    except FileNotFoundError:
        raise Fail(f"{argv[0]} not found: `make deps` installs what the project uses")
    if p.returncode != 0 and what is not False:
        raise Fail(f"{what or ' '.join(map(str, argv))} failed (exit {p.returncode})")
    return p


def meta(path):
    """A file's "#@ key=value" settings (the first of each key), "#@ key" flags as True, the
    test or check name the file gives (NN-name.sh: name) and its comment (the lines after the
    first that start with "# ")."""
    text = Path(path).read_text(errors="replace")
    m = {"name": re.sub(r"^\d\d-", "", Path(path).name.removesuffix(".sh").removesuffix(".config"))}
    for k, v in re.findall(r"^#@ (\w+)(?:=(.*))?$", text, re.M):
        m.setdefault(k, v if v or f"#@ {k}=" in text else True)
    m["about"] = " ".join(l[2:] for l in text.splitlines()[1:] if l.startswith("# "))
    return m


def test_name(path, module=None):
    """The one name of a test or check: NN-name.sh is "name"; against a module, "name@module"."""
    n = meta(path)["name"]
    return f"{n}@{Path(module).stem}" if module else n


def scaled(seconds, factor):
    """seconds times the speed factor, rounded up to whole seconds."""
    x = seconds * factor
    return int(x) if x == int(x) else int(x) + 1
