#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the lab's starter from the reference solution (`make skels`).

Usage: skels.py SRC_DIR OUT_DIR TODO

Copies Kbuild and every *.rs of SRC_DIR to OUT_DIR, keeping exercises 1..TODO-1 solved and
cutting out the code of exercises TODO..10. The reference marks that code, as linux-kernel-labs
does with its "TODO n" markers:

    // En: what to do (more lines of // comment continue the text)
        The code of exercise n: the lines up to a blank line, a line indented less than the
        marker, or the next marker at the marker's indentation (outside brackets: a whole
        impl block is one region).
    // En/K: what to do           the K lines after it (and after its comment lines)
    code; // En                   this one line
    // En starter: code           a line the starter has instead, while n is not solved
    // starter: code              a line every starter has (not TODO=11, all solved)

An unsolved region leaves "// TODO n: what to do" (and its comment lines) in its place.
"""
import re
import sys
from pathlib import Path

MARK = re.compile(r"^(\s*)// E(\d+)(?:/(\d+))?: (.*)$")
STARTER = re.compile(r"^(\s*)// E(\d+) starter: (.*)$")
ALWAYS = re.compile(r"^(\s*)// starter: (.*)$")
TRAIL = re.compile(r"^(.*?)\s*// E(\d+)$")
ANY_MARK = re.compile(r"^\s*// (E\d+(/\d+)?:|E\d+ starter:|starter:)")
EXERCISES = range(1, 11)


def indent_of(line):
    return len(line) - len(line.lstrip())


def brackets(line):
    """How much deeper in (), [] and {} a line of Rust ends than it starts (strings, char
    literals and // comments do not count)."""
    code = re.sub(r"//.*$", "", re.sub(r'"(\\.|[^"\\])*"' + r"|'(\\.|[^'\\])'", '""', line))
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def check(n, where):
    if n not in EXERCISES:
        sys.exit(f"skels.py: {where}: exercise {n} is not one of the lab's 1-10")


def process(lines, todo, name):
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        where = f"{name}:{i + 1}"
        m = MARK.match(line)
        if m:
            ind, n, count, text = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            check(n, where)
            j = i + 1
            # Comment lines right after the marker continue its text.
            while j < len(lines) and lines[j].startswith(ind + "// ") and not ANY_MARK.match(lines[j]):
                j += 1
            comment = lines[i + 1 : j]
            if count is not None:
                end = j + int(count)
                if end > len(lines):
                    sys.exit(f"skels.py: {where}: region of {count} lines runs past the end")
            else:
                end, depth = j, 0
                while end < len(lines):
                    l = lines[end]
                    if depth == 0 and (not l.strip() or indent_of(l) < len(ind)):
                        break
                    if depth == 0 and indent_of(l) == len(ind) and ANY_MARK.match(l):
                        break
                    depth += brackets(l)
                    end += 1
            if end == j:
                sys.exit(f"skels.py: {where}: marker of exercise {n} has no code after it")
            if n < todo:
                out.append(line)
                out.extend(comment)
                i += 1 + len(comment)  # the region's own markers are processed in turn
            else:
                out.append(f"{ind}// TODO {n}: {text}")
                out.extend(comment)
                i = end
            continue
        m = STARTER.match(line)
        if m:
            check(int(m.group(2)), where)
            if int(m.group(2)) >= todo:
                out.append(m.group(1) + m.group(3))
            i += 1
            continue
        m = ALWAYS.match(line)
        if m:
            if todo <= 10:
                out.append(m.group(1) + m.group(2))
            i += 1
            continue
        m = TRAIL.match(line)
        if m:
            check(int(m.group(2)), where)
            if int(m.group(2)) < todo:
                out.append(m.group(1))
            i += 1
            continue
        out.append(line)
        i += 1
    # What a cut leaves behind: no blank line right after an opening brace, no two in a row.
    tidy = []
    for line in out:
        if not line.strip() and tidy and (not tidy[-1].strip() or tidy[-1].endswith("{")):
            continue
        tidy.append(line)
    return tidy


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2])
    src, dst, todo = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    if not todo.isdigit() or not 1 <= int(todo) <= 11:
        sys.exit(f"skels.py: TODO={todo}: give 1..10 (exercises before it come solved) or 11 (all)")
    todo = int(todo)
    dst.mkdir(parents=True, exist_ok=True)
    for f in [src / "Kbuild", *sorted(src.glob("*.rs"))]:
        lines = process(f.read_text().splitlines(), todo, f.name)
        if f.name == "rust_workq.rs":
            solved = {1: "none", 2: "1"}.get(todo, f"1-{todo - 1}")
            lines[1:1] = [
                "",
                f"// The lab's starter, written by `make skels TODO={todo}` from the reference solution.",
                f"// Exercises solved: {solved}. Each `// TODO n:` says what exercise n asks; `make grade",
                "// MODULE=<this directory>` grades what you wrote.",
            ]
        (dst / f.name).write_text("\n".join(lines) + "\n")


main()
