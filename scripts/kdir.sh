#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel build directory to compile against: the running kernel's
# if it has headers installed and is a 6.1 kernel of the flavour, else the
# newest installed Debian 6.1 headers of the flavour.
#
#   scripts/kdir.sh [FLAVOUR]     amd64 (default) or rt-amd64 (PREEMPT_RT)
#
# The flavour is matched exactly: with linux-headers-rt-amd64 installed, the
# default still picks .../linux-headers-6.1.N-M-amd64, never the -rt- ones.
set -eu
flavour=${1:-amd64}
case "$flavour" in
amd64 | rt-amd64) ;;
*)	echo "usage: $0 [amd64|rt-amd64]" >&2; exit 2 ;;
esac
rel=$(uname -r)
run=/lib/modules/$rel/build
if [ -d "$run" ]; then
	case "$flavour:$rel" in
	amd64:6.1.*-rt-* | amd64:6.1.*-cloud-*) ;;
	amd64:6.1.* | rt-amd64:6.1.*-rt-amd64) echo "$run"; exit 0 ;;
	esac
fi
kdir=$(for d in /usr/src/linux-headers-6.1.*; do [ -d "$d" ] && echo "$d"; done |
	grep -E "^/usr/src/linux-headers-6\.1\.[0-9]+-[0-9]+-$flavour\$" | sort -V | tail -n 1 || true)
if [ -z "$kdir" ]; then
	echo "kdir: no linux-headers-6.1 $flavour found (scripts/deps.sh installs them)" >&2
	exit 1
fi
echo "$kdir"
