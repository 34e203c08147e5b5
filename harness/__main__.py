# SPDX-License-Identifier: GPL-2.0
"""python3 -m harness COMMAND [ARG...]: the host side of the lab's harness, run by the Makefile's
targets (`make help` lists them). A failure ends with one line that names it and the fix."""
import importlib
import sys

from .common import Fail

MODULES = ("kernels", "suite", "grade", "trace", "lint", "check", "platforms")


def main(argv):
    commands = {}
    for m in MODULES:
        commands.update(getattr(importlib.import_module(f"harness.{m}"), "COMMANDS", {}))
    if not argv or argv[0] not in commands:
        print(f"usage: python3 -m harness {{{','.join(sorted(commands))}}} [ARG...] (make help)", file=sys.stderr)
        return 2
    try:
        return commands[argv[0]](argv[1:]) or 0
    except Fail as e:
        why = str(e)
        print(why if why.startswith(("grade: ", "grade-all: ", "grade-merge: ")) else f"error: {why}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


sys.exit(main(sys.argv[1:]))
