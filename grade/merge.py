#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`make grade-merge`: joins the shares of a sharded `make grade-all` into one class table.

Usage: merge.py OUT_DIR SHARE_DIR...

Each SHARE_DIR is what one `make grade-all SHARD=I/N` wrote (shard.json, class.tsv,
class/NAME/). The shares must be the N of one class: the same entries, the same grading context
(kernel, settings, checks), each share once; every entry must be in exactly one share's results.
Anything else is refused with one line naming it, and nothing is written. Writes OUT_DIR/class.tsv
(the manifest, in the class's order, pointing at the shares' results), class.csv and summary.json
(grade/class.py), identical to what an unsharded run of the same class writes.
"""
import json
import subprocess
import sys
from pathlib import Path


def refuse(why):
    print(f"grade-merge: {why}", file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) < 3:
        refuse("usage: merge.py OUT_DIR SHARE_DIR...")
    out, dirs = Path(sys.argv[1]), [Path(d) for d in sys.argv[2:]]
    shares = {}
    for d in dirs:
        try:
            meta = json.loads((d / "shard.json").read_text())
            rows = [line.split("\t") for line in (d / "class.tsv").read_text().splitlines()]
        except (OSError, ValueError) as e:
            refuse(f"{d} is not the output of make grade-all ({e})")
        if meta["shard"] in shares:
            refuse(f"share {meta['shard']} of {meta['of']} is given twice ({shares[meta['shard']][0]} and {d})")
        shares[meta["shard"]] = (d, meta, rows)
    first = next(iter(shares.values()))[1]
    for d, meta, _ in shares.values():
        if meta["of"] != first["of"] or meta["entries"] != first["entries"]:
            refuse(f"{d} is a share of another class or split (its entries or N differ)")
        if meta["context"] != first["context"]:
            refuse(f"{d} was graded with other checks, settings or kernel (context {meta['context']} vs {first['context']})")
    missing = sorted(set(range(1, first["of"] + 1)) - set(shares))
    if missing:
        refuse(f"share(s) {', '.join(map(str, missing))} of {first['of']} missing: give every share's results")
    where = {}
    for i, (d, _, rows) in sorted(shares.items()):
        for row in rows:
            name, _, reason, key = (row + ["", "", ""])[:4]
            if key in where:
                refuse(f"student {name} is in shares {where[key][0]} and {i}")
            where[key] = (i, name, reason, d)
    for key in first["entries"]:
        if key not in where:
            refuse(f"student {key} is in no share's results")
    extra = sorted(set(where) - set(first["entries"]))
    if extra:
        refuse(f"student {extra[0]} is not in the class")
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for key in first["entries"]:
        _, name, reason, d = where[key]
        results = "" if reason else str((d / "class" / key).resolve())
        lines.append("\t".join([name, results, reason, key]))
    (out / "class.tsv").write_text("".join(line + "\n" for line in lines))
    sys.exit(subprocess.call([sys.executable, str(Path(__file__).with_name("class.py")),
                              str(out / "class.csv"), str(out / "class.tsv")]))


main()
