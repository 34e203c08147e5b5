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
import itertools
import os
import re
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .common import ROOT, Fail, env

# The first of a block of 1000 uids and gids that no account uses, one block per grader process,
# picked at random: graders on one host (shares of a class side by side, in containers or not,
# whose pids may be equal) must not build as one uid, which RLIMIT_NPROC counts host-wide.
SANDBOX_ID = int(env("RWQ_SANDBOX_ID", 2000000000 + secrets.randbelow(100000) * 1000))
RS_MAX, RS_COUNT, KBUILD_MAX, LOG_CAP = 1 << 20, 64, 64 << 10, 1 << 20
# The build in the box: limits first, then a copy of the submission (SUB) it may write to, in
# WORK; the module leaves on fd 3 only if the build succeeded.
BUILD = """ulimit -t "$1"; ulimit -f 65536; ulimit -v 4194304; ulimit -p 512; shift
cp -r "$SUB" "$WORK/src" || exit 1
make -C "$@" M="$WORK/src" MO="$WORK/out" modules; rc=$?
[ "$rc" != 0 ] || cat "$WORK/out/rust_workq.ko" >&3
exit $rc"""
# A container (Docker's, podman's; RWQ_CONTAINER=1: a platform's, as its entry points say):
# where the box may fall back to uid mode.
IN_CONTAINER = Path("/run/.containerenv").exists() or Path("/.dockerenv").exists() or env("RWQ_CONTAINER") == "1"


NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup"]
_mode, _builds = [], itertools.count(1)  # next(): one step, safe across the grade's threads


def drop(uid):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]


def protected(path):
    """Whether others (the box's uid) can reach nothing under path: it or a parent denies them
    search (o-x)."""
    p = Path(os.path.abspath(path))
    return any(not os.stat(a).st_mode & 0o001 for a in [p, *p.parents] if a.exists())


def box(kdir, ksrc, stage, mode="root", work="/tmp/build", uid=SANDBOX_ID):
    """The box's command line, before the command to run in it, in one of two modes.
    root (root with CAP_SYS_ADMIN: a machine, a CI job, a container given that capability): two
    bubblewraps deep. The outer one, run by root, builds the view (it can bind the kernel tree
    from inside root's home) in new pid, network, IPC, UTS and cgroup namespaces, keeping only
    the capabilities setpriv needs; setpriv then switches to the fresh uid and gid with no groups,
    empties every capability set (the bounding set too) and sets no_new_privs; the inner one, now
    unprivileged, enters a user namespace of its own with --disable-userns and --cap-drop ALL, so
    that nothing inside can create a namespace or mount. The view: the kernel tree KDIR, its
    source KSRC and the staged submission STAGE (at /tmp/submission) bound read-only beside
    /usr; the parents of the two trees are created open (bwrap would copy root's home's 0700).
    uid (a container that allows no namespace: Docker's default, a course platform's): setpriv
    alone, as above, with an empty environment, in WORK (a directory only the fresh uid may
    write). It sees the container's files as any user does: sandbox_ready checks that the
    grader's own and the class's are not readable by others; each build has a uid of its own,
    and build_submission kills every process of it before it reads the build's output to its
    end."""
    if mode == "uid":
        return drop(uid) + ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={work}", f"SUB={stage}", f"WORK={work}"]
    parents = sorted({str(p) for d in (kdir, ksrc) for p in Path(d).parents if str(p) != "/"})
    view = ("--die-with-parent --new-session --clearenv --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin"
            " --symlink usr/lib /lib --symlink usr/lib64 /lib64 --perms 0755 --dir /etc --ro-bind /etc/alternatives /etc/alternatives"
            " --ro-bind /etc/ld.so.cache /etc/ld.so.cache --dev /dev --proc /proc --perms 1777 --size 67108864"
            " --tmpfs /tmp --perms 1777 --size 16777216 --tmpfs /home/build --perms 1777 --size 536870912"
            " --tmpfs /tmp/build").split() + [a for d in parents for a in ("--perms", "0755", "--dir", d)] + [
        "--ro-bind", str(kdir), str(kdir), "--ro-bind", str(ksrc), str(ksrc), "--ro-bind", str(stage), "/tmp/submission",
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/home/build", "--setenv", "SUB", "/tmp/submission",
        "--setenv", "WORK", "/tmp/build", "--chdir", "/tmp/build"]
    return ["bwrap", *NAMESPACES, "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
            *view, *drop(uid), "bwrap", "--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--bind", "/", "/", "--dev", "/dev"]


def timed(argv):  # killed after GRADE_BUILD_SECONDS
    return ["timeout", "-k", "5", env("GRADE_BUILD_SECONDS", "600")] + argv


def sandbox_ready(kdir=None, private=()):
    """Picks the box's mode, root, else (in a container) uid, and raises Fail (code 2) saying why
    neither can run here; given the kernel tree, also that the box can read it and its source.
    In uid mode the box sees the container's files as any user: the project (the reference, the
    hidden checks) and private (the class, the results) must be out of its reach."""
    for t in ("bwrap", "setpriv"):
        if not shutil.which(t):
            raise Fail(f"{t} is needed to build a module directory safely: apt-get install "
                       f"{t.replace('setpriv', 'util-linux')} (or make deps)", 2)
    run = lambda argv: subprocess.run(timed(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, errors="replace")
    said = lambda p: (p.stdout.splitlines() or [f"exit {p.returncode}"])[0]
    with tempfile.TemporaryDirectory() as stage:
        os.chmod(stage, 0o755)
        mode = "root"
        if (p := run(box(stage, stage, stage) + ["true"])).returncode:
            if not IN_CONTAINER:
                raise Fail(f"the build sandbox cannot start here ({said(p)}): run as root, on a kernel with user namespaces "
                           "(sysctl user.max_user_namespaces > 0)", 2)
            if (q := run(box(stage, stage, stage, "uid") + ["true"])).returncode:
                raise Fail(f"the build sandbox cannot start in this container (namespaces: {said(p)}; a fresh uid: {said(q)}): "
                           "run the grader as root, or give the container CAP_SYS_ADMIN", 2)
            if env("STUDENT_KBUILD", "0") == "1":
                raise Fail("STUDENT_KBUILD=1 runs the submission's own make code: it needs the box's namespaces (CAP_SYS_ADMIN), "
                           "which this container does not give", 2)
            if exposed := [str(d) for d in (ROOT, *private) if d and not protected(d)]:
                raise Fail(f"the build sandbox runs here as a fresh uid only (no namespaces: {said(p)}), which could read "
                           f"{', '.join(exposed)}: chmod o-rwx them (or a parent), or give the container CAP_SYS_ADMIN", 2)
            mode = "uid"
        _mode[:] = [mode]
        ksrc = os.path.realpath(Path(kdir) / "source") if kdir else None
        if kdir and run(box(kdir, ksrc, stage, mode) + ["test", "-r", f"{kdir}/Makefile", "-a", "-r", f"{ksrc}/Makefile"]).returncode:
            raise Fail(f"the build sandbox ({mode} mode) cannot read the kernel tree {kdir} or its source {ksrc}: "
                       "its fresh uid must be able to reach them (chmod o+x on their parents)", 2)
    return mode


def kill_uid(uid):
    """Kills every process of uid: kill(-1) as uid itself, which no fork escapes, until /proc
    lists none (what a build left running: it could hold the output pipe or watch the next)."""
    for _ in range(50):
        left = [st for st in Path("/proc").glob("[0-9]*/status") if _owned(st, uid)]
        if not left:
            return
        subprocess.run(drop(uid) + ["kill", "-KILL", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05)


def _owned(status, uid):
    try:
        return re.search(rf"^Uid:\s+{uid}\s", status.read_text(), re.M) is not None
    except OSError:
        return False


def _read(fd, cap):
    """Up to cap bytes of fd, then fd closed: a build that writes more is stopped by SIGPIPE."""
    data = b""
    try:
        while len(data) < cap and (chunk := os.read(fd, cap - len(data))):
            data += chunk
    finally:
        os.close(fd)
    return data


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
    mode = (_mode or ["root"])[0]
    uid = SANDBOX_ID + next(_builds) % 1000  # a uid of its own: nothing one build left can touch the next
    with tempfile.TemporaryDirectory() as stage:
        said = stage_submission(src, Path(stage) / "src")
        (out / "build.log").write_text("".join(l + "\n" for l in said), errors="surrogateescape")
        os.chmod(stage, 0o755)
        work = Path(stage) / "work" if mode == "uid" else Path("/tmp/build")
        if mode == "uid":
            work.mkdir(mode=0o700)
            os.chown(work, uid, uid)
        argv = timed(box(kdir, ksrc, Path(stage) / "src", mode, work, uid) + ["sh", "-c", BUILD, "sh", env("GRADE_BUILD_CPU_SECONDS", "300"),
                                                                              str(kdir)] + list(kvars))
        r, w = os.pipe()
        with open(ko, "wb") as k:
            pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, w, 1),
                (os.POSIX_SPAWN_DUP2, w, 2), (os.POSIX_SPAWN_DUP2, k.fileno(), 3)])
        os.close(w)
        got = []
        reader = threading.Thread(target=lambda: got.append(_read(r, LOG_CAP)), daemon=True)
        reader.start()
        rc = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        if mode == "uid":  # in root mode the box's pid namespace ends with it
            kill_uid(uid)
        reader.join()
        text = got[0] if got else b""
    with open(out / "build.log", "ab") as log:
        log.write(text.replace(os.fsencode(f"{work}/src/"), os.fsencode(str(src)) + b"/"))
    if rc == 0 and ko.stat().st_size > 0:
        return True
    ko.unlink()
    return False
