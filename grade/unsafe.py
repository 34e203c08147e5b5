#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The unsafe code a submission adds to the starter's, for grade.sh's UNSAFE policy.

A line counts when the token `unsafe` is on it outside a `//` comment (a string that holds the
word counts too: listed, never missed). Lines the reference has in the file of the same name (the
starter's plumbing: wq.rs, kcompat.rs, counters.rs, and the two of rust_workq.rs's `open`) are
the starter's, each as many times as the reference has it; every other such line is the
submission's own. Reads only regular files of the staged submission (qemu/sandbox.sh's
stage_submission: its top-level *.rs, each at most 1 MiB), never follows a link.

Usage: unsafe.py STAGED_DIR REFERENCE_DIR
Prints FILE<TAB>LINE<TAB>TEXT per line of unsafe code beyond the starter's (TEXT trimmed, at most
120 characters, control characters as \\xNN).
"""
import os
import re
import stat
import sys
from collections import Counter
from pathlib import Path

TOKEN = re.compile(r"\bunsafe\b")
LIMIT = 1 << 20


def unsafe_lines(path):
    """(line number, trimmed text) of each line with unsafe code; none if not a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return []
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return []
        text = fh.read(LIMIT).decode("utf-8", "replace")
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        code = line.split("//", 1)[0]
        if TOKEN.search(code):
            found.append((n, line.strip()))
    return found


def clean(text):
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= 120 else text[:117] + "..."


def main():
    staged, reference = Path(sys.argv[1]), Path(sys.argv[2])
    for f in sorted(p.name for p in staged.iterdir() if p.name.endswith(".rs")):
        allowed = Counter(t for _, t in unsafe_lines(reference / f)) if (reference / f).is_file() else Counter()
        for n, t in unsafe_lines(staged / f):
            if allowed[t] > 0:
                allowed[t] -= 1
                continue
            print(f"{clean(f)}\t{n}\t{clean(t)}")


main()
