#!/bin/sh
# Gradescope's setup.sh: run once, as root, in /autograder/source when the autograder's image is
# built (and by grade/platforms/Containerfile). It prepares everything a grade needs: the
# packages, the tools, the kernel, the build sandbox (python3 -m harness grader-setup).
set -eu
cd "$(dirname "$0")"
[ -d harness ] || cd ../..
if ! command -v python3 >/dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null ||
		{ echo "setup.sh: python3 could not be installed (as root: apt-get install python3)" >&2; exit 1; }
fi
exec python3 -m harness grader-setup
