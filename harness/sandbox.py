# SPDX-License-Identifier: GPL-2.0
"""The build sandbox for module directories that are not trusted (make grade, grade-all, make run
MODULE=DIR). The box runs as a fresh unprivileged uid and gid with every capability set empty,
in namespaces of its own, and cannot mount or unshare; it sees read-only only what a module build
needs (/usr, the kernel tree and its source, a staged copy of the submission: no /home, /root,
/run, /var, no instructor file) and writes only to tmpfs mounts of fixed size, under limits on
processes, memory, file size, CPU and wall-clock time. It hands back two things through file
descriptors the host opened, never a path: the build's output on a pipe (capped at 1 MiB) and
rust_workq.ko on fd 3 (a file the host created; at most 64 MiB): the host reads no file the
build could have written. By default only the submission's top-level *.rs files are built, with
the grader's own Kbuild, so that no student Makefile code runs (STUDENT_KBUILD=1: its Kbuild too,
in the box)."""
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from .common import ROOT, Fail, env

# A uid and gid that no account and no other process on the machine uses.
SANDBOX_ID = int(env("RWQ_SANDBOX_ID", 2000000000 + os.getpid() % 100000000))
RS_MAX, RS_COUNT, KBUILD_MAX, LOG_CAP = 1 << 20, 64, 64 << 10, 1 << 20
# The build in the box: limits first, then a copy of the submission it may write to; the module
# leaves on fd 3 only if the build succeeded.
BUILD = """ulimit -t "$1"; ulimit -f 65536; ulimit -v 4194304; ulimit -p 512; shift
cp -r /tmp/submission /tmp/build/src || exit 1
make -C "$@" M=/tmp/build/src MO=/tmp/build/out modules; rc=$?
[ "$rc" != 0 ] || cat /tmp/build/out/rust_workq.ko >&3
exit $rc"""


def box(kdir, ksrc, stage):
    """The box's command line, two bubblewraps deep, before the command to run in it. The outer
    one, run by root, builds the view (it can bind the kernel tree from inside root's home) in new
    pid, network, IPC, UTS and cgroup namespaces, keeping only the capabilities setpriv needs;
    setpriv then switches to the fresh uid and gid with no groups, empties every capability set
    (the bounding set too) and sets no_new_privs; the inner one, now unprivileged, enters a user
    namespace of its own with --disable-userns and --cap-drop ALL, so that nothing inside can
    create a namespace or mount. The kernel tree KDIR, its source KSRC and the staged submission
    STAGE (at /tmp/submission) are bound read-only; the parents of the two trees are created open
    (bwrap would copy root's home's 0700)."""
    parents = sorted({str(p) for d in (kdir, ksrc) for p in Path(d).parents if str(p) != "/"})
    return ("bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup --cap-drop ALL"
            " --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP --die-with-parent --new-session"
            " --clearenv --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin --symlink usr/lib /lib"
            " --symlink usr/lib64 /lib64 --perms 0755 --dir /etc --ro-bind /etc/alternatives /etc/alternatives"
            " --ro-bind /etc/ld.so.cache /etc/ld.so.cache --dev /dev --proc /proc --perms 1777 --size 67108864"
            " --tmpfs /tmp --perms 1777 --size 16777216 --tmpfs /home/build --perms 1777 --size 536870912"
            " --tmpfs /tmp/build").split() + [a for d in parents for a in ("--perms", "0755", "--dir", d)] + [
        "--ro-bind", str(kdir), str(kdir), "--ro-bind", str(ksrc), str(ksrc), "--ro-bind", str(stage), "/tmp/submission",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/home/build", "--chdir", "/tmp/build",
        "setpriv", f"--reuid={SANDBOX_ID}", f"--regid={SANDBOX_ID}", "--clear-groups", "--inh-caps=-all",
        "--bounding-set=-all", "--no-new-privs",
        "bwrap", "--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--bind", "/", "/", "--dev", "/dev"]


def timed(argv):  # killed after GRADE_BUILD_SECONDS
    return ["timeout", "-k", "5", env("GRADE_BUILD_SECONDS", "600")] + argv


def sandbox_ready():
    """Raises Fail (code 2) saying why the sandbox cannot run here."""
    for t in ("bwrap", "setpriv"):
        if not shutil.which(t):
            raise Fail(f"{t} is needed to build a module directory safely: apt-get install "
                       f"{t.replace('setpriv', 'util-linux')} (or make deps)", 2)
    with tempfile.TemporaryDirectory() as stage:
        p = subprocess.run(timed(box(stage, stage, stage) + ["true"]), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    if p.returncode != 0:
        raise Fail(f"the build sandbox cannot start here ({(p.stdout.splitlines() or [''])[0]}): run as root, "
                   "on a kernel with user namespaces (sysctl user.max_user_namespaces > 0)", 2)


def copy(src, dst, limit):
    """Copies src to dst (mode 0644) if it is a regular file, not a link, of at most limit bytes."""
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit or len(data := f.read(limit + 1)) > limit:
            return False
    Path(dst).write_bytes(data)
    os.chmod(dst, 0o644)
    return True


def stage_submission(src, stage):
    """Copies what is built of the module directory SRC into the new directory STAGE: its
    top-level *.rs files that are regular files (not links) of at most 1 MiB, at most 64 of them,
    and the grader's Kbuild (STUDENT_KBUILD=1: SRC's own regular Kbuild of at most 64 KiB).
    Returns the lines that say what it left out and why."""
    src, stage = Path(src), Path(stage)
    stage.mkdir(parents=True, exist_ok=True)
    stage.chmod(0o755)
    names = sorted((n for n in os.listdir(src) if n.endswith(".rs")), key=os.fsencode)
    regular = [n for n in names if stat.S_ISREG((st := os.lstat(src / n)).st_mode) and st.st_size <= RS_MAX]
    said = [f"sandbox: more than {RS_COUNT} .rs files: the rest left out"] if len(regular) > RS_COUNT else []
    kept = set(regular)
    bad = [n for n in names if n not in kept] + [n for n in regular[:RS_COUNT] if not copy(src / n, stage / n, RS_MAX)]
    said += [f"sandbox: {n} left out: not a regular file of at most 1 MiB" for n in bad]
    if env("STUDENT_KBUILD", "0") != "1":
        shutil.copyfile(ROOT / "Kbuild", stage / "Kbuild")
        os.chmod(stage / "Kbuild", 0o644)
    elif not copy(src / "Kbuild", stage / "Kbuild", KBUILD_MAX):
        said.append("sandbox: STUDENT_KBUILD=1 but the submission has no regular Kbuild of at most 64 KiB")
    return said


def build_submission(src, out, kdir, kvars):
    """Builds the module directory SRC against the kernel tree KDIR (make variables KVARS) in the
    box. OUT ends up with build.log (the build's output, at most 1 MiB, with the box's paths named
    as SRC's) and, if it built, rust_workq.ko. Call sandbox_ready first. Whether it built."""
    out, ko = Path(out), Path(out) / "rust_workq.ko"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    ksrc = os.path.realpath(Path(kdir) / "source")
    with tempfile.TemporaryDirectory() as stage:
        said = stage_submission(src, Path(stage) / "src")
        (out / "build.log").write_text("".join(l + "\n" for l in said), errors="surrogateescape")
        argv = timed(box(kdir, ksrc, Path(stage) / "src") + ["sh", "-c", BUILD, "sh", env("GRADE_BUILD_CPU_SECONDS", "300"),
                                                              str(kdir)] + list(kvars))
        r, w = os.pipe()
        with open(ko, "wb") as k:
            pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, w, 1),
                (os.POSIX_SPAWN_DUP2, w, 2), (os.POSIX_SPAWN_DUP2, k.fileno(), 3)])
        os.close(w)
        with os.fdopen(r, "rb") as pipe:
            text = pipe.read(LOG_CAP)
        rc = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    with open(out / "build.log", "ab") as log:
        log.write(text.replace(b"/tmp/build/src/", os.fsencode(str(src)) + b"/"))
    if rc == 0 and ko.stat().st_size > 0:
        return True
    ko.unlink()
    return False
