# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The build sandbox for module directories that are not trusted: a student's (make grade,
# make grade-all, make run MODULE=DIR). Sourced by lib.sh; uses its K_DIR and kmake_vars.
#
# The box (bubblewrap, started by root as these scripts are; see sandbox_cmd):
# - runs as a fresh unprivileged uid and gid (no account, no supplementary groups, no_new_privs),
#   in its own user, mount, pid, network, IPC, UTS and cgroup namespaces, with every capability
#   set empty and no further user namespace (--disable-userns): it cannot mount, remount or
#   unshare anything, and the host's files it reaches it reaches as "other";
# - sees only what a module build needs, read-only: /usr (and the merged-/usr links),
#   /etc/alternatives and /etc/ld.so.cache, the kernel tree and its source, and a staged copy of
#   the submission. No /home, /root, /run (no host Unix socket), /var, /srv, /etc/shadow, no
#   instructor files;
# - writes only to tmpfs mounts of fixed size (/tmp 64 MiB, the build directory 512 MiB, HOME
#   16 MiB), under limits on processes (512), address space (4 GiB), file size (64 MiB), CPU time
#   (GRADE_BUILD_CPU_SECONDS, 300) and wall-clock time (GRADE_BUILD_SECONDS, 600);
# - hands back two things through file descriptors the host opened, never a path: the build's
#   output on a pipe (capped at 1 MiB by the host) and rust_workq.ko on fd 3 (a file the host
#   created; capped at 64 MiB). No host directory is writable in the box, and the host reads no
#   file the build could have written.
#
# By default the submission is its top-level *.rs files (regular files, at most 64 of 1 MiB
# each), built with the grader's own Kbuild, so that no student Makefile code runs at all;
# STUDENT_KBUILD=1 takes the submission's Kbuild too (it still runs in the box).

# A uid and gid that no account and no other process on the machine uses.
SANDBOX_ID=${RWQ_SANDBOX_ID:-$((2000000000 + $$ % 100000000))}

# The box's command line, two bubblewraps deep. The outer one, run by root, builds the view (it
# can bind the kernel tree from inside root's home) in new pid, network, IPC, UTS and cgroup
# namespaces, keeping only the capabilities setpriv needs; setpriv then switches to the fresh uid
# and gid with no groups, empties every capability set (the bounding set too) and sets
# no_new_privs; the inner one, now unprivileged, enters a user namespace of its own with
# --disable-userns and --cap-drop ALL, so that nothing inside can create a namespace or mount.
# sandbox_cmd KDIR_SRC STAGE: prints the arguments, NUL-separated, before the command to run.
sandbox_cmd() {
	local d parents=()
	# The parents of the two bound trees, created open (bwrap would copy root's home's 0700).
	while IFS= read -r d; do parents+=(--perms 0755 --dir "$d"); done < <(
		for d in "$K_DIR" "$1"; do
			while d=${d%/*}; [ -n "$d" ]; do echo "$d"; done
		done | sort -u)
	printf '%s\0' bwrap --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup \
		--cap-drop ALL --cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SETPCAP \
		--die-with-parent --new-session --clearenv \
		--ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin \
		--symlink usr/lib /lib --symlink usr/lib64 /lib64 \
		--perms 0755 --dir /etc --ro-bind /etc/alternatives /etc/alternatives --ro-bind /etc/ld.so.cache /etc/ld.so.cache \
		--dev /dev --proc /proc \
		--perms 1777 --size 67108864 --tmpfs /tmp --perms 1777 --size 16777216 --tmpfs /home/build \
		--perms 1777 --size 536870912 --tmpfs /tmp/build \
		"${parents[@]}" \
		--ro-bind "$K_DIR" "$K_DIR" --ro-bind "$1" "$1" --ro-bind "$2" /tmp/submission \
		--setenv PATH /usr/bin:/bin --setenv HOME /home/build --chdir /tmp/build \
		setpriv --reuid="$SANDBOX_ID" --regid="$SANDBOX_ID" --clear-groups --inh-caps=-all \
		--bounding-set=-all --no-new-privs \
		bwrap --unshare-user --disable-userns --cap-drop ALL --bind / / --dev /dev
}

# sandbox_run KDIR_SRC STAGE CMD...: CMD in the box, with the kernel tree K_DIR, its source
# KDIR_SRC and the staged submission STAGE (at /tmp/submission) bound read-only, killed after
# GRADE_BUILD_SECONDS; stdin is closed, fds 1, 2 and 3 are the caller's.
sandbox_run() {
	local box
	mapfile -d '' -t box < <(sandbox_cmd "$1" "$2")
	shift 2
	timeout -k 5 "${GRADE_BUILD_SECONDS:-600}" "${box[@]}" "$@" </dev/null
}

# sandbox_ready: whether the sandbox can run here; if not, prints why and fails.
sandbox_ready() {
	local err t stage
	for t in bwrap setpriv; do
		command -v "$t" >/dev/null || {
			echo "$t is needed to build a module directory safely: apt-get install ${t/setpriv/util-linux} (or make deps)"
			return 1
		}
	done
	stage=$(mktemp -d)
	err=$(K_DIR=$stage sandbox_run "$stage" "$stage" true 2>&1) || {
		rm -rf "$stage"
		echo "the build sandbox cannot start here (${err%%$'\n'*}): run as root, on a kernel with user namespaces (sysctl user.max_user_namespaces > 0)"
		return 1
	}
	rm -rf "$stage"
}

# stage_submission SRC STAGE: copies what is built of the module directory SRC into the new
# directory STAGE: its top-level *.rs files that are regular files (not links) of at most 1 MiB,
# at most 64 of them, and the grader's Kbuild (STUDENT_KBUILD=1: SRC's own regular Kbuild of at
# most 64 KiB). Prints what it left out and why.
stage_submission() {
	local f n=0
	mkdir -p "$2" && chmod 755 "$2"
	while IFS= read -r -d '' f; do
		n=$((n + 1))
		if [ "$n" -gt 64 ]; then
			echo "sandbox: more than 64 .rs files: the rest left out"
			break
		fi
		cp -- "$f" "$2/" && chmod 644 "$2/${f##*/}"
	done < <(find "$1" -mindepth 1 -maxdepth 1 -type f -name '*.rs' -size -1025k -print0 | sort -z)
	find "$1" -mindepth 1 -maxdepth 1 -name '*.rs' \( ! -type f -o -size +1024k \) -printf 'sandbox: %f left out: not a regular file of at most 1 MiB\n'
	if [ "${STUDENT_KBUILD:-0}" = 1 ]; then
		if [ -f "$1/Kbuild" ] && [ ! -L "$1/Kbuild" ] && [ "$(stat -c %s "$1/Kbuild")" -le 65536 ]; then
			cp -- "$1/Kbuild" "$2/Kbuild"
		else
			echo "sandbox: STUDENT_KBUILD=1 but the submission has no regular Kbuild of at most 64 KiB"
		fi
	else
		cp "$ROOT/Kbuild" "$2/Kbuild"
	fi
	chmod 644 "$2/Kbuild" 2>/dev/null
	return 0
}

# build_submission SRC OUT: builds the module directory SRC against K_DIR in the box. OUT ends up
# with build.log (the build's output, at most 1 MiB, with the box's paths named as SRC's) and,
# if it built, rust_workq.ko. Call sandbox_ready first.
build_submission() {
	local kv src rc stage esc
	rm -rf "$2" && mkdir -p "$2"
	stage=$(mktemp -d)
	stage_submission "$1" "$stage/src" >"$2/build.log"
	mapfile -t kv < <(kmake_vars)
	src=$(readlink -f "$K_DIR/source" 2>/dev/null || echo "$K_DIR")
	esc=$(printf '%s' "$1" | sed 's/[\\&|]/\\&/g')
	# shellcheck disable=SC2016 # expanded by the box's shell
	sandbox_run "$src" "$stage/src" \
		sh -c 'ulimit -t "$1"; ulimit -f 65536; ulimit -v 4194304; ulimit -p 512; shift
			cp -r /tmp/submission /tmp/build/src || exit 1
			make -C "$@" M=/tmp/build/src MO=/tmp/build/out modules; rc=$?
			[ "$rc" != 0 ] || cat /tmp/build/out/rust_workq.ko >&3
			exit $rc' sh "${GRADE_BUILD_CPU_SECONDS:-300}" "$K_DIR" "${kv[@]}" \
		2>&1 3>"$2/rust_workq.ko" | head -c 1048576 | sed "s|/tmp/build/src/|$esc/|g" >>"$2/build.log"
	rc=${PIPESTATUS[0]}
	rm -rf "$stage"
	[ "$rc" = 0 ] && [ -s "$2/rust_workq.ko" ] || { rm -f "$2/rust_workq.ko"; return 1; }
}
