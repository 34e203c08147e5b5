# SPDX-License-Identifier: GPL-2.0
"""Grading where courses grade. One results model, make grade's results.json, in three shapes:
Gradescope's results.json (gradescope()), PrairieLearn's (prairielearn()) and the class table
(grade.class_table); no second grader. The platforms' entry points grade the submission in their
fixed layout and always write a results file: a grade, or the grader's own failure said as one
(Gradescope: a score of 0 that says "regrade"; PrairieLearn: gradable false, which costs the
student no attempt), never the student's failure mistaken for the grader's or the reverse.

  grader-setup   what Gradescope's setup.sh and the grader image run once: the packages, the
                 tools, the kernel (KERNEL_SERIES, default the newest offered; GRADER_DEBUG=1:
                 the debug kernel too), the build sandbox checked
  gradescope     run_autograder: /autograder/submission -> /autograder/results/results.json
  prairielearn   the image's entry point: /grade/student -> /grade/results/results.json
  autograder     make autograder: build/autograder/gradescope.zip (setup.sh, run_autograder, the
                 project)
  image          make image: the grader image (a clean Debian root made by mmdebstrap, imported
                 into podman, then grade/platforms/Containerfile)
"""
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from . import grade, kernels, sandbox
from .common import CACHE, OUT, ROOT, Fail, env, note, phase, run

PLATFORMS = ROOT / "grade/platforms"
# The fields each platform reads (Gradescope's autograder specification, PrairieLearn's external
# grading): top level, then each test's.
FIELDS = {"gradescope": {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility",
                         "stdout_visibility", "extra_data", "tests", "leaderboard"},
          "gradescope test": {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
                              "visibility", "extra_data"},
          "prairielearn": {"gradable", "score", "message", "output", "format_errors", "images", "tests"},
          "prairielearn test": {"name", "description", "points", "max_points", "message", "output", "images"}}
VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
# The image as podman runs it here: crun refuses hybrid cgroups; runc needs explicit limits: open
# files as this process may; 4096 processes (runc is refused more than it may raise).
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
ULIMITS = ["--ulimit", "nofile={0}:{0}".format(min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 65536)), "--ulimit", "nproc=4096:4096"]
CA = "/etc/ssl/certs/ca-certificates.crt"
HIDDEN = "grade/hidden"  # an instructor's hidden checks in the zip and the image (make autograder EXTRA_TESTS=DIR)
IMAGE, BASE = env("GRADER_IMAGE", "localhost/rust-workq-grader:latest"), "localhost/rust-workq-base:bookworm"


def hidden_visibility():
    v = env("HIDDEN_VISIBILITY", "after_published")
    if v not in VISIBILITY:
        raise Fail(f"HIDDEN_VISIBILITY={v}: give one of {', '.join(VISIBILITY)}", 2)
    return v


def gradescope(model, hidden="after_published"):
    """Gradescope's results.json from make grade's: its field list only; the instructor's hidden
    checks with visibility `hidden`; a check not graded (the grader's failure) fails, saying so."""
    tests = []
    for t in model["tests"]:
        g = {"name": t["name"], "score": t["score"], "max_score": t["max_score"], "output": t["output"], "output_format": "text",
             "visibility": hidden if t.get("visibility") == "hidden" else "visible"}
        if t.get("status") in ("passed", "failed", "inconclusive"):
            g["status"] = "passed" if t["status"] == "passed" else "failed"
        tests.append(g)
    x = model.get("extra_data", {})
    return {"score": model["score"], "execution_time": int(model.get("execution_time") or 0), "output": model["output"],
            "output_format": "text", "test_output_format": "text", "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests, "extra_data": {k: x[k] for k in ("kernel", "build", "max_score", "exercises", "inconclusive") if k in x}}


def prairielearn(model):
    """PrairieLearn's results.json from make grade's: score in [0, 1]; gradable false when a check
    could not be graded (the grader's failure: no attempt lost); the hidden checks' points count,
    their output is not shown."""
    x = model.get("extra_data", {})
    most = x.get("max_score") or 0
    tests = [{"name": t["name"], "points": t["score"], "max_points": t["max_score"],
              "output": "(an instructor's hidden check: its output is not shown)" if t.get("visibility") == "hidden" else t["output"]}
             for t in model["tests"]]
    r = {"gradable": not x.get("inconclusive"), "score": round(model["score"] / most, 4) if most else 0.0,
         "message": f"{model['score']}/{most}", "output": model["output"], "tests": tests}
    if x.get("inconclusive"):
        r["message"] = ("Not graded: the grader could not grade " + "; ".join(x["inconclusive"]) +
                        ". This is the grader's failure, not yours: submit again (this attempt does not count).")
    return r


def failed(why, shape):
    """The results of a grade the grader could not finish, in the platform's shape."""
    said = f"The grader could not run ({why}). Nothing was graded; this is not your submission's fault: ask for a regrade."
    if shape == "prairielearn":
        return {"gradable": False, "score": 0.0, "message": said, "output": said, "tests": []}
    return {"score": 0, "output": said, "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def write(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    (tmp := path.with_name(f".{path.name}.tmp")).write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def modules_in(submission):
    """The directories of the submission that hold a rust_workq.rs (not a link) to grade: the
    top alone when it holds one, else every subdirectory that does (an upload of the whole
    project: skels/, say); one is graded, several are not guessed between."""
    top = Path(submission)
    if not top.is_dir() or top.is_symlink():
        raise Fail(f"the submission directory {top} is missing", 2)
    found = [Path(d) for d, ds, fs in os.walk(top) if "rust_workq.rs" in fs and not Path(d, "rust_workq.rs").is_symlink()]
    return [top] if top in found else found


def staged(module, into):
    """The module to grade: the lab's plumbing (every *.rs of the reference but rust_workq.rs,
    which the starter gives ready) under the submission's own top-level *.rs (regular files, as
    the sandbox copies them), so that an upload of rust_workq.rs alone builds."""
    into.mkdir()
    for f in ROOT.glob("*.rs"):
        if f.name != "rust_workq.rs":
            shutil.copyfile(f, into / f.name)
    sandbox.stage_submission(module, into)
    return into


def grade_for(shape, submission, results):
    """A platform's grade of submission into results (its shape); 0 once results are written."""
    t0 = time.monotonic()
    work = Path(env("GRADE_OUT", str(OUT / "grade")))
    # Written first, replaced at the end: a grade the platform stops early still says why.
    write(results, failed("it was stopped before it finished: the platform's time limit", shape))
    if not env("EXTRA_TESTS") and (ROOT / HIDDEN).is_dir():
        os.environ["EXTRA_TESTS"] = str(ROOT / HIDDEN)
    try:
        with tempfile.TemporaryDirectory() as t:
            if len(modules := modules_in(submission)) != 1:
                model = no_module(submission, len(modules))
            else:
                module, = modules
                ex, policy, checks, hidden = grade.settings()
                kernel = kernels.prepare(None, kernels.grade_flavor())
                sandbox.sandbox_ready(kernel.dir, private=[work, env("EXTRA_TESTS")])
                rc = grade.grade_one(staged(module, Path(t) / "submission"), work, kernel, ex, policy, checks, hidden)
                if rc == 2 or not (work / "results.json").is_file():
                    raise Fail(f"make grade exited {rc} without results; its output above")
                model = json.loads((work / "results.json").read_text())
        data = gradescope(model, hidden_visibility()) if shape == "gradescope" else prairielearn(model)
    except Fail as e:
        print(f"{shape}: the grader could not run: {e}", file=sys.stderr)
        data = failed(str(e), shape)
    except Exception:
        traceback.print_exc()
        data = failed("the grader failed; its log says how", shape)
    if shape == "gradescope":
        data["execution_time"] = int(time.monotonic() - t0)
    write(results, data)
    note(f"{shape}: {results} written ({data.get('message') or data.get('score')})")
    return 0


def no_module(submission, several=None):
    """The model of a submission without one rust_workq.rs to build: graded, 0 points."""
    names = sorted(grade.shown_name(p.name) for p in Path(submission).iterdir())[:20]
    why = f"{several} directories of the submission hold a rust_workq.rs: upload one" if several else \
        f"no rust_workq.rs in the submission (it has: {', '.join(names) or 'nothing'}); upload rust_workq.rs"
    ex, _, checks, _ = grade.settings()
    most = sum(grade.check_info(c, False)["points"] for c in checks)
    return {"score": 0, "execution_time": 0, "output": why,
            "tests": [{"name": "build: rust_workq.ko", "score": 0, "max_score": most, "status": "failed", "output": why, "visibility": "visible"}],
            "extra_data": {"build": "missing", "max_score": most, "exercises": {}}}


def grader_setup(argv):
    """Everything a grade needs, prepared once (Gradescope's setup.sh, the image's build)."""
    if not shutil.which("cargo"):  # no rustup here: Debian's cargo of the same rustc
        kernels.deps_install(["cargo-web"])
    flavors = ["base", "debug"] if env("GRADER_DEBUG", "0") == "1" else ["base"]
    seed, series = Path(env("RWQ_SEED", "/seed")), kernels.resolve(None)
    # A kernel cache lent to an image build: the series' source and kernels, used where the key
    # matches, and bindgen-cli of the version the key names (Debian's libclang, as here).
    for d in [seed / "src" / series, seed / kernels.BINDGEN_ROOT.relative_to(CACHE)] + \
             [k for f in flavors for k in seed.glob(f"kernel/{series}-{f}-*") if k.is_dir()]:
        if d.is_dir() and not (CACHE / d.relative_to(seed)).exists():
            note(f"seed: copying {d.relative_to(seed)}")
            try:
                shutil.copytree(d, CACHE / d.relative_to(seed), symlinks=True)
            except OSError as e:
                raise Fail(f"copying the lent {d} failed: {e}")
    for f in flavors:
        k = kernels.prepare(series, f)
        print(f"prepared {k.name} ({k.version})", flush=True)
    kernels.PINNED.write_text(f"{k.series}\n")  # the series every grade here uses, not a newer one
    print(f"the build sandbox runs here ({sandbox.sandbox_ready(k.dir)} mode)", flush=True)
    return 0


def project_files():
    """The project's files as a clone has them (git's tracked files; the tree without build/ and
    target/ when this is no checkout)."""
    p = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if p.returncode == 0 and p.stdout:
        return [f for f in p.stdout.decode().split("\0") if f and (ROOT / f).is_file()]
    skip = ("build/", "userspace/target/", ".git/")
    return sorted(str(f.relative_to(ROOT)) for f in ROOT.rglob("*") if f.is_file() and not str(f.relative_to(ROOT)).startswith(skip))


def autograder(argv):
    """make autograder: build/autograder/gradescope.zip, as Gradescope takes it: setup.sh and
    run_autograder at the top, beside the project (unpacked to /autograder/source); EXTRA_TESTS's
    checks as grade/hidden/, which the entry points grade as make grade's EXTRA_TESTS."""
    out, extra = OUT / "autograder/gradescope.zip", env("EXTRA_TESTS")
    if extra and not (hidden := sorted(c for c in Path(extra).glob("*.sh") if c.is_file() and not c.is_symlink())):
        raise Fail(f"EXTRA_TESTS={extra} has no *.sh checks")
    files = [("setup.sh", PLATFORMS / "setup.sh"), ("run_autograder", PLATFORMS / "run_autograder")] + \
        [(f, ROOT / f) for f in project_files()] + [(f"{HIDDEN}/{c.name}", c) for c in (hidden if extra else [])]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(f"{out}.tmp", "w", zipfile.ZIP_DEFLATED) as z:
        for name, f in files:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if os.access(f, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, f.read_bytes())
    os.replace(f"{out}.tmp", out)
    print(f"{out}: {len(files)} files{f', {len(hidden)} hidden check(s)' if extra else ''}, {out.stat().st_size // 1024} KiB; "
          "upload it as the assignment's autograder", flush=True)
    return 0


def base_image():
    """The image's base: a clean Debian bookworm root from mmdebstrap (the mirror /etc/apt names),
    imported into podman once."""
    if run(PODMAN + ["image", "exists", BASE], False).returncode == 0:
        return
    uri = kernels.mirror()
    with tempfile.TemporaryDirectory(dir=OUT) as t, phase("image base"):
        note(f"making a clean Debian bookworm root with mmdebstrap (a few minutes): {BASE}")
        with open(Path(t) / "mmdebstrap.log", "w") as log:
            if run(["mmdebstrap", "--variant=apt", "--include=ca-certificates,python3,make", "bookworm", Path(t) / "root.tar",
                    f"deb {uri} bookworm main", f"deb {uri} bookworm-updates main",
                    f"deb {uri.rstrip('/').removesuffix('/debian')}/debian-security bookworm-security main"], False,
                   stdout=log, stderr=log).returncode:
                sys.stderr.write(kernels._tail((Path(t) / "mmdebstrap.log").read_text(errors="replace"), 10))
                raise Fail("mmdebstrap failed (its output above)")
        run(PODMAN + ["import", "--quiet", Path(t) / "root.tar", BASE], "podman import", stdout=subprocess.DEVNULL)


def image(argv):
    """make image: the grader image, everything make grade needs built in (no package install, no
    kernel build when it grades): make autograder's zip unpacked at /autograder/source of a clean
    Debian root and its setup.sh run there, as Gradescope builds an autograder. The machine's kernel cache is lent to the build (RWQ_SEED) and
    used where its key matches the image's toolchain."""
    kernels.deps_install(scope="image")
    OUT.mkdir(parents=True, exist_ok=True)
    base_image()
    autograder([])
    with tempfile.TemporaryDirectory(dir=OUT) as ctx, phase("image"):
        with zipfile.ZipFile(OUT / "autograder/gradescope.zip") as z:  # the image is Gradescope's: its zip, its setup.sh
            for i in z.infolist():
                os.chmod(z.extract(i, ctx), i.external_attr >> 16)
        lend = ["--volume", f"{CACHE}:/seed:ro"] if (CACHE / "kernel").is_dir() and env("RWQ_SEED", "1") != "0" else []
        # The machine's certificate authorities, through which the registries are reached (cargo
        # fetches bindgen-cli and the tools' crates): lent to the build, not built into the image.
        lend += ["--volume", f"{CA}:{CA}:ro"] if Path(CA).is_file() else []
        note(f"building {IMAGE} from {BASE} (grade/platforms/Containerfile){'; the kernel cache lent' if lend else ''}")
        p = run(PODMAN + ["build", *ULIMITS, *lend, "--build-arg", f"KERNEL_SERIES={env('KERNEL_SERIES')}",
                          "--build-arg", f"GRADER_DEBUG={env('GRADER_DEBUG', '0')}", "-f", Path(ctx) / "grade/platforms/Containerfile", "-t", IMAGE, ctx],
                False, stdout=sys.stderr)
        if p.returncode:
            raise Fail(f"podman build of {IMAGE} failed (exit {p.returncode}; its output above)")
    # The image it replaced (4 GB) and what failed builds left: only this project's (its label).
    run(PODMAN + ["image", "prune", "-f", "--filter", "label=org.rust-workq.grader=1"], False, capture_output=True)
    size = run(PODMAN + ["image", "inspect", "--format", "{{.Size}}", IMAGE], capture_output=True, text=True).stdout.strip()
    print(f"{IMAGE}: {int(size or 0) >> 20} MiB; grade/README.md says how a course runs it", flush=True)
    return 0


def entry(shape, submission, results):
    def command(argv):
        if len(argv) > 2:
            raise Fail(f"usage: python3 -m harness {shape} [SUBMISSION_DIR [RESULTS_JSON]]", 2)
        return grade_for(shape, *(argv + [submission, results][len(argv):]))
    return command


COMMANDS = {"gradescope": entry("gradescope", "/autograder/submission", "/autograder/results/results.json"),
            "prairielearn": entry("prairielearn", "/grade/student", "/grade/results/results.json"),
            "grader-setup": grader_setup, "autograder": autograder, "image": image}
