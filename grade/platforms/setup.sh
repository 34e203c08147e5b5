#!/bin/sh
# Gradescope's setup.sh: run once, as root, in /autograder/source when the autograder's image is
# built (and by grade/platforms/Containerfile). It prepares everything a grade needs: the
# packages, the tools, the kernel, the build sandbox (python3 -m harness grader-setup). Where the
# platform's container allows no namespace, the build box runs as a fresh uid (harness/sandbox.py,
# uid mode): the grader's files are made root's alone and the kernel cache in HOME reachable.
set -eu
cd "$(dirname "$0")"
[ -d harness ] || cd ../..
chmod 700 . && chmod o+x "${HOME:-/root}"
if ! command -v python3 >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null ||
		{ echo "setup.sh: python3 could not be installed (as root: apt-get install python3)" >&2; exit 1; }
fi
RWQ_CONTAINER=1 exec python3 -m harness grader-setup
